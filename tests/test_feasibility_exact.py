"""Issue 14.1-14.3: scale-invariant verification, exact infeasibility proofs, bad data.

Every instance has a known answer; "infeasible" (status 0) must be an exact proof.
"""
from fractions import Fraction

import numpy as np
import pytest

from shallownc import certify as C
from shallownc import data as D
from shallownc import feasibility as F

OPTS = F.SolverOptions()
NO_SHORTCUT = F.SolverOptions(shortcuts=False)
BOTH = pytest.mark.parametrize("opts", [OPTS, NO_SHORTCUT], ids=["shortcuts", "lp"])


def gaussian(d, n, K, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d, K * n)), np.repeat(np.arange(K), n)


def exact_identity(p, yc, zc):
    """A^T (y, z) = 0 and b^T (y, z) < 0 in exact rational arithmetic (floats as given)."""
    A = np.hstack([p.A_eq.T, p.A_ub.T])
    v = np.concatenate([yc, zc])
    ok = all(C.exact_dot(A[i], v) == 0 for i in range(A.shape[0]))
    return ok and C.exact_dot(np.concatenate([p.b_eq, p.b_ub]), v) < 0


# ------------------------------------------------------------------------ 14.1 scale

@BOTH
@pytest.mark.parametrize("d", [30, 15])
def test_scaling_the_other_class_changes_nothing(opts, d):
    X, y = gaussian(d, 10, 2, seed=1)
    ref = F.solve(F.class_lp(X, y, 0), opts)
    Xs = X.copy()
    Xs[:, y == 1] *= 1e-8               # X_j^T w <= 0 is homogeneous: the same LP
    v = F.solve(F.class_lp(Xs, y, 0), opts)
    assert v.status == ref.status and v.status in F.DECISIVE
    if v.status == F.FEASIBLE:          # its w satisfies the *unscaled* constraints too
        assert F.verify_point(F.class_lp(X, y, 0), v.w, OPTS, "t").status == F.FEASIBLE


def test_relative_violation_rejects_a_w_that_absolute_tolerance_accepted():
    # class-1 point = 1e-9 x a class-0 point: x^T w = 1e-9 > 0 is a full violation
    X, y = gaussian(30, 10, 2, seed=2)
    X[:, 12] = 1e-9 * X[:, 3]
    p = F.class_lp(X, y, 0)
    Xd = np.delete(X, 12, axis=1)
    w = F.solve(F.class_lp(Xd, np.delete(y, 12), 0), OPTS).w   # feasible without the point
    assert X[:, 12] @ w > 0 and X[:, 12] @ w < 1e-7             # passes an absolute 1e-7
    bad = F.verify_point(p, w, OPTS, "t")
    assert bad.status == F.UNDECIDED and bad.ineq_violation > 1e-3


@BOTH
def test_point_parallel_to_other_class_is_infeasible_never_feasible(opts):
    X, y = gaussian(30, 10, 2, seed=2)
    X[:, 12] = 2.0 ** -30 * X[:, 3]     # exactly parallel: exactly infeasible
    v = F.solve(F.class_lp(X, y, 0), opts)
    assert v.status == F.INFEASIBLE and v.proof
    assert exact_identity(F.class_lp(X, y, 0), *v.certificate) or v.proof == "float_bound"
    X[:, 12] = 1e-9 * X[:, 3]           # rounded: parallel only up to rounding
    v = F.solve(F.class_lp(X, y, 0), opts)
    assert v.status != F.FEASIBLE


@BOTH
@pytest.mark.parametrize("d,n", [(30, 8), (14, 10)])
def test_tiny_and_huge_data_scale_are_decided(opts, d, n):
    X, y = gaussian(d, n, 2, seed=4)
    ref = F.solve(F.class_lp(X, y, 0), opts)
    assert ref.status in F.DECISIVE
    for c in (1e-8, 1e8):
        v = F.solve(F.class_lp(c * X, y, 0), opts)
        assert v.status == ref.status, (c, v.reason)
        if v.status == F.FEASIBLE:
            assert np.allclose((c * X[:, y == 0]).T @ v.w, 1, atol=1e-7)


@BOTH
def test_mixed_point_scales(opts):
    X, y = gaussian(16, 10, 2, seed=6)
    ref = F.solve(F.class_lp(X, y, 0), opts)
    s = 10.0 ** np.random.default_rng(0).uniform(-6, 6, size=(y == 1).sum())
    Xs = X.copy()
    Xs[:, y == 1] *= s
    assert F.solve(F.class_lp(Xs, y, 0), opts).status == ref.status != F.UNDECIDED


# ------------------------------------------------------------------------ 14.2 proofs

