"""Tests of shallownc.generalization (reports/generalization.md E1-E5) and its figure."""

import numpy as np
import pytest
import xarray as xr
from scipy import optimize
from scipy.stats import multivariate_normal

from shallownc import data as D
from shallownc import feasibility as F
from shallownc import generalization as G


def draw(geometry="antipodal", n=10, d=30, sigma=0.5, trial=0, seed=11):
    return D.GMMSpec(geometry, 2, n, d, sigma).draw(seed, trial)


# ---------------------------------------------------------------------------- E2 exact error

@pytest.mark.parametrize("i", range(6))
def test_orthant_matches_scipy_bivariate_normal(i):
    rng = np.random.default_rng(i)
    a, b = rng.normal(size=2) * 1.5
    sa, sb = rng.uniform(0.2, 3.0, 2)
    rho = rng.uniform(-0.97, 0.97)
    got = G.orthant_probability(a, b, sa, sb, rho * sa * sb)
    cov = [[sa * sa, rho * sa * sb], [rho * sa * sb, sb * sb]]
    ref = multivariate_normal(mean=[-a, -b], cov=cov).cdf([0.0, 0.0])  # P(-A<0, -B<0)
    assert got == pytest.approx(ref, abs=1e-7)


def test_orthant_degenerate_cases_exact():
    # rho = 1: B = 2 A -> P(A > 0) = Phi(a). rho = -1: A = 0.3 + T, B = 0.5 - T, so
    # P = P(-0.3 < T < 0.5).
    assert G.orthant_probability(0.3, 0.6, 1.0, 2.0, 2.0) == pytest.approx(G.Phi(0.3))
    assert G.orthant_probability(0.3, 0.5, 1.0, 1.0, -1.0) == pytest.approx(
        G.Phi(0.5) - G.Phi(-0.3))
    assert G.orthant_probability(1.0, 0.2, 0.0, 1.0, 0.0) == pytest.approx(G.Phi(0.2))
    assert G.orthant_probability(-1.0, 0.2, 0.0, 1.0, 0.0) == 0.0
    with pytest.raises(ValueError, match="invalid"):
        G.orthant_probability(np.nan, 0, 1, 1, 0)


def test_closed_form_matches_monte_carlo_fixed_w():
    """Exact error, tie probability of a fixed (w1, w2) vs sampling: binomial tolerance."""
    X, y, M, _ = draw(d=30, sigma=1.0)
    rng = np.random.default_rng(5)
    w1, w2 = rng.normal(size=30), rng.normal(size=30)        # arbitrary, not NC
    w1 += 0.5 * M[:, 0]
    ex = G.network_error(w1, w2, M, 1.0)
    n_test = 200_000
    mc, se = G.monte_carlo_error(w1, w2, M, 1.0, n_test, np.random.default_rng(6))
    assert abs(mc - ex["error"]) < 4.5 * se
    # tie probability of class 0 alone, by sampling
    Xt = M[:, [0]] + rng.standard_normal((30, n_test))
    tie_mc = np.mean(G.predict_two_neuron(w1, w2, Xt) == -1)
    tie_ex = G.class_outcome(w1, w2, M[:, 0], 1.0).tie
    assert abs(tie_mc - tie_ex) < 4.5 * np.sqrt(tie_ex * (1 - tie_ex) / n_test)
    assert 0.05 < ex["tie"] < 0.95  # the test exercises ties


def test_closed_form_matches_monte_carlo_best_nc_network():
    X, y, M, _ = draw(d=40, n=10, sigma=0.8)
    out = G.analyse_instance(X, y, M, 0.8)
    assert out["status"] == G.STATUS_OK
    w1, w2 = out["_neurons"]
    mc, se = G.monte_carlo_error(w1, w2, M, 0.8, 200_000, np.random.default_rng(1))
    assert abs(mc - out["upper"]) < 4.5 * se


def test_linear_network_error_is_phi():
    """w2 = -w1: no dead zone, error = Phi(-<w, mu>/(sigma ||w||)) for antipodal means."""
    M = D.mean_matrix("antipodal", 2, 5)
    w = np.array([1.0, 0.3, -0.2, 0.0, 0.5])
    ex = G.network_error(w, -w, M, 0.7)
    assert ex["tie"] == pytest.approx(0.0, abs=1e-12)
    assert ex["error"] == pytest.approx(G.Phi(-(w @ M[:, 0]) / (0.7 * np.linalg.norm(w))),
                                        abs=1e-10)


