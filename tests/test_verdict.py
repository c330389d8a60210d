"""Certified verdicts (shallownc.verdict; reports/training.md, Certified verdicts V§1-V§5)."""

import itertools

import numpy as np
import pytest

from shallownc import bridge, data, feasibility, upfm
from shallownc import verdict as V


def _gmm(K, n, d, sigma, seed):
    spec = data.GMMSpec("orthogonal" if K > 2 else "antipodal", K, n, d, sigma, 1.0, 120.0)
    X, y, _, _ = spec.draw(seed, 0)
    return X, y


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_every_network_is_above_the_upfm_optimum(loss):
    """V§1: F_net(W1, W2) >= F* for random data, networks, widths, lambdas (both losses)."""
    rng = np.random.default_rng(12)
    worst = np.inf
    for trial in range(60):
        K = int(rng.integers(2, 4))
        n = int(rng.integers(2, 8))
        d = int(rng.integers(K, 3 * K * n))
        p = int(rng.integers(1, 12))
        X, y = _gmm(K, n, d, float(rng.uniform(0.05, 2.0)), trial)
        thr = upfm.threshold(loss, "upfm", K, n, 0.5)
        prod = thr * float(10 ** rng.uniform(-4, 0.5))   # both sides of the zero threshold
        ratio = float(10 ** rng.uniform(-2, 2))
        lw, lh = np.sqrt(prod * ratio), np.sqrt(prod / ratio)
        Fs = V.optimum(loss, K, n, lw, lh, 0.5)
        for scale in (0.01, 1.0, 30.0):
            W1 = rng.standard_normal((p, d)) * scale
            W2 = rng.standard_normal((K, p)) * scale
            F = V.network_objective(W1, W2, X, y, lw, lh, loss, 0.5)
            worst = min(worst, F - Fs)
    assert worst >= -1e-12


def test_feasible_lp_network_attains_the_optimum():
    """V§2: with a verified LP solution per class the bridge network has gap 0 (F* is the
    network's global minimum), so gap is a distance to it."""
    X, y = _gmm(2, 6, 30, 0.1, 3)
    opts = feasibility.SolverOptions.from_config(None)
    nc, _ = feasibility.solve_classes(X, y, opts, separability=False)
    assert [v.status for v in nc] == [1, 1]
    cf = upfm.closed_form("ce", "upfm", 2, 6, 1e-2, 1e-3, 0.5)
    W1, W2 = bridge.construct(X, y, [v.w for v in nc], cf, width=5)
    F = V.network_objective(W1, W2, X, y, 1e-2, 1e-3, "ce", 0.5)
    assert F - V.optimum("ce", 2, 6, 1e-2, 1e-3, 0.5) == pytest.approx(0.0, abs=1e-9)


def test_no_lp_infeasible_run_is_ever_reached():
    """Constructed cases over gaps (0, below and above tol), slopes and divergence."""
    tol = 1e-6
    seen = set()
    for gap, slope, div in itertools.product([0.0, 1e-9, tol, 2 * tol, 0.3, np.nan],
                                             [np.nan, -3.0, -0.1, -0.05, 0.0, 0.4],
                                             [False, True]):
        v = V.classify(0, gap, slope, tol, 0.1, div)
        seen.add(v)
        assert v != V.REACHED
        for lp in (-1, -2):
            assert V.classify(lp, gap, slope, tol, 0.1, div) in (V.NO_LP_PROOF, V.DIVERGED)
    assert V.UNRESOLVED in seen and V.STALLED in seen and V.UNDECIDED in seen


def test_assess_never_reaches_an_infeasible_run_with_zero_gap():
    """The full per-run path: an LP-infeasible run whose objective equals F* is not reached."""
    ep = np.array([0, 1, 10, 100, 1000])
    Fs = 0.2
    obj = np.array([[1.0, 0.5, 0.3, 0.2, 0.2], [1.0, 0.5, 0.3, 0.2, 0.2]])
    a = V.assess(ep, obj, [0, 1], [Fs, Fs], [False, False], [1e-7, 1e-7], 0.1, (10, 4, 20))
    assert a["verdict"].tolist() == [V.UNRESOLVED, V.REACHED]
    assert a["reach_epoch"].tolist() == [-1, 100]