@BOTH
@pytest.mark.parametrize("d", [2, 3])
def test_feasible_only_with_huge_norm_is_never_called_infeasible(opts, d):
    # x0^T w = 1, x1^T w <= 0 with x1 = x0 + eps e_2: every solution has |w_2| >= 1/eps
    eps = 2.0 ** -27                    # 1/eps = 1.3e8
    X = np.zeros((d, 2))
    X[:2, 0] = [1.0, 1.0]
    X[:2, 1] = [1.0, 1.0 + eps]
    y = np.array([0, 1])
    v = F.solve(F.class_lp(X, y, 0), opts)
    assert v.status != F.INFEASIBLE
    if v.status == F.FEASIBLE:
        assert v.w_norm >= 1e8


def test_proofs_are_exact_identities_on_small_instances():
    # the float-bound proof agrees with exact rational elimination of the same support
    for seed in range(5):
        X, y = gaussian(9, 8, 2, seed=seed)  # d/n = 1.1 < 1.5: infeasible w.h.p.
        p = F.class_lp(X, y, 0)
        v = F.solve(p, NO_SHORTCUT)
        assert v.status == F.INFEASIBLE and v.proof == "float_bound"
        yc, zc = v.certificate
        S = np.flatnonzero(zc > 0)
        M = np.vstack([np.hstack([p.A_eq.T, p.A_ub[S].T]), np.r_[p.b_eq, p.b_ub[S]][None]])
        rhs = np.r_[np.zeros(M.shape[0] - 1), -1.0]
        pos = np.r_[np.zeros(p.A_eq.shape[0], bool), np.ones(S.size, bool)]
        ok, vex = C.solve_exact(M, rhs, pos, max_ops=1e7)
        assert ok and all(x > 0 for x in vex[p.A_eq.shape[0]:])
        assert np.allclose([float(x) for x in vex], np.r_[yc, zc[S]], rtol=1e-8, atol=1e-12)


def test_prove_square_rejects_wrong_signs_and_singular_systems():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((5, 5))
    rhs = np.r_[np.zeros(4), -1.0]
    v = np.linalg.solve(M, rhs)
    assert C.prove_square(M, rhs, v > 0)[0]
    assert not C.prove_square(M, rhs, v < 0)[0]          # a negative sign cannot be proven
    S = M.copy()
    S[:, 4] = S[:, 3]
    assert not C.prove_square(S, rhs, np.zeros(5, bool))[0]


def test_exact_dot_is_exact():
    a = np.array([1e16, 1.0, -1e16])
    b = np.array([1.0, 1.0, 1.0])
    assert C.exact_dot(a, b) == 1 and float(np.sum(a * b)) == 0.0  # float sum loses the 1
    assert C.exact_dot(np.array([0.1]), np.array([3.0])) == Fraction(0.1) * 3


@BOTH
def test_d_below_n_and_d_equal_n_certificates_are_proofs(opts):
    for d in (6, 10):
        X, y = gaussian(d, 10, 2, seed=7)
        v = F.solve(F.class_lp(X, y, 0), opts)
        if v.status == F.INFEASIBLE:
            assert v.proof in ("float_bound", "exact_rational")
        else:
            assert v.status == F.FEASIBLE and d == 10


# ------------------------------------------------------------------------ 14.3 bad data

@BOTH
def test_duplicate_across_classes_is_infeasible(opts):
    X, y = gaussian(25, 5, 2, seed=3)   # d >= N: feasible without the duplicate
    X[:, 7] = X[:, 2]
    for k in (0, 1):
        v = F.solve(F.class_lp(X, y, k), opts)
        assert v.status == F.INFEASIBLE and v.proof == "exact_rational"
        assert exact_identity(F.class_lp(X, y, k), *v.certificate)


def exact_answer_square(X0, X1):
    """Exact verdict of X0^T w = 1, X1^T w <= 0 for a nonsingular square integer-ish X0."""
    d = X0.shape[0]
    w = C.solve_fraction_square([[C.Fraction(float(X0[r, i])) for r in range(d)]
                                 for i in range(d)], [C.Fraction(1)] * d)
    return all(sum(C.Fraction(float(X1[r, j])) * w[r] for r in range(d)) <= 0
               for j in range(X1.shape[1]))


@BOTH
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mirror", [False, True], ids=["random", "mirrored"])
def test_d_equal_n_near_singular(opts, seed, mirror):
    # integer data, x_9 = x_8 + x_7 - x_6 + 2^-40 e_1: exactly nonsingular, nearly singular
    # in floats (cond ~ 1e13); the exact answer is computed in rational arithmetic.
    # mirrored: class 1 = -class 0, exactly feasible (x_j^T w = -1; the consistent right-hand
    # side keeps ||w|| moderate: w_1 = 0)
    rng = np.random.default_rng(seed)
    X = rng.integers(-5, 6, size=(10, 20)).astype(float)
    X[:, 9] = X[:, 8] + X[:, 7] - X[:, 6]
    X[0, 9] += 2.0 ** -40
    if mirror:
        X[:, 10:] = -X[:, :10]
    y = np.repeat([0, 1], 10)
    truth = F.FEASIBLE if exact_answer_square(X[:, :10], X[:, 10:]) else F.INFEASIBLE
    v = F.solve(F.class_lp(X, y, 0), opts)
    assert v.status in (truth, F.UNDECIDED, F.INFEASIBLE_WITHIN_RADIUS)
    if truth == F.INFEASIBLE:
        assert v.status == F.INFEASIBLE and v.proof  # exact proofs exist on this support


