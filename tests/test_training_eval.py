"""Batched float64 evaluation (training.nc_batched / evaluation) equals shallownc.metrics."""
import numpy as np
import pytest
import torch

from shallownc import metrics as M
from shallownc import training as T
from shallownc.models import init_net

torch.set_num_threads(1)


def _reference(net, X, y, Xt, yt, loss, K):
    """Per-run numpy metrics (the reference implementation) of a float64 net."""
    refs = []
    for r in range(net.R):
        Ws = [w[r].detach().numpy() for w in net.weights]
        Xr = X if X.ndim == 2 else X[r]
        H = np.maximum(Ws[0] @ Xr, 0.0)
        for W in Ws[1:-1]:
            H = np.maximum(W @ H, 0.0)
        logits = Ws[-1] @ H
        ref = M.all_metrics(H, y, Ws[-1], logits, loss, K)
        Ht = np.maximum(Ws[0] @ Xt, 0.0)
        for W in Ws[1:-1]:
            Ht = np.maximum(W @ Ht, 0.0)
        lt = Ws[-1] @ Ht
        Hbar = M.class_means(H, y, K)
        ref.update(test_error=M.error_rate(lt, yt), nc4_test=M.nc4(lt, Ht, Hbar),
                   nc1_test=M.nc1(Ht, yt, K),
                   feature_norm=np.linalg.norm(H) / np.sqrt(H.shape[1]))
        refs.append(ref)
    return refs


@pytest.mark.parametrize("K,arch,widths,loss", [(2, "two_layer", (9,), "ce"),
                                                (3, "two_layer", (7,), "mse"),
                                                (4, "three_layer", (10, 6), "ce")])
def test_batched_evaluation_equals_numpy_metrics(K, arch, widths, loss):
    rng = np.random.default_rng(K)
    d, n, R = 6, 5, 4
    X = rng.standard_normal((d, K * n))
    y = np.repeat(np.arange(K), n)
    Xt = rng.standard_normal((d, 3 * K))
    yt = np.repeat(np.arange(K), 3)
    net = init_net(arch, d, K, widths, seeds=[1, 2, 3, 4], dtype=torch.float64).detach()
    with torch.no_grad():
        net.weights[0][2] = 0.0           # run 2 is dead: H = 0, NC metrics undefined
    lam = torch.full((R,), 1e-2, dtype=torch.float64)
    active = np.array([True, True, True, False])   # run 3 is inactive (diverged)
    got = T.evaluate(net, torch.as_tensor(X), y, torch.as_tensor(Xt), yt,
                     {"loss": loss, "reg": "feature"}, lam, lam, active)
    refs = _reference(net, X, y, Xt, yt, loss, K)
    for k, ref0 in refs[0].items():
        for r in range(3):
            np.testing.assert_allclose(got[k][r], refs[r][k], rtol=1e-10, atol=1e-14,
                                       err_msg=f"{k} run {r}")
        assert np.isnan(got[k][3]), k
    for k in ("nc1", "nc2_of", "nc2_etf", "nc3", "nc2_h_paper", "nc3_paper", "equinorm"):
        assert np.isnan(got[k][2]) and np.isnan(refs[2][k]), k
    assert np.isfinite(got["nc2_w_paper"][2])      # W2 is alive in the dead run
    assert set(got) == set(T.TRAJ_VARS)