def test_trained_error_evaluator_matches_closed_form():
    """A width-2 'trained' net with W2 = [[1,-1],[-1,1]] is the NC network: same error."""
    X, y, M, _ = draw(d=30, sigma=1.0, trial=3)
    rng = np.random.default_rng(2)
    w1, w2 = rng.normal(size=30) + M[:, 0], rng.normal(size=30) + M[:, 1]
    ex = G.network_error(w1, w2, M, 1.0)["error"]
    W1, W2 = np.stack([w1, w2]), np.array([[1.0, -1.0], [-1.0, 1.0]])
    e, se, tie = G.trained_test_error(W1, W2, M, 1.0, 100_000, np.random.default_rng(3))
    assert abs(e - ex) < 4.5 * se
    assert tie > 0


# ----------------------------------------------------------------- E4 best NC neuron (LDP)

def test_ldp_known_solution_and_infeasible():
    G_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    xi = G.ldp(G_, np.array([1.0, 2.0]))                      # min ||xi|| s.t. xi >= (1, 2)
    assert np.allclose(xi, [1.0, 2.0], atol=1e-10)
    assert G.ldp(np.array([[1.0], [-1.0]]), np.array([1.0, 1.0])) is None  # x >= 1, -x >= 1


def _random_feasible(X, y, k, rng, count=60):
    """Feasible points of F_k: LP vertices for random objectives (box |w_i| <= B) and their
    random convex combinations, plus random null-space moves of X when d > N."""
    p = F.class_lp(X, y, k)
    d = X.shape[0]
    B = 50.0 * np.linalg.norm(F.solve(p).w, np.inf)
    pts = []
    for _ in range(count):
        r = optimize.linprog(rng.normal(size=d), A_ub=p.A_ub, b_ub=p.b_ub, A_eq=p.A_eq,
                             b_eq=p.b_eq, bounds=[(-B, B)] * d, method="highs")
        if r.status == 0:
            pts.append(r.x)
    pts = np.array(pts)
    mixes = rng.dirichlet(np.ones(len(pts)) * 0.3, size=count) @ pts
    out = [*pts, *mixes]
    if d > X.shape[1]:
        U = np.linalg.svd(X, full_matrices=True)[0][:, X.shape[1]:]
        out += [w + U @ rng.normal(size=U.shape[1]) * np.linalg.norm(w) for w in pts[:20]]
    return out


@pytest.mark.parametrize("geometry,d,sigma", [("antipodal", 30, 0.5), ("angle", 24, 0.2),
                                              ("antipodal", 40, 2.0)])
def test_optimizer_never_beaten_by_random_feasible(geometry, d, sigma):
    X, y, M, _ = draw(geometry, n=10, d=d, sigma=sigma, trial=1)
    rng = np.random.default_rng(0)
    for k in range(2):
        v = F.solve(F.class_lp(X, y, k))
        assert v.status == F.FEASIBLE
        al = G.best_alignment(X, y, k, M[:, k])
        assert al.status == G.STATUS_OK
        w, _att = G.nc_neuron(al, v.w, X, y, k)
        # the returned neuron is NC-feasible and realises beta*
        assert np.abs(X[:, y == k].T @ w - 1).max() < 1e-7
        assert (X[:, y != k].T @ w).max() < 1e-7
        assert (w @ M[:, k]) / np.linalg.norm(w) == pytest.approx(al.beta, rel=1e-5)
        ratios = [(u @ M[:, k]) / np.linalg.norm(u) for u in _random_feasible(X, y, k, rng)]
        assert len(ratios) > 50
        assert max(ratios) <= al.beta * (1 + 1e-9) + 1e-12


def test_best_alignment_matches_generic_solver():
    """Cross-check the NNLS/LDP answer with SLSQP on the same cone problem (small d)."""
    X, y, M, _ = draw(n=4, d=10, sigma=0.7, trial=2)
    k = 0
    al = G.best_alignment(X, y, k, M[:, k])
    Xk, Xo = X[:, y == k], X[:, y != k]
    cons = [{"type": "eq", "fun": lambda w: (Xk[:, 1:] - Xk[:, :1]).T @ w},
            {"type": "eq", "fun": lambda w: np.array([M[:, k] @ w - 1.0])},
            {"type": "ineq", "fun": lambda w: np.concatenate([Xk[:, :1].T @ w, -Xo.T @ w])}]
    best = np.inf
    for s in range(5):
        r = optimize.minimize(lambda w: w @ w, np.random.default_rng(s).normal(size=10),
                              jac=lambda w: 2 * w, constraints=cons, method="SLSQP",
                              options={"ftol": 1e-14, "maxiter": 1000})
        if r.success:
            best = min(best, r.fun)
    assert 1.0 / np.sqrt(best) == pytest.approx(al.beta, rel=1e-5)


