"""Tests of shallownc.bridge: LP solutions -> explicit network at the UPFM optimum."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from shallownc import bridge as B
from shallownc import data as D
from shallownc import feasibility as FZ
from shallownc import metrics
from shallownc import upfm as U


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Tiny matrices: multi-threaded BLAS only adds overhead (and thrashes on a busy host)."""
    with threadpool_limits(1):
        yield


def _feasible_data(K=3, n=5, d=30, sigma=0.1, trial=0):
    X, y, _M, _s = D.GMMSpec("orthogonal", K, n, d, sigma).draw(11, trial)
    nc, _ = FZ.solve_classes(X, y, FZ.SolverOptions(), separability=False)
    assert all(v.status == FZ.FEASIBLE for v in nc)
    return X, y, [v.w for v in nc]


@pytest.mark.parametrize("loss", U.LOSSES)
def test_constructed_features_are_relu_and_collapsed(loss):
    K, n = 3, 5
    X, y, ws = _feasible_data(K, n)
    lw, lh = U.lambdas_from_ratio(0.2, loss, K, n, 0.5, 1.0)
    cf = U.closed_form(loss, "upfm", K, n, lw, lh)
    W1, W2 = B.construct(X, y, ws, cf, width=8)
    H = B.relu_features(W1, X)
    assert np.array_equal(H, np.maximum(W1 @ X, 0))          # features are exactly relu(W1 X)
    _, Hc = cf.weights(8)
    h = Hc[0, 0]
    assert np.abs(H - Hc).max() <= 1e-7 * h                  # = UPFM minimizer up to LP residual
    assert metrics.nc1(H, y, K) < 1e-14                      # collapsed
    assert metrics.nc2_orthogonal_frame(metrics.class_means(H, y, K)) < 1e-7
    gap = B.network_objective(W1, W2, X, y, lw, lh, loss) - cf.value
    assert abs(gap) < 1e-10


def test_any_network_is_above_the_upfm_optimum():
    """relu features are non-negative, so F_net >= F* for every (W1, W2)."""
    K, n = 3, 4
    X, y, _M, _s = D.GMMSpec("orthogonal", K, n, 10, 0.5).draw(5, 0)
    lw, lh = U.lambdas_from_ratio(0.1, "ce", K, n, 0.5, 1.0)
    F = U.closed_form("ce", "upfm", K, n, lw, lh).value
    rng = np.random.default_rng(0)
    for s in (0.1, 1.0, 10.0):
        W1 = rng.standard_normal((9, 10)) * s
        W2 = rng.standard_normal((K, 9)) * s
        assert B.network_objective(W1, W2, X, y, lw, lh, "ce") > F


def test_network_gradient_finite_differences():
    K, n = 2, 3
    X, y, _M, _s = D.GMMSpec("antipodal", K, n, 4, 0.3).draw(2, 0)
    rng = np.random.default_rng(1)
    W1, W2 = rng.standard_normal((5, 4)), rng.standard_normal((K, 5))
    for loss in U.LOSSES:
        f, g1, g2 = B.net_value_grad(W1, W2, X, y, 1e-2, 2e-2, loss)
        for (A, G, idx) in ((W1, g1, (2, 1)), (W2, g2, (1, 3))):
            E = np.zeros_like(A)
            E[idx] = 1e-6
            args = (W1 + E, W2) if A is W1 else (W1, W2 + E)
            argm = (W1 - E, W2) if A is W1 else (W1, W2 - E)
            num = (B.net_value_grad(*args, X, y, 1e-2, 2e-2, loss)[0]
                   - B.net_value_grad(*argm, X, y, 1e-2, 2e-2, loss)[0]) / 2e-6
            assert num == pytest.approx(G[idx], rel=1e-5, abs=1e-9)