def test_classify_feasible_runs():
    assert V.classify(1, 5e-7, 0.3, 1e-6, 0.1) == V.REACHED
    assert V.classify(1, 1e-3, -0.05, 1e-6, 0.1) == V.STALLED
    assert V.classify(1, 1e-3, 0.2, 1e-6, 0.1) == V.STALLED
    assert V.classify(1, 1e-3, -0.5, 1e-6, 0.1) == V.UNDECIDED
    assert V.classify(1, 1e-3, np.nan, 1e-6, 0.1) == V.UNDECIDED
    assert V.classify(1, np.nan, -1.0, 1e-6, 0.1) == V.DIVERGED
    assert V.classify(1, 1e-9, -1.0, 1e-6, 0.1, diverged=True) == V.DIVERGED
    with pytest.raises(ValueError, match="unknown LP status"):
        V.classify(3, 1e-3, -1.0, 1e-6, 0.1)


def test_tail_slope_uses_the_last_decade_only():
    ep = np.unique(np.round(np.logspace(0, 4, 40)).astype(int))
    g = 3.0 * ep ** -0.7
    assert V.tail_slope(ep, g, 1e-300) == pytest.approx(-0.7, abs=1e-10)
    flat_tail = np.where(ep < 1000, 1.0 / ep, 1e-3)          # falls, then flat from 1000 on
    assert abs(V.tail_slope(ep, flat_tail, 1e-300)) < 1e-10
    assert V.classify(1, 1e-3, V.tail_slope(ep, flat_tail, 0.0), 1e-6, 0.1) == V.STALLED
    assert np.isnan(V.tail_slope([0, 1, 2], [1.0, 0.5, 0.2], 0.0))   # 2 points in the decade
    g0 = np.where(ep > 100, 0.0, 1.0)                          # exact zero: floor, not -inf
    assert np.isfinite(V.tail_slope(ep, g0, 1e-15))


def test_first_reach_and_gap_trajectory():
    ep = np.array([0, 1, 10, 100])
    assert V.first_reach(ep, [1.0, 1e-3, 1e-7, 1e-8], 1e-6) == 10
    assert V.first_reach(ep, [1.0, 1e-3, 1e-5, np.nan], 1e-6) == -1
    g = V.gap_trajectory([1.0, 0.5, 0.2 - 1e-17], 0.2, floor=1e-15)
    assert g[-1] == 0.0 and g[0] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="different objectives"):
        V.gap_trajectory([1.0, 0.1], 0.2, floor=1e-15)


def test_tolerance_from_the_training_precision():
    assert V.tolerance(0.5, "float32", 10) == pytest.approx(10 * 2 ** -23 * 0.5)
    assert V.tolerance(0.5, "float64", 10) == pytest.approx(10 * 2 ** -52 * 0.5)
    # the float64 evaluation error at our sizes is far below the float32 tolerance (V§3)
    assert V.eval_error(0.5, 0.5, 120, 64, 60) < 1e-6 * V.tolerance(0.5, "float32", 10)
    for bad in ((0.0, "float32", 10), (0.5, "float16", 10), (0.5, "float32", 0)):
        with pytest.raises(ValueError):
            V.tolerance(*bad)