def test_refinement_feasible_and_not_worse():
    X, y, M, _ = draw(n=8, d=24, sigma=1.0, trial=4)
    out = G.analyse_instance(X, y, M, 1.0)
    w1, w2 = out["_neurons"]
    e, a, b = G.refine_pair(X, y, M, 1.0, w1, w2, max_iter=50)
    assert e <= out["upper"] + 1e-15
    assert e >= out["lower"] - 1e-12                         # never below the lower bound
    for k, w in enumerate((a, b)):
        assert np.abs(X[:, y == k].T @ w - 1).max() < 1e-6
        assert (X[:, y != k].T @ w).max() < 1e-6
    assert e == pytest.approx(G.network_error(a, b, M, 1.0)["error"], abs=1e-12)


def test_correct_probability_gradient():
    rng = np.random.default_rng(0)
    wa, wb, mu = rng.normal(size=6), rng.normal(size=6), rng.normal(size=6)
    _v, ga, gb = G._correct_and_grad(wa, wb, mu, 0.8)
    eps = 1e-6
    for g, which in ((ga, 0), (gb, 1)):
        num = []
        for e in np.eye(6):
            args_p = [wa + eps * e, wb] if which == 0 else [wa, wb + eps * e]
            args_m = [wa - eps * e, wb] if which == 0 else [wa, wb - eps * e]
            num.append((G._correct_and_grad(*args_p, mu, 0.8)[0]
                        - G._correct_and_grad(*args_m, mu, 0.8)[0]) / (2 * eps))
        assert np.allclose(num, g, atol=1e-8)


def test_not_nc_when_d_below_n():
    X, y, M, _ = draw(n=10, d=8, sigma=0.1)
    out = G.analyse_instance(X, y, M, 0.1)
    assert out["status"] == G.STATUS_NOT_NC
    assert np.isnan(out["lower"]) and np.isnan(out["upper"])


# ----------------------------------------------------------------------------- E5 bounds

@pytest.mark.parametrize("geometry", ["antipodal", "angle"])
def test_bounds_hold_on_sampled_instances(geometry):
    rng = np.random.default_rng(4)
    checked = 0
    for t in range(6):
        for sigma in (0.3, 1.0, 3.0):
            X, y, M, _ = draw(geometry, n=8, d=20, sigma=sigma, trial=t)
            out = G.analyse_instance(X, y, M, sigma)
            r = np.linalg.norm(M, axis=0)
            for k in range(2):
                assert out[f"rho_eq_{k}"] <= r[k] * (1 + 1e-12)
                if np.isfinite(out[f"beta_{k}"]):
                    assert out[f"beta_{k}"] <= out[f"rho_eq_{k}"] * (1 + 1e-9)
            assert out["bound_instance"] >= out["bayes"] >= 0
            assert out["bound_instance"] >= out["cs_bound"] - 1e-12
            if out["status"] != G.STATUS_OK:
                continue
            assert out["bound_instance"] <= out["lower"] + 1e-12 <= out["upper"] + 2e-12
            # random NC networks: exact error above the instance bound
            w1s = _random_feasible(X, y, 0, rng, count=8)
            w2s = _random_feasible(X, y, 1, rng, count=8)
            for w1, w2 in zip(w1s[:6], w2s[:6]):
                e = G.network_error(w1, w2, M, sigma)
                assert e["error"] >= e["off"] >= out["reduction"] - 1e-12
                assert e["error"] >= out["lower"] - 1e-12
                assert e["error"] >= out["bound_instance"] - 1e-12
            checked += 1
    assert checked >= 6


def test_equality_relaxation_mean_field():
    """E ||P_V mu||^2 = r^2 (d - n + 1)/d (E5); small sigma so the half-space never binds."""
    n, d = 10, 30
    vals = [G.equality_relaxation_alignment(*draw(n=n, d=d, sigma=0.1, trial=t)[:2], 0,
                                            D.mean_matrix("antipodal", 2, d)[:, 0]) ** 2
            for t in range(300)]
    m, se = np.mean(vals), np.std(vals) / np.sqrt(len(vals))
    assert abs(m - (d - n + 1) / d) < 4 * se + 1e-3
    b = G.nc_bound(0.5, 3.0, n)
    assert b == pytest.approx(G.Phi(-0.5 * np.sqrt(1 - (n - 1) / (3.0 * n))))
    assert G.nc_bound(0.5, 3.0, n) > G.Phi(-0.5)


# ------------------------------------------------------------------- grid, config, merge