def test_training_reaches_optimum_iff_feasible():
    K, n = 3, 6
    lw, lh = U.lambdas_from_ratio(0.1, "mse", K, n, 0.5, 1.0)
    F = U.closed_form("mse", "upfm", K, n, lw, lh).value
    ts = B.TrainSettings(starts=2, max_iter=2000)
    X, y, _ws = _feasible_data(K, n, d=3 * n, sigma=0.1)
    val, _, _ = B.train_network(X, y, K, lw, lh, "mse", ts, seed=0)
    assert val - F < 1e-9
    X, y, _M, _s = D.GMMSpec("orthogonal", K, n, n // 2, 0.1).draw(11, 0)   # d < n: infeasible
    nc, _ = FZ.solve_classes(X, y, FZ.SolverOptions(), separability=False)
    assert FZ.all_classes_status(v.status for v in nc) == FZ.INFEASIBLE
    val, _, _ = B.train_network(X, y, K, lw, lh, "mse", ts, seed=0)
    assert val - F > 1e-4


def test_construct_rejects_bad_input():
    K, n = 3, 5
    X, y, ws = _feasible_data(K, n)
    cf = U.closed_form("ce", "upfm", K, n, 1e-3, 1e-3)
    with pytest.raises(ValueError, match="verified LP solution"):
        B.construct(X, y, ws[:2] + [None], cf)
    with pytest.raises(ValueError, match="class-ordered"):
        B.construct(X, y[::-1], ws, cf)
    with pytest.raises(ValueError, match="upfm"):
        B.construct(X, y, ws, U.closed_form("ce", "ufm", K, n, 1e-3, 1e-3))


def test_run_grid_dataset():
    g = B.bridge_grid("t", "antipodal", 2, 4, (2, 12), (0.1,), 1)
    ds = B.run_grid(g, ["ce"], 0.1, 3, FZ.SolverOptions(), B.TrainSettings(starts=1,
                                                                            max_iter=300))
    assert list(ds.nc_all_status.sel(sigma=0.1, trial=0).values) == [0, 1]
    assert np.isnan(float(ds.constructed_gap.sel(d=2, loss="ce", sigma=0.1, trial=0)))
    assert abs(float(ds.constructed_gap.sel(d=12, loss="ce", sigma=0.1, trial=0))) < 1e-10
    assert float(ds.trained_gap.sel(d=2).min()) > 0
    for v in ds.data_vars:
        assert "description" in ds[v].attrs and "units" in ds[v].attrs
    assert ds.attrs["normalization"] == U.NORMALIZATION


def test_network_objective_is_paper_2_1():
    """F_net = (1/N) sum CE(W2 relu(W1 x)) + (lW/2)||W2||^2 + (lH/2)||relu(W1 X)||^2."""
    rng = np.random.default_rng(7)
    X, W1, W2 = rng.standard_normal((4, 6)), rng.standard_normal((5, 4)), rng.standard_normal((2, 5))
    y = np.array([0, 0, 0, 1, 1, 1])
    H = np.maximum(W1 @ X, 0)
    Z = W2 @ H
    ce = np.mean(np.logaddexp(Z[0], Z[1]) - Z[y, np.arange(6)])
    want = ce + 0.5 * 0.2 * (W2 ** 2).sum() + 0.5 * 0.05 * (H ** 2).sum()
    assert B.network_objective(W1, W2, X, y, 0.2, 0.05, "ce") == pytest.approx(want, rel=1e-14)
    assert B.net_value_grad(W1, W2, X, y, 0.2, 0.05, "ce")[0] == pytest.approx(want, rel=1e-14)


def test_gd_cross_check_with_project_trainer():
    """training.train_two_layer's result, re-evaluated here, is never below F* and lands near
    the L-BFGS value on infeasible data (both are upper bounds on the same infimum)."""
    K, n = 2, 4
    X, y, _M, _s = D.GMMSpec("antipodal", K, n, 2, 0.1).draw(3, 0)      # d < n: infeasible
    lw, lh = U.lambdas_from_ratio(0.1, "ce", K, n, 0.5, 1.0)
    F = U.closed_form("ce", "upfm", K, n, lw, lh).value
    v = B.gd_check(X, y, K, lw, lh, "ce", 4, B.GDCheck(epochs=3000, lr=0.5, seeds=2), seed=0)
    assert np.isfinite(v) and v > F + 1e-4
    lb, _, _ = B.train_network(X, y, K, lw, lh, "ce", B.TrainSettings(width=4, starts=2), 0)
    assert lb > F + 1e-4
    assert abs(v - lb) < 0.05 * (v - F)


def test_bridge_grid_seeds_are_gmmspec_seeds():
    """The bridge grids run on shallownc.grid.Grid; their data (seeds and draws) are those of
    data.GMMSpec bit for bit, and d_over_n gives the sorted distinct max(1, round(r n))."""
    cfg = {"bridge": {"grids": {"g": {"geometry": "orthogonal", "K": 3, "n": 4,
                                      "d_over_n": [1.0, 0.1, 0.5, 0.6], "sigma": [0.1, 0.5],
                                      "trials": 2, "mean_norm": 1.0, "angle_deg": 120}}}}
    g = B.grids_from_config(cfg)["g"]     # d_over_n rounds to duplicates: no validation
    assert g.d == (1, 2, 4) and g.sigma == (0.1, 0.5)
    for cell in g.cells(4, range(2)):
        (s,) = cell.sigmas
        X, y, M, seed = D.GMMSpec("orthogonal", 3, 4, 4, s).draw(11, cell.trial)
        X2, y2, seed2, _ = cell.draw(11, s)
        assert seed2 == seed and np.array_equal(X2, X) and np.array_equal(y2, y)
