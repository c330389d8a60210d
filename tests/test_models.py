"""Batched ReLU networks (shallownc.models)."""
import numpy as np
import pytest
import torch

from shallownc.models import init_net, layer_shapes

torch.set_num_threads(1)


def test_layer_shapes_and_errors():
    assert layer_shapes("two_layer", 5, 3, (7,)) == [(7, 5), (3, 7)]
    assert layer_shapes("three_layer", 5, 2, (9, 4)) == [(9, 5), (4, 9), (2, 4)]
    with pytest.raises(ValueError, match="unknown architecture"):
        layer_shapes("four_layer", 5, 2, (3,))
    with pytest.raises(ValueError, match="needs 2 hidden"):
        layer_shapes("three_layer", 5, 2, (3,))


def test_run_initialization_does_not_depend_on_the_batch():
    a = init_net("three_layer", 6, 3, (8, 5), seeds=[11, 42, 7], init_scale=[1.0, 2.0, 1.0],
                 dtype=torch.float64)
    b = init_net("three_layer", 6, 3, (8, 5), seeds=[42], init_scale=2.0, dtype=torch.float64)
    for wa, wb in zip(a.weights, b.weights):
        assert torch.equal(wa[1], wb[0])
    assert not torch.equal(a.weights[0][0], a.weights[0][2])


def test_init_scale_sets_the_weight_std():
    net = init_net("two_layer", 400, 2, (300,), seeds=[0, 1], init_scale=[1.0, 3.0],
                   dtype=torch.float64)
    std = net.weights[0].detach().std(dim=(1, 2)).numpy()
    np.testing.assert_allclose(std, [1 / 20, 3 / 20], rtol=0.02)


def test_forward_matches_a_per_run_loop_with_shared_and_per_run_inputs():
    torch.manual_seed(0)
    net = init_net("two_layer", 4, 3, (6,), seeds=[1, 2], bias=True, dtype=torch.float64)
    with torch.no_grad():
        for b in net.biases:
            b.normal_()
    X = torch.randn(4, 9, dtype=torch.float64)
    logits, H = net.forward(X)
    logits2, H2 = net.forward(X.expand(2, 4, 9))
    assert logits.shape == (2, 3, 9) and H.shape == (2, 6, 9)
    torch.testing.assert_close(logits, logits2)
    for r in range(2):
        W1, W2 = net.weights[0][r], net.weights[1][r]
        b1, b2 = net.biases[0][r], net.biases[1][r]
        h = torch.relu(W1 @ X + b1)
        torch.testing.assert_close(H[r], h)
        torch.testing.assert_close(logits[r], W2 @ h + b2)
        assert (H[r] >= 0).all()