def _validated(exp: dict) -> dict:
    """A generalization experiment built through config validation (schema defaults)."""
    from shallownc.config import validate

    return validate({"generalization": {"experiments": {"x": exp}}})[
        "generalization"]["experiments"]["x"]


TINY = _validated(dict(geometry="antipodal", n=4, snr=[0.5, 4.0], d_over_n=[1.0, 3.0], trials=2,
                       trained={"snr": [4.0], "d_over_n": [3.0], "trials": 1, "width": 4,
                                "epochs": 30, "n_test": 500}))


def test_check_experiment_messages():
    bad = dict(TINY, d_over_n=[1.0, 1.1], panel_d_over_n=[2.0], low_snr=1.0,
               trained=dict(TINY["trained"], snr=[9.0], trials=5))
    msgs = " ".join(G.check_experiment("x", bad))
    for key in ("d_over_n", "panel_d_over_n", "low_snr", "trained.snr", "trained.trials"):
        assert f"generalization.experiments.x.{key}" in msgs
    assert G.check_experiment("x", TINY) == []


def test_run_theory_dataset_and_merge():
    ds = G.run_theory(TINY, base_seed=3)
    assert dict(ds.sizes) == {"snr": 2, "d_over_n": 2, "trial": 2, "class": 2}
    assert ds.seed.dtype == np.uint64  # the data seed is an integer as in every other file
    for v in ds.data_vars:
        assert ds[v].attrs.get("description") and ds[v].attrs.get("units"), v
    assert (ds.nc_all_status.sel(d_over_n=1.0) != 1).all()          # d = n: no NC
    assert (ds.nc_all_status.sel(d_over_n=3.0) == 1).all()          # d = 3n > N: NC
    ok = ds.status == G.STATUS_OK
    assert (ds.best_nc_error_lower.where(ok) <= ds.best_nc_error_upper.where(ok) + 1e-12
            ).sum() == ok.sum()
    # chunked per d (as the workflow runs it) and merged == computed in one piece
    assert G.job_d_values(TINY) == [4, 12] and G.job_d_values(TINY, "trained") == [12]
    parts = [G.run_theory(G.sub_experiment(TINY, d), base_seed=3) for d in (12, 4)]
    merged = G.merge(parts, [])
    xr.testing.assert_allclose(ds.drop_vars("seed"), merged[list(ds.data_vars)].drop_vars("seed"))
    assert (merged.trained == 0).all() and merged.trained_test_error.isnull().all()
    tr = xr.Dataset({k: (("snr", "d_over_n", "trial"), np.zeros((2, 1, 2)))
                     for k in G._TRAINED_VARS},
                    coords={"snr": [0.5, 4.0], "d_over_n": [2.0], "trial": [0, 1]})
    with pytest.raises(ValueError, match="d_over_n = 2.0 have no theory part"):
        G.merge(parts, [tr])
    with pytest.raises(ValueError, match="matches 0 d_over_n"):
        G.sub_experiment(TINY, 5)


def test_run_trained_tiny_and_merge():
    pytest.importorskip("torch")
    ds = G.run_trained(G.sub_experiment(TINY, 12), base_seed=3)
    assert int(ds.trained.sum()) == 1
    cell = ds.sel(snr=4.0, d_over_n=3.0, trial=0)
    assert 0 <= float(cell.trained_test_error) <= 1
    assert np.isfinite(float(cell.trained_nc1))
    assert np.isnan(ds.trained_test_error.sel(snr=0.5)).all()
    assert "lambda_W/2" in ds.attrs["normalization"]
    parts = [G.run_theory(G.sub_experiment(TINY, d), base_seed=3) for d in (4, 12)]
    m = G.merge(parts, [ds])
    assert int(m.trained.sum()) == 1
    assert float(m.trained_test_error.sel(snr=4.0, d_over_n=3.0, trial=0)) == \
        float(cell.trained_test_error)


def test_figure_from_netcdf(tmp_path):
    from shallownc import io
    from shallownc.figures import generalization as fg

    th = G.run_theory(dict(TINY, refine_trials=1), base_seed=3)
    assert np.isfinite(th.refined_error.isel(trial=0).where(th.status.isel(trial=0) == 1)).sum() > 0
    assert th.refined_error.isel(trial=1).isnull().all()
    path = io.write_netcdf(G.merge([th], []), tmp_path / "g.nc", {})
    out = fg.plot_experiment(path, tmp_path / "g.png")
    assert out.exists() and out.stat().st_size > 10_000
    io.write_netcdf(th.drop_vars("bound_instance"), tmp_path / "bad.nc", {})
    with pytest.raises(io.InputError, match="lacks variable"):
        fg.plot_experiment(tmp_path / "bad.nc", tmp_path / "bad.png")
