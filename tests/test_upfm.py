"""Tests of shallownc.upfm: closed forms, numerical minimizers, certificate, threshold."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from shallownc import upfm as U

CASES = [(loss, model) for loss in U.LOSSES for model in U.MODELS]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Tiny matrices: multi-threaded BLAS only adds overhead (and thrashes on a busy host)."""
    with threadpool_limits(1):
        yield


def _lams(loss, K, n, ratio, c=0.5):
    return U.lambdas_from_ratio(ratio, loss, K, n, c, 1.0)


@pytest.mark.parametrize("loss,model", CASES)
@pytest.mark.parametrize("K,n,ratio", [(2, 3, 0.05), (3, 2, 0.5)])
def test_numerical_minimizer_reaches_closed_form(loss, model, K, n, ratio):
    """Best of 4 L-BFGS-B starts equals F* to 1e-9 (relative) and shows NC1 = 0."""
    lw, lh = _lams(loss, K, n, ratio)
    cf = U.closed_form(loss, model, K, n, lw, lh)
    y = np.repeat(np.arange(K), n)
    rng = np.random.default_rng(1)
    sols = [U.solve_one(y, K, lw, lh, loss, model, rng, U.SolverSettings(starts=1))
            for _ in range(4)]
    best = min(sols, key=lambda s: s.value)
    assert best.value >= cf.value - 1e-12          # F* is a lower bound (certified below)
    assert best.value - cf.value <= 1e-9 * abs(cf.value)
    st = U.feature_stats(best.W, best.H, y, K, lw, lh)
    assert st["nc1"] < 1e-8
    assert st["balance"] == pytest.approx(1.0, abs=1e-4)   # lambda_W||W||^2 = lambda_H||H||^2
    if model == "upfm" or loss == "mse":
        assert st["nc2_of"] < 1e-4                  # orthogonal frame
    else:
        assert st["nc2_of"] > 0.1                   # CE UFM: not orthogonal ...
        assert st["nc2_etf"] < 1e-4                 # ... but a simplex ETF
    if model == "upfm":
        assert (best.H >= 0).all()


@pytest.mark.parametrize("loss,model", CASES)
def test_closed_form_weights_attain_value_and_balance(loss, model):
    K, n = 4, 3
    lw, lh = U.lambdas_from_ratio(0.3, loss, K, n, 0.5, 2.5)   # lambda_W != lambda_H
    cf = U.closed_form(loss, model, K, n, lw, lh)
    W, H = cf.weights(p=7)
    y = np.repeat(np.arange(K), n)
    assert U.objective(W, H, y, lw, lh, loss) == pytest.approx(cf.value, rel=1e-13)
    assert lw * (W ** 2).sum() == pytest.approx(lh * (H ** 2).sum(), rel=1e-12)
    assert np.allclose(W @ H, cf.class_logits()[:, y], atol=1e-12)
    if model == "upfm":
        assert (H >= 0).all()


def _theorem2_printed(K, n, lw, lh):
    """Paper Theorem 2 exactly as printed (objective (2.1)): CE margin a, CE b, l2 forms."""
    lam = np.sqrt(lw * lh)
    a = max(np.log((K - 1) * (1 / np.sqrt(n * K * (K - 1) * lh * lw) - 1)), 0.0)
    b = np.sqrt((K - 1) / (n * K) * lw / lh) * a
    t = max(1 - np.sqrt(n) * K * lam, 0.0)
    return {"a": a, "b": b, "l2_WH": t, "l2_HH": np.sqrt(lw / lh) * t / np.sqrt(n),
            "l2_WW": np.sqrt(lh / lw) * np.sqrt(n) * t}


@pytest.mark.parametrize("K,n,lw,lh", [(2, 300, 1e-3, 1e-6), (3, 5, 2e-3, 1e-3),
                                       (4, 10, 3e-2, 1e-3), (10, 500, 1e-3, 1e-6)])