def test_activation_patterns_of_constructed_features():
    y = np.array([0, 0, 0, 1, 1, 1])
    H = np.array([[1, 2, 1, 0, 0, 0],       # exclusive to class 1
                  [0, 0, 0, 3, 3, 1],       # exclusive to class 2
                  [1, 0, 0, 0, 0, 0],       # class 1 only, not on all of it
                  [1, 0, 0, 0, 2, 0],       # both
                  [0, 0, 0, 0, 0, 0.]])     # dead
    counts, excl, share = V.activation_pattern(H, y, 2, 0.0)
    assert counts.tolist() == [2, 1, 1, 1]
    assert V.pattern_names(2) == ["class1_only", "class2_only", "several", "none"]
    assert excl.tolist() == [True, True]
    assert share[2].tolist() == pytest.approx([1 / 3, 0.0])
    _, excl2, _ = V.activation_pattern(H[2:], y, 2, 0.0)
    assert excl2.tolist() == [False, False]
    # a remnant below rel * max(H) is not an activation: neuron 4 becomes class-2 only
    H2 = H.copy()
    H2[3, 0] = 1e-4
    assert V.activation_pattern(H2, y, 2, 1e-3)[0].tolist() == [2, 2, 0, 1]
    assert V.activation_pattern(H2, y, 2, 0.0)[0].tolist() == [2, 1, 1, 1]
    assert V.activation_pattern(np.zeros((3, 6)), y, 2, 1e-3)[0].tolist() == [0, 0, 0, 3]
    with pytest.raises(ValueError, match="p x N"):
        V.activation_pattern(H[:, :4], y, 2, 0.0)
    with pytest.raises(ValueError, match="threshold"):
        V.activation_pattern(H, y, 2, 1.0)


def test_verdict_table_and_flag_attributes():
    t = V.verdict_table([1, 1, 0, -1, -2, 0], [V.REACHED, V.STALLED, V.STALLED, V.NO_LP_PROOF,
                                               V.NO_LP_PROOF, V.UNDECIDED])
    assert t.shape == (4, len(V.VERDICT_NAMES)) and t.sum() == 6
    assert t[0, V.REACHED] == 1 and t[1, V.STALLED] == 1 and t[3, V.NO_LP_PROOF] == 1
    a = V.flag_attrs("x")
    assert a["flag_values"].tolist() == sorted(V.VERDICT_NAMES)
    assert a["flag_meanings"].split() == [V.VERDICT_NAMES[c] for c in sorted(V.VERDICT_NAMES)]
    assert a["units"] == "1"


def _cfg(checkpoints, **train):
    """A small verdict section built through config validation (schema defaults)."""
    from shallownc.config import validate

    cfg = {"allow_external_paths": True, "verdict": {
        "device": "cpu", "dtype": "float64", "checkpoint_dir": str(checkpoints),
        "theory": False,
        "study": {"data": {"geometry": "antipodal", "K": 2, "n": 5},
                  "train": {"width": 6, "lambda_W": 2e-2, "lambda_H": 2e-3, "lr": 0.5,
                            "epochs": 60, "n_eval": 12, **train},
                  "d_over_n": [0.6, 3.0], "sigma": [0.1, 1.0], "trials": 2,
                  "variants": {"d_over_n": [3.0], "sigma": [0.1]}}}}
    return validate(cfg)["verdict"]


def test_grid_job_trainer_and_upfm_agree_and_gap_is_nonnegative(tmp_path):
    """End to end: the trainer's recorded F_net equals the UPFM-normalized F_net at the same
    weights (check_objective), every gap >= 0, d < n rows (LP infeasible, paper Theorem 3c)
    are never reached, variables carry CF attributes."""
    cfg = _cfg(tmp_path)
    ds = V.grid_job(cfg, 0.6, 5, None)
    assert (ds["lp_status"] == 0).all()
    assert (ds["verdict"] != V.REACHED).all()
    assert float(ds["gap"].min()) >= 0.0
    assert ds["verdict"].attrs["flag_meanings"].split()[0] == "reached"
    for name in ("gap", "verdict", "pattern_count", "rel_gap_final", "tail_slope"):
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"]
    assert int(ds["pattern_count"].sum("kind").max()) == 6
    ds2 = V.grid_job(cfg, 3.0, 5, None)
    assert (ds2["lp_status"] == 1).all()
    assert np.isfinite(ds2["rel_gap_final"]).all()


