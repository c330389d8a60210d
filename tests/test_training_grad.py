"""Hand-written gradient of the trainer (training.objective_and_grad) vs autograd."""
import numpy as np
import pytest
import torch

from shallownc import training as T
from shallownc.models import init_net


@pytest.mark.parametrize("arch,widths", [("two_layer", (7,)), ("three_layer", (6, 5))])
@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("reg", ["feature", "weight_decay", "none"])
@pytest.mark.parametrize("shared_x", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_manual_gradient_equals_autograd(arch, widths, loss, reg, shared_x, bias):
    rng = np.random.default_rng(2)
    d, N, K, R = 5, 12, 3, 3
    X = torch.as_tensor(rng.standard_normal((d, N) if shared_x else (R, d, N)))
    y = torch.as_tensor(np.tile(np.arange(K), N // K))
    Y = torch.nn.functional.one_hot(y, K).T.to(torch.float64)
    lam_W = torch.tensor([1e-2, 3e-2, 0.0], dtype=torch.float64)
    lam_H = torch.tensor([1e-3, 0.0, 2e-2], dtype=torch.float64)
    weight = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)   # run 1 frozen
    net = init_net(arch, d, K, widths, seeds=[3, 4, 5], bias=bias, dtype=torch.float64)
    if bias:
        with torch.no_grad():
            for b in net.biases:
                b.normal_(0, 0.3)
    kw = dict(loss=loss, reg=reg, lambda_W=lam_W, lambda_H=lam_H, h_scale=2.5)
    obj, data = T.objective(net, X, y, **kw)
    ref = torch.autograd.grad((obj * weight).sum(), net.parameters())
    for col_block in (None, 5, 12):     # 5: blocks of 5, 5, 2 samples
        obj_m, data_m, grads = T.objective_and_grad(net, X, Y, weight=weight,
                                                    col_block=col_block, **kw)
        torch.testing.assert_close(obj_m, obj.detach(), rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(data_m, data.detach(), rtol=1e-12, atol=1e-14)
        assert len(grads) == len(ref)
        for g, gr in zip(grads, ref):
            torch.testing.assert_close(g, gr, rtol=1e-10, atol=1e-12)
        assert all(float(g[1].abs().max()) == 0.0 for g in grads)


@pytest.mark.parametrize("kw", [dict(), dict(batch_size=4, momentum=0.9),
                                dict(loss="mse", reg="weight_decay", bias=True)])
def test_manual_and_chunked_training_equal_autograd_training(kw):
    rng = np.random.default_rng(0)
    K, n, d = 3, 4, 6
    X = rng.standard_normal((d, K * n))
    y = np.repeat(np.arange(K), n)
    common = dict(width=9, epochs=25, seeds=(1, 2, 3), dtype="float64", lr=[0.1, 0.05, 0.2],
                  n_eval=5, **kw)
    ref = T.train_two_layer(X, y, grad="autograd", **common)
    for chunk in (None, 1, 2):
        res = T.train_two_layer(X, y, grad="manual", run_chunk=chunk, **common)
        for a, b in zip(res.weights, ref.weights):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(res.trajectory.nc1, ref.trajectory.nc1, rtol=1e-8)


def test_grad_options_are_checked():
    X = np.eye(4)
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="grad must be"):
        T.train_two_layer(X, y, width=3, epochs=1, grad="numeric")
    with pytest.raises(ValueError, match="run_chunk"):
        T.train_two_layer(X, y, width=3, epochs=1, run_chunk=0)


def test_cpu_run_chunk():
    assert T.cpu_run_chunk(64, [500 * 300]) == 16
    assert T.cpu_run_chunk(64, [10 ** 6]) == 2
    assert T.cpu_run_chunk(64, [10 ** 7]) == 1
    assert T.cpu_run_chunk(3, [10]) == 3


def test_compiled_step_equals_eager_or_falls_back():
    """spec.compile: torch.compile'd objective_and_grad (or eager after a logged failure)
    gives the eager trajectory up to rounding."""
    X = np.random.default_rng(4).standard_normal((5, 8))
    y = np.repeat([0, 1], 4)
    kw = dict(width=6, epochs=4, seeds=(1, 2), dtype="float64", n_eval=2, lr=0.3)
    eager = T.train_two_layer(X, y, **kw)
    comp = T.train_two_layer(X, y, compile=True, **kw)
    for a, b in zip(comp.weights, eager.weights):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