def test_closed_form_equals_theorem_2_as_printed(K, n, lw, lh):
    """Paper Theorem 2 (a) CE: H^T H = b (I_K x J_n), W^T W = (a^2/b) C_K, W^T H = a C_K Y;
    (b) l2 (loss (1/2N)||W^T H - Y||^2, i.e. mse_scale 1/2): W^T H = (1 - sqrt(n) K lambda)_+ Y,
    H^T H = sqrt(lW/lH) (.)_+/sqrt(n) (I x J_n), W^T W = sqrt(lH/lW) sqrt(n) (.)_+ I_K.
    (The paper's W is p x K, ours K x p: its W^T W is our W W^T.)"""
    p = _theorem2_printed(K, n, lw, lh)
    y = np.repeat(np.arange(K), n)
    Y = U.onehot(y, K)
    IJ = np.kron(np.eye(K), np.ones((n, n)))
    C = np.eye(K) - np.ones((K, K)) / K
    cf = U.closed_form("ce", "upfm", K, n, lw, lh)
    W, H = cf.weights(K + 1)
    assert cf.scale == pytest.approx(p["a"], rel=1e-12)
    assert np.allclose(H.T @ H, p["b"] * IJ, rtol=1e-12, atol=1e-12 * p["b"])
    assert np.allclose(W @ W.T, p["a"] ** 2 / p["b"] * C, rtol=1e-12, atol=1e-10)
    assert np.allclose(W @ H, p["a"] * C @ Y, rtol=1e-12, atol=1e-12)
    cm = U.closed_form("mse", "upfm", K, n, lw, lh, mse_scale=0.5)
    W, H = cm.weights(K)
    assert cm.scale == pytest.approx(p["l2_WH"], rel=1e-12)
    assert np.allclose(W @ H, p["l2_WH"] * Y, atol=1e-12)
    assert np.allclose(H.T @ H, p["l2_HH"] * IJ, rtol=1e-12, atol=1e-14)
    assert np.allclose(W @ W.T, p["l2_WW"] * np.eye(K), rtol=1e-12, atol=1e-14)


def test_theorem_2_figure_3_setting_numbers():
    """The paper's Figure 3 setting K=2, n=300, lW=1e-3, lH=1e-6: a = 7.1623931940 (issue 11),
    b = sqrt(lW/(2 n lH)) a; l2: 1 - sqrt(300) 2 sqrt(1e-9)."""
    cf = U.closed_form("ce", "upfm", 2, 300, 1e-3, 1e-6)
    assert cf.scale == pytest.approx(7.1623931940, abs=5e-11)
    W, H = cf.weights(2)
    assert (H.T @ H)[0, 0] == pytest.approx(np.sqrt(1e-3 / 600e-6) * 7.1623931940, rel=1e-10)
    cm = U.closed_form("mse", "upfm", 2, 300, 1e-3, 1e-6)
    assert cm.scale == pytest.approx(1 - np.sqrt(300) * 2 * np.sqrt(1e-9), rel=1e-14)
    # doubling both lambdas (the old lambda||.||^2 read as (2.1)) moves the margin to 6.47
    assert U.closed_form("ce", "upfm", 2, 300, 2e-3, 2e-6).scale == pytest.approx(
        np.log(1 / (2 * np.sqrt(600e-9)) - 1), rel=1e-12)
    # zero-solution threshold of Theorem 2(a): a > 0 iff sqrt(n (K-1)/K) > K n lambda
    for K, n in ((2, 300), (3, 7), (10, 50)):
        lam_c = np.sqrt(n * (K - 1) / K) / (K * n)
        assert U.threshold("ce", "upfm", K, n) == pytest.approx(lam_c ** 2, rel=1e-14)
        assert U.threshold("mse", "upfm", K, n) == pytest.approx(1 / (n * K ** 2), rel=1e-14)


def test_objective_is_paper_2_1():
    """F = mean loss + (lW/2)||W||^2 + (lH/2)||H||^2, against a direct evaluation."""
    rng = np.random.default_rng(4)
    W, H = rng.standard_normal((3, 4)), np.abs(rng.standard_normal((4, 6)))
    y = np.array([0, 1, 2, 0, 1, 2])
    Z = W @ H
    ce = np.mean([np.log(np.exp(Z[:, i]).sum()) - Z[y[i], i] for i in range(6)])
    assert U.objective(W, H, y, 0.3, 0.7, "ce") == pytest.approx(
        ce + 0.15 * (W ** 2).sum() + 0.35 * (H ** 2).sum(), rel=1e-14)
    assert "lambda_W/2" in U.NORMALIZATION