def test_check_objective_detects_another_normalization():
    X, y = _gmm(2, 4, 10, 0.3, 1)
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((3, 10)), rng.standard_normal((2, 3))
    F = V.network_objective(W1, W2, X, y, 1e-2, 1e-3, "ce", 0.5)
    assert V.check_objective(W1, W2, X, y, 1e-2, 1e-3, "ce", 0.5, F) == F
    half = V.network_objective(W1, W2, X, y, 5e-3, 5e-4, "ce", 0.5)
    with pytest.raises(ValueError, match="disagree on the objective"):
        V.check_objective(W1, W2, X, y, 1e-2, 1e-3, "ce", 0.5, half)


def test_variant_weight_decay_is_not_applicable_and_records_norms(tmp_path):
    cfg = _cfg(tmp_path)
    ds = V.variant_job(cfg, {"name": "wd", "reg": "weight_decay", "lambda_W": 1e-3}, 5, None)
    assert (ds["verdict"] == V.NOT_APPLICABLE).all()
    assert np.isnan(ds["rel_gap_final"]).all()
    assert (ds["weight_norm"] > 0).all() and np.isfinite(ds["objective_growth"]).all()


def test_theory_verdict_needs_the_paper_normalization():
    import xarray as xr

    ds = xr.Dataset({"objective": (("trial", "epoch"), [[1.0, 0.5]])},
                    attrs={"reg": "feature", "normalization": "lambda ||.||^2"})
    with pytest.raises(ValueError, match="normalization"):
        V.verdict_of_trajectories(ds, ("trial",), 10.0, 0.1)
    with pytest.raises(ValueError, match="reg='feature'"):
        V.verdict_of_trajectories(ds.assign_attrs(reg="none"), ("trial",), 10.0, 0.1)


def test_cell_and_table_frames():
    import xarray as xr

    v = np.array([[[V.REACHED, V.STALLED]], [[V.UNDECIDED, V.DIVERGED]]], dtype=np.int8)
    ds = xr.Dataset({"verdict": (("d_over_n", "sigma", "trial"), v),
                     "lp_status": (("d_over_n", "sigma", "trial"), [[[1, 0]], [[1, -1]]]),
                     "rel_gap_final": (("d_over_n", "sigma", "trial"), [[[1e-7, 0.3]],
                                                                        [[1e-3, np.nan]]]),
                     "tail_slope": (("d_over_n", "sigma", "trial"), [[[-3, 0.0]], [[-1, np.nan]]]),
                     "collapsed_pattern": (("d_over_n", "sigma", "trial"), [[[1, 0]], [[0, 0]]])},
                    coords={"d_over_n": [1.0, 2.0], "sigma": [0.5], "trial": [0, 1]})
    cells = V.cell_frame(ds)
    assert cells[["reached", "stalled", "undecided", "diverged"]].values.tolist() == \
        [[1, 1, 0, 0], [0, 0, 1, 1]]
    assert np.isnan(cells["median_lambda_max"]).all()     # no stability variables here
    assert cells["lp_feasible"].tolist() == [1, 1] and cells["collapsed_pattern"].tolist() == [1, 0]
    t = V.table_frame(ds.merge(V.summary_table(ds)))
    assert t.shape == (4, 1 + len(V.VERDICT_NAMES))
    assert t.loc[0, "reached"] == 1 and t.loc[1, "stalled"] == 1 and t.loc[2, "diverged"] == 1


def test_the_mse_scale_is_read_from_the_trainer():
    """The UPFM optimum of an MSE run uses the trainer's own scale c (issue 24), measured on
    the trainer's data term, not a config value: F* with it equals the trainer's objective
    at the zero network above the zero-solution threshold (F* = c there)."""
    from shallownc import upfm
    from shallownc.normalization import trainer_mse_scale

    c = trainer_mse_scale()
    assert c == 0.5
    big = upfm.closed_form("mse", "upfm", 2, 5, 1.0, 1.0, c)
    assert big.value == c and 1.0 >= big.threshold