@pytest.mark.parametrize("d", [4, 30])  # d < N and d >= N (where LinAlgError escaped)
def test_nonfinite_data_are_rejected_with_a_clear_error(d):
    X, y = gaussian(d, 5, 2)
    X[1, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        F.solve_classes(X, y, OPTS)
    X[1, 3] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        F.class_lp(X, y, 0)


# ------------------------------------------------------------------ sigma = 0 (14.8)

@pytest.mark.parametrize("geometry,K,angle,expect", [
    ("angle", 2, 180.0, F.FEASIBLE), ("angle", 2, 90.0, F.FEASIBLE),
    ("angle", 2, 30.0, F.FEASIBLE), ("angle", 2, 0.0, F.INFEASIBLE),
    ("orthogonal", 4, 0.0, F.FEASIBLE), ("noise", 3, 0.0, F.INFEASIBLE)])
def test_noiseless_decided_exactly(geometry, K, angle, expect):
    M = D.mean_matrix(geometry, K, 12, 1.0, angle)
    for k in range(K):
        v = F.decide_noiseless(M, 5, k)
        assert v.status == expect and v.proof == "exact_rational"
        y = np.repeat(np.arange(K), 5)
        p = F.class_lp(M[:, y], y, k)
        if expect == F.FEASIBLE:
            assert F.verify_point(p, v.w, OPTS, "t").status == F.FEASIBLE
        else:
            yc, zc = v.certificate
            assert yc.shape == (5,) and zc.shape == ((K - 1) * 5,) and (zc >= 0).all()


def test_noiseless_mean_in_cone_of_others():
    M = np.eye(6, 3)
    M[:, 2] = 0.5 * M[:, 0] + 0.25 * M[:, 1]   # mu_3 in cone(mu_1, mu_2): class 3 infeasible
    assert F.decide_noiseless(M, 4, 2).status == F.INFEASIBLE
    assert F.decide_noiseless(M, 4, 0).status == F.FEASIBLE  # mu_1 not in cone(mu_2, mu_3)
    M[:, 2] = 0.5 * M[:, 0] - 0.25 * M[:, 1]   # now outside the cone
    assert F.decide_noiseless(M, 4, 2).status == F.FEASIBLE


def test_status_codes_and_combination():
    assert F.STATUS_NAMES[F.INFEASIBLE_WITHIN_RADIUS] == "infeasible_within_radius"
    assert F.all_classes_status([1, -2]) == F.INFEASIBLE_WITHIN_RADIUS
    assert F.all_classes_status([-1, -2]) == F.INFEASIBLE_WITHIN_RADIUS
    assert F.all_classes_status([-2, 0]) == F.INFEASIBLE
    import xarray as xr
    s = xr.DataArray(np.array([[1, 1], [1, -2], [-1, 1], [0, -2]]), dims=("cell", "class"))
    assert list(F.all_classes_status_array(s).values) == [1, -2, -1, 0]


def test_solver_options_from_validated_config_only():
    from shallownc import config

    cfg = config.validate({"solver": {}})
    opts = F.SolverOptions.from_config(cfg["solver"])
    assert opts == F.SolverOptions()               # the schema's defaults = the dataclass's
    with pytest.raises(ValueError, match="missing"):
        F.SolverOptions.from_config({"tolerance": 1e-8})
    assert F.SolverOptions.from_config(None) == F.SolverOptions()


def test_fast_class_lp_path_on_the_crafted_instances():
    # decide_class_lp (active set, NNLS) must give the same known answers as solve()
    X, y = gaussian(30, 10, 2, seed=2)
    X[:, 12] = 2.0 ** -30 * X[:, 3]
    v = F.decide_class_lp(X, y, 0, OPTS)
    assert v.status == F.INFEASIBLE and v.proof
    X[:, 12] = 1e-9 * X[:, 3]
    assert F.decide_class_lp(X, y, 0, OPTS).status != F.FEASIBLE
    X, y = gaussian(25, 5, 2, seed=3)
    X[:, 7] = X[:, 2]
    assert F.decide_class_lp(X, y, 0, OPTS).status == F.INFEASIBLE
    eps = 2.0 ** -27
    X = np.zeros((3, 2))
    X[:2, 0], X[:2, 1] = [1.0, 1.0], [1.0, 1.0 + eps]
    assert F.decide_class_lp(X, np.array([0, 1]), 0, OPTS).status != F.INFEASIBLE
    X, y = gaussian(14, 10, 2, seed=4)
    for c in (1e-8, 1e8):
        assert (F.decide_class_lp(c * X, y, 0, OPTS).status
                == F.solve(F.class_lp(X, y, 0), OPTS).status)
