"""The verified LP engine on instances with known answers (docs/science.md §4)."""
import numpy as np
import pytest

from shallownc import feasibility as F

OPTS = F.SolverOptions()
NO_SHORTCUT = F.SolverOptions(shortcuts=False)


def gaussian(d, n, K, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d, K * n)), np.repeat(np.arange(K), n)


@pytest.mark.parametrize("opts", [OPTS, NO_SHORTCUT], ids=["shortcuts", "lp"])
def test_d_at_least_N_is_feasible(opts):
    X, y = gaussian(d=25, n=8, K=3)
    nc, sep = F.solve_classes(X, y, opts)
    for v in nc:
        assert v.status == F.FEASIBLE
        assert v.eq_residual <= 1e-7 and v.ineq_violation <= 1e-7
        Xk, Xo = X[:, y == 0], X[:, y != 0]
    w = nc[0].w
    assert np.allclose(Xk.T @ w, 1, atol=1e-7) and (Xo.T @ w <= 1e-7).all()
    assert all(v.status == F.FEASIBLE for v in sep)


@pytest.mark.parametrize("opts", [OPTS, NO_SHORTCUT], ids=["shortcuts", "lp"])
def test_d_below_n_is_infeasible_with_certificate(opts):
    X, y = gaussian(d=6, n=10, K=2)
    v = F.solve(F.class_lp(X, y, 0), opts)
    assert v.status == F.INFEASIBLE
    yc, zc = v.certificate
    assert (zc >= 0).all() and np.isclose(yc.sum(), -1)
    r = X[:, y == 0] @ yc + X[:, y != 0] @ zc
    assert np.linalg.norm(r) * 1e6 <= np.linalg.norm(X, axis=0).max()


@pytest.mark.parametrize("opts", [OPTS, NO_SHORTCUT], ids=["shortcuts", "lp"])
def test_not_separable_is_infeasible(opts):
    # a class-1 sample equals a class-0 sample: x^T w = 1 and x^T w <= 0 cannot both hold,
    # and d >= N, so the full-rank shortcut must not claim feasibility
    X, y = gaussian(d=20, n=5, K=2, seed=3)
    X[:, 7] = X[:, 2]
    nc, sep = F.solve_classes(X, y, opts)
    assert nc[0].status == F.INFEASIBLE and nc[1].status == F.INFEASIBLE
    assert sep[0].status == F.INFEASIBLE
    yc, zc = nc[0].certificate
    assert np.isclose(yc.sum(), -1) and (zc >= 0).all()


def test_feasible_but_classes_overlap_in_mean_is_decided_by_lp():
    # pure noise near the transition: a real LP decision, both outcomes verified
    X, y = gaussian(d=60, n=40, K=2, seed=5)
    v = F.solve(F.class_lp(X, y, 0), OPTS)
    assert v.status in (F.FEASIBLE, F.INFEASIBLE) and not v.method.startswith("shortcut")
    if v.status == F.FEASIBLE:
        assert v.eq_residual <= 1e-7
    else:
        assert v.proof in ("float_bound", "exact_rational")


def test_corrupted_certificates_are_rejected():
    X, y = gaussian(d=40, n=30, K=2, seed=1)  # d/n = 1.33: infeasible w.h.p. for noise
    p = F.class_lp(X, y, 0)
    v = F.solve(p, NO_SHORTCUT)
    assert v.status == F.INFEASIBLE
    yc, zc = v.certificate
    assert F.verify_farkas(p, yc, zc, OPTS, "t").status == F.INFEASIBLE
    rng = np.random.default_rng(0)
    # a perturbed certificate with the same support is repaired into an exact proof
    noisy = F.verify_farkas(p, yc + 1e-3 * rng.standard_normal(yc.shape), zc, OPTS, "t")
    assert noisy.status == F.INFEASIBLE and noisy.proof
    # multipliers moved onto other points: no proof, and the residual excludes no radius
    moved = F.verify_farkas(p, yc, np.roll(zc, 1), OPTS, "t")
    assert moved.status == F.UNDECIDED and "radius" in moved.reason
    neg = zc.copy()
    neg[np.argmax(neg)] *= -1
    assert F.verify_farkas(p, yc, neg, OPTS, "t").status == F.UNDECIDED
    assert F.verify_farkas(p, -yc, zc, OPTS, "t").status == F.UNDECIDED  # wrong sign of b^T y
    assert F.verify_farkas(p, 0 * yc, 0 * zc, OPTS, "t").status == F.UNDECIDED


def test_corrupted_point_is_rejected():
    X, y = gaussian(d=30, n=5, K=2, seed=2)
    p = F.class_lp(X, y, 0)
    v = F.solve(p, OPTS)
    assert v.status == F.FEASIBLE
    bad = F.verify_point(p, v.w * 1.01, OPTS, "t")
    assert bad.status == F.UNDECIDED and "fails verification" in bad.reason
    w2 = v.w - 0.1 * X[:, y == 1][:, 0]  # pushes a class-1 point above zero
    assert F.verify_point(p, w2, OPTS, "t").status == F.UNDECIDED


def test_farkas_lp_alone_certifies_infeasibility_and_cannot_claim_feasibility():
    X, y = gaussian(d=40, n=30, K=2, seed=1)
    only_farkas = F.SolverOptions(methods=("farkas_lp",), shortcuts=False)
    assert F.solve(F.class_lp(X, y, 0), only_farkas).status == F.INFEASIBLE
    Xf, yf = gaussian(d=30, n=5, K=2, seed=2)
    v = F.solve(F.class_lp(Xf, yf, 0), only_farkas)
    assert v.status == F.UNDECIDED and v.reason


def test_solver_that_cannot_decide_is_recorded_as_undecided():
    X, y = gaussian(d=60, n=40, K=2, seed=5)
    opts = F.SolverOptions(methods=("dual_simplex",), time_limit=1e-9, shortcuts=False)
    v = F.solve(F.class_lp(X, y, 0), opts)
    assert v.status == F.UNDECIDED
    assert "dual_simplex" in v.reason


def test_fallback_method_decides_when_first_cannot():
    X, y = gaussian(d=60, n=40, K=2, seed=5)
    opts = F.SolverOptions(methods=("dual_simplex", "ipm", "farkas_lp"), shortcuts=False)
    ref = F.solve(F.class_lp(X, y, 0), opts)
    # make the first method useless (tiny time limit applies to each method; use ipm only)
    ipm = F.solve(F.class_lp(X, y, 0), F.SolverOptions(methods=("ipm", "farkas_lp"),
                                                        shortcuts=False))
    assert ipm.status == ref.status != F.UNDECIDED


def test_all_classes_status():
    assert F.all_classes_status([1, 1]) == F.FEASIBLE
    assert F.all_classes_status([1, -1]) == F.UNDECIDED
    assert F.all_classes_status([-1, 0]) == F.INFEASIBLE