@pytest.mark.parametrize("loss,model", CASES)
def test_certificate_bound_equals_closed_form(loss, model):
    K, n = 3, 4
    y = np.repeat(np.arange(K), n)
    for ratio in (0.01, 0.4, 0.95, 1.3):
        lw, lh = _lams(loss, K, n, ratio)
        cf = U.closed_form(loss, model, K, n, lw, lh)
        W, H = cf.weights(6)
        c = U.certificate(W, H, y, lw, lh, loss, model)
        assert c.lower_bound == pytest.approx(cf.value, abs=1e-13)
        assert c.theta == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("loss", U.LOSSES)
def test_certificate_is_a_valid_bound_at_any_candidate(loss):
    """Linearizing at a wrong point still gives a bound <= F* (never above the optimum)."""
    K, n = 3, 3
    y = np.repeat(np.arange(K), n)
    lw, lh = _lams(loss, K, n, 0.2)
    cf = U.closed_form(loss, "upfm", K, n, lw, lh)
    rng = np.random.default_rng(0)
    for scale in (0.1, 1.0, 5.0):
        W = rng.standard_normal((K, 5)) * scale
        H = np.abs(rng.standard_normal((5, K * n))) * scale
        c = U.certificate(W, H, y, lw, lh, loss, "upfm")
        assert c.lower_bound <= cf.value + 1e-13
        assert c.value >= cf.value                 # and every point is above F*
    W, H = cf.weights(5)
    c = U.certificate(1.3 * W, H, y, lw, lh, loss, "upfm")   # off-optimum: strictly loose
    assert c.lower_bound < cf.value - 1e-8


def test_ce_positivity_matters_ufm_bound_below_upfm():
    """CE: dropping H >= 0 lowers the optimum (ETF beats the orthogonal frame); MSE: equal."""
    K, n = 3, 4
    lw, lh = _lams("ce", K, n, 0.3)
    assert (U.closed_form("ce", "ufm", K, n, lw, lh).value
            < U.closed_form("ce", "upfm", K, n, lw, lh).value - 1e-3)
    y = np.repeat(np.arange(K), n)
    W, H = U.closed_form("ce", "upfm", K, n, lw, lh).weights()
    # the UFM (PSD) certificate cannot certify the UPFM point: theta < 1, bound strictly lower
    c = U.certificate(W, H, y, lw, lh, "ce", "ufm")
    assert c.theta < 1 and c.lower_bound < U.objective(W, H, y, lw, lh, "ce") - 1e-3
    lw, lh = _lams("mse", K, n, 0.3)
    assert U.closed_form("mse", "ufm", K, n, lw, lh).value == pytest.approx(
        U.closed_form("mse", "upfm", K, n, lw, lh).value, rel=1e-15)


@pytest.mark.parametrize("loss", U.LOSSES)
def test_threshold_returns_zero(loss):
    K, n = 3, 2
    y = np.repeat(np.arange(K), n)
    thr = U.threshold(loss, "upfm", K, n)
    lw = lh = np.sqrt(1.05 * thr)
    cf = U.closed_form(loss, "upfm", K, n, lw, lh)
    assert not cf.nonzero and cf.scale == 0.0
    W, H = cf.weights(6)
    assert not W.any() and not H.any()
    assert cf.value == pytest.approx(np.log(K) if loss == "ce" else 0.5, rel=1e-15)
    assert U.certificate(W, H, y, lw, lh, loss, "upfm").lower_bound == pytest.approx(
        cf.value, abs=1e-14)
    rng = np.random.default_rng(3)
    sol = U.solve_one(y, K, lw, lh, loss, "upfm", rng, U.SolverSettings())
    assert np.linalg.norm(sol.H) < 1e-4 and sol.value == pytest.approx(cf.value, abs=1e-10)
    lw = lh = np.sqrt(0.95 * thr)                    # just below: non-zero, value < zero's
    cb = U.closed_form(loss, "upfm", K, n, lw, lh)
    assert cb.nonzero and cb.value < cf.value