def _theory_result(loss, lam, objective, lp, bias=0, width=4, K=2, n=5):
    """A training-stage theory result (the fields verdict_of_trajectories reads), one run per
    trial, with the given objective trajectories (trial, epoch)."""
    import xarray as xr

    obj = np.asarray(objective, dtype=float)
    T, E = obj.shape
    return xr.Dataset(
        {"objective": (("trial", "epoch"), obj), "diverged": ("trial", np.zeros(T, int)),
         "lp_status": ("trial", np.asarray(lp)), "final_nc1": ("trial", np.ones(T))},
        coords={"trial": np.arange(T), "epoch": np.unique(np.geomspace(1, 1000, E).round()),
                "lambda_W": lam, "lambda_H": lam},
        attrs={"reg": "feature", "normalization": "paper (2.1): (lambda/2)||.||^2",
               "loss": loss, "dtype": "float64", "K": K, "n": n, "N": K * n, "d": 8,
               "widths": f"[{width}]", "bias": bias})


def test_above_the_zero_threshold_runs_are_labelled_zero_solution():
    """MSE with lambda_W = lambda_H = 1 (K = 2, n = 5): F* = 1/2 is the zero network's value,
    attained on any data. A run at F* was 'reached' (LP feasible) or
    'infeasible_below_tolerance' (LP infeasible); it is zero_solution either way (issue 24)."""
    from shallownc.certificate import zero_solution

    assert zero_solution("mse", 2, 5, 1.0, 1.0, 0.5) and not zero_solution("mse", 2, 5, 0.02,
                                                                           0.002, 0.5)
    E = 12
    path = 0.5 + 0.3 * np.geomspace(1, 1e-20, E)       # down to F* = 0.5 exactly
    out = V.verdict_of_trajectories(_theory_result("mse", 1.0, [path, path], [1, 0]),
                                    ("trial",), 10.0, 0.1)
    assert float(out["F_star"][0]) == 0.5
    assert (out["verdict"] == V.S.ZERO_SOLUTION).all()
    assert (out["reach_epoch"] > 0).all()               # attained, LP status notwithstanding
    assert "zero_solution" in out["verdict"].attrs["flag_meanings"].split()


def test_the_mse_scale_is_not_a_setting():
    """verdict.mse_scale 0.25 gave F* 0.024658 instead of 0.024978 and a gap 74x too large;
    the scale is the trainer's, read from it, and the key is gone (issue 24)."""
    from shallownc import config as C
    from shallownc import upfm

    with pytest.raises(C.ConfigError, match="mse_scale"):
        C.validate({"verdict": {"mse_scale": 0.25}})
    lam = 2e-2
    F = upfm.closed_form("mse", "upfm", 2, 5, lam, lam, 0.5).value
    path = F + 0.1 * np.geomspace(1, 1e-3, 12)
    out = V.verdict_of_trajectories(_theory_result("mse", lam, [path], [1]), ("trial",),
                                    10.0, 0.1)
    assert float(out["F_star"][0]) == F


@pytest.mark.parametrize("bias, width, match", [(1, 4, "biases"), (0, 1, "width p = 1 < K = 2")])
def test_biased_or_too_narrow_nets_get_no_certified_verdict(bias, width, match):
    """bias: true crashed with a TypeError from an f-string (a biased net goes below F*);
    width 2 < K = 3 gave a 'certified gap' to an F* no such network attains (issue 24)."""
    lam = 2e-2
    path = 0.3 * np.geomspace(1, 1e-3, 12)               # below F*: only a biased net does it
    with pytest.raises(ValueError, match=match):
        V.verdict_of_trajectories(_theory_result("ce", lam, [path], [1], bias=bias,
                                                 width=width), ("trial",), 10.0, 0.1)
    with pytest.raises(ValueError, match="rounding bound"):   # array floor: no TypeError
        V.gap_trajectory(path, 1.0, np.full(path.shape, 1e-12))
