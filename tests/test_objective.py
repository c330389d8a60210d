"""shallownc.objective (the numpy definition of paper (2.1)) and the trainer's batched torch
implementation (shallownc.training.objective) give the same objective at the same weights."""
import importlib

import numpy as np
import pytest
import torch

from shallownc import objective as O
from shallownc import training
from shallownc.models import init_net

# the module (shallownc.training re-exports its function ``objective`` under the same name)
TO = importlib.import_module("shallownc.training.objective")


def _data(K=3, n=4, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((d, K * n))
    y = np.repeat(np.arange(K), n)
    return X, y


@pytest.mark.parametrize("loss", O.LOSSES)
def test_trainer_objective_equals_the_definition(loss):
    """Per run r of a batched two-layer net (float64): training.objective.objective and
    objective_and_grad == objective.objective(W2_r, relu(W1_r X), ...), paper (2.1)."""
    X, y = _data()
    K, R, p = 3, 3, 6
    net = init_net("two_layer", X.shape[0], K, (p,), list(range(R)), 1.0, dtype=torch.float64)
    lw = torch.tensor([0.3, 1e-3, 0.02], dtype=torch.float64)
    lh = torch.tensor([0.2, 1e-2, 0.05], dtype=torch.float64)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    F, _ = TO.objective(net, Xt, yt, loss=loss, reg="feature", lambda_W=lw, lambda_H=lh)
    Y = torch.nn.functional.one_hot(yt, K).T.to(torch.float64)
    F2, _, _ = TO.objective_and_grad(net, Xt, Y, loss=loss, reg="feature", lambda_W=lw,
                                     lambda_H=lh)
    for r in range(R):
        W1, W2 = (w[r].detach().numpy() for w in net.weights)
        want = O.objective(W2, np.maximum(W1 @ X, 0.0), y, float(lw[r]), float(lh[r]), loss)
        assert float(F[r].detach()) == pytest.approx(want, rel=1e-13)
        assert float(F2[r]) == pytest.approx(want, rel=1e-13)


@pytest.mark.parametrize("loss", O.LOSSES)
def test_trained_objective_is_the_definition_at_the_final_weights(loss):
    """The objective train() records (what the verdict compares with F*) is (2.1) at its
    final weights with the same lambdas: the trainer takes the paper's lambdas unchanged."""
    X, y = _data(K=2, n=3, d=4, seed=1)
    r = training.train_two_layer(X, y, width=3, loss=loss, lambda_W=0.04, lambda_H=0.01,
                                 epochs=3, lr=0.05, seeds=[3], dtype="float64", n_eval=2)
    H = np.maximum(r.W1[0] @ X, 0.0)
    assert float(r.objective[0]) == pytest.approx(
        O.objective(r.W2[0], H, y, 0.04, 0.01, loss), rel=1e-12)


def test_mse_scale_and_normalization_are_one_definition():
    from shallownc import upfm
    from shallownc.normalization import trainer_mse_scale

    assert TO.MSE_SCALE == O.MSE_SCALE == trainer_mse_scale() == 0.5
    assert upfm.NORMALIZATION == TO.NORMALIZATION == O.NORMALIZATION
    assert upfm.objective is O.objective and upfm.loss_terms is O.loss_terms
    ell, G = O.loss_terms(np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([0, 1]), "mse", 0.5)
    assert np.allclose(ell, [0.0, 0.5]) and np.allclose(G, [[0, 0], [0, 1]])