def test_loss_gradient_finite_differences():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((3, 5))
    y = np.array([0, 1, 2, 1, 0])
    for loss in U.LOSSES:
        ell, G = U.loss_terms(Z, y, loss, 0.7)
        E = np.zeros_like(Z)
        E[1, 2] = 1e-6
        num = (U.loss_terms(Z + E, y, loss, 0.7)[0][2]
               - U.loss_terms(Z - E, y, loss, 0.7)[0][2]) / 2e-6
        assert num == pytest.approx(G[1, 2], rel=1e-6)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="lambda_W"):
        U.closed_form("ce", "upfm", 3, 2, -1.0, 1e-3)
    with pytest.raises(ValueError, match="loss"):
        U.closed_form("hinge", "upfm", 3, 2, 1e-3, 1e-3)
    with pytest.raises(ValueError, match="model"):
        U.closed_form("ce", "nn", 3, 2, 1e-3, 1e-3)
    with pytest.raises(ValueError, match="width"):
        U.closed_form("ce", "upfm", 3, 2, 1e-3, 1e-3).weights(p=2)
    with pytest.raises(ValueError, match="labels must lie"):
        U.solve_one(np.array([0, 1, 3]), 3, 1e-3, 1e-3, "ce", "upfm",
                    np.random.default_rng(0), U.SolverSettings())
    with pytest.raises(ValueError, match="every class"):
        U.solve_one(np.array([0, 0, 2]), 3, 1e-3, 1e-3, "ce", "upfm",
                    np.random.default_rng(0), U.SolverSettings())
    with pytest.raises(ValueError, match="NaN"):
        U.certificate(np.full((2, 2), np.nan), np.ones((2, 4)), np.array([0, 0, 1, 1]), 1e-3,
                      1e-3, "ce", "upfm")
    with pytest.raises(ValueError, match="H >= 0"):
        U.certificate(np.ones((2, 2)), -np.ones((2, 4)), np.array([0, 0, 1, 1]), 1e-3, 1e-3,
                      "ce", "upfm")


def test_sweep_and_gram_datasets():
    ds = U.run_sweep("ce", [2], [2], [0.1, 1.5], U.SolverSettings(starts=2), 0)
    assert set(ds.dims) >= {"model", "K", "n", "ratio", "start"}
    for v in ds.data_vars:
        assert "description" in ds[v].attrs and "units" in ds[v].attrs
    assert float(abs(ds.gap_best).max()) < 1e-9
    assert float(abs(ds.cert_gap_closed).max()) < 1e-13
    assert float(ds.feature_norm.sel(model="upfm", ratio=1.5).max()) < 1e-4
    assert ds.attrs["normalization"] == U.NORMALIZATION
    g = U.run_gram(3, 2, 0.1, U.SolverSettings(starts=2), 0)
    G = g.gram.sel(loss="ce", model="upfm", source="numerical").values
    assert np.allclose(G, np.eye(3) / np.sqrt(3), atol=1e-5)


def test_config_section_validates_and_rejects_bad_values():
    import copy

    from shallownc import config

    good = {"upfm": {"sweep": {"K": [2, 3]},
                     "bridge": {"grids": {"g": {"geometry": "orthogonal", "K": 3, "n": 4,
                                                "d_over_n": [1.0], "sigma": [0.1],
                                                "trials": 1}}}}}
    c = config.validate(copy.deepcopy(good))
    assert c["upfm"]["mse_scale"] == 0.5 and c["upfm"]["solver"]["starts"] >= 1
    bad = copy.deepcopy(good)
    bad["upfm"]["bridge"]["grids"]["g"]["geometry"] = "antipodal"
    with pytest.raises(config.ConfigError, match="must be 2"):
        config.validate(bad)
    bad = copy.deepcopy(good)
    bad["upfm"]["solver"] = {"width": 2}
    with pytest.raises(config.ConfigError, match="width"):
        config.validate(bad)
    bad = copy.deepcopy(good)
    bad["upfm"]["gram"] = {"ratio": 1.5}
    with pytest.raises(config.ConfigError, match="gram.ratio"):
        config.validate(bad)


def test_sweep_point_is_one_point_of_run_sweep():
    """run_sweep = sweep_point at every (model, K, n, ratio), nothing else."""
    s = U.SolverSettings(starts=2, max_iter=200)
    ds = U.run_sweep("mse", [2, 3], [2], [0.5], s, 4, models=("upfm",))
    p = U.sweep_point(("mse", "upfm", 3, 2, 0.5), s, 4)
    one = ds.sel(model="upfm", K=3, n=2, ratio=0.5)
    for name, _desc, _units in U.SWEEP_VARIABLES:
        if name != "solve_time":
            np.testing.assert_array_equal(one[name].values, p[name])
    assert {v[0] for v in U.SWEEP_VARIABLES} <= set(ds.data_vars)
