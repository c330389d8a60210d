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


def _by_hand(W1, W2, X, y, lw, lh, loss):
    """Paper (2.1) written out sample by sample, no library helper: (1/N) sum_i l(W2 h_i, y_i)
    + (lambda_W/2) ||W2||_F^2 + (lambda_H/2) ||H||_F^2, H = relu(W1 X) on all N samples;
    CE l(z, e_k) = log sum_j exp(z_j) - z_k; l2 (2.7) l = (1/2) ||z - e_k||^2."""
    N = X.shape[1]
    total = 0.0
    hsq = 0.0
    for i in range(N):
        h = [max(0.0, float(sum(W1[a, b] * X[b, i] for b in range(X.shape[0]))))
             for a in range(W1.shape[0])]
        hsq += sum(v * v for v in h)
        z = [sum(W2[k, a] * h[a] for a in range(len(h))) for k in range(W2.shape[0])]
        if loss == "ce":
            total += np.log(sum(np.exp(v) for v in z)) - z[y[i]]
        else:
            total += 0.5 * sum((z[k] - (1.0 if k == y[i] else 0.0)) ** 2 for k in range(len(z)))
    wsq = sum(float(v) ** 2 for v in W2.ravel())
    return total / N + lw / 2 * wsq + lh / 2 * hsq


@pytest.mark.parametrize("loss", O.LOSSES)
def test_every_objective_implementation_is_the_papers_2_1_by_hand(loss):
    """Issue 26 step 1: the numpy definition, the trainer's objective and objective_and_grad
    (full batch), the bridge's and the certificate's network objective all equal (2.1)
    computed by hand, with the paper's lambda normalization (lambda/2, H over all N)."""
    from shallownc import bridge, certificate

    X, y = _data(K=3, n=4, d=5, seed=3)
    K, p = 3, 6
    net = init_net("two_layer", X.shape[0], K, (p,), [11], 1.0, dtype=torch.float64).detach()
    W1, W2 = (w[0].detach().numpy() for w in net.weights)
    lw, lh = 0.3, 0.05
    want = _by_hand(W1, W2, X, y, lw, lh, loss)
    H = np.maximum(W1 @ X, 0.0)
    assert want > _by_hand(W1, W2, X, y, 0.0, 0.0, loss) + 1e-3      # the lambdas matter
    lam = (torch.tensor([lw], dtype=torch.float64), torch.tensor([lh], dtype=torch.float64))
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    Y = torch.nn.functional.one_hot(yt, K).T.to(torch.float64)
    got = {
        "objective.objective": O.objective(W2, H, y, lw, lh, loss),
        "training.objective": float(TO.objective(net, Xt, yt, loss=loss, reg="feature",
                                                 lambda_W=lam[0], lambda_H=lam[1])[0][0]),
        "objective_and_grad": float(TO.objective_and_grad(net, Xt, Y, loss=loss, reg="feature",
                                                          lambda_W=lam[0],
                                                          lambda_H=lam[1])[0][0]),
        "bridge": bridge.network_objective(W1, W2, X, y, lw, lh, loss),
        "certificate": certificate.network_objective(W1, W2, X, y, lw, lh, loss, O.MSE_SCALE),
    }
    for name, v in got.items():
        assert v == pytest.approx(want, rel=1e-13), name


@pytest.mark.parametrize("B", [2, 3, 4])
def test_minibatch_objective_and_gradient_average_to_2_1_over_all_batches(B):
    """The trainer's minibatch objective (batch mean of the loss + (lambda_H/2)(N/B)||H_b||^2,
    h_scale = N/B as training.loop.train sets it) averaged over ALL C(N, B) batches equals the
    full-batch (2.1) exactly, and so does its gradient (objective_and_grad). B = 4 with N = 6
    is the trainer's dropped-remainder case (N // B = 1 batch per epoch, still a uniform
    B-subset of a random permutation)."""
    from itertools import combinations

    X, y = _data(K=2, n=3, d=4, seed=5)
    N, K = X.shape[1], 2
    net = init_net("two_layer", X.shape[0], K, (5,), [2], 1.0, dtype=torch.float64).detach()
    lam = (torch.tensor([0.2], dtype=torch.float64), torch.tensor([0.7], dtype=torch.float64))
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    Y = torch.nn.functional.one_hot(yt, K).T.to(torch.float64)
    kw = dict(loss="ce", reg="feature", lambda_W=lam[0], lambda_H=lam[1])
    F, _, G = TO.objective_and_grad(net, Xt, Y, **kw)
    subsets = [list(s) for s in combinations(range(N), B)]
    Fb, Gb = 0.0, [torch.zeros_like(g) for g in G]
    for s in subsets:
        f, _, g = TO.objective_and_grad(net, Xt[:, s], Y[:, s], h_scale=N / B, **kw)
        f2, _ = TO.objective(net, Xt[:, s], yt[s], h_scale=N / B, **kw)
        assert float(f[0]) == pytest.approx(float(f2[0]), rel=1e-13)
        Fb += float(f[0]) / len(subsets)
        Gb = [a + b / len(subsets) for a, b in zip(Gb, g)]
    assert Fb == pytest.approx(float(F[0]), rel=1e-13)
    for a, b in zip(Gb, G):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    # without the N/B factor the feature term would be biased by B/N: the check can fail
    f1 = np.mean([float(TO.objective(net, Xt[:, s], yt[s], **kw)[0][0]) for s in subsets])
    assert abs(f1 - float(F[0])) > 1e-3
