"""Tests of shallownc.upfm_imbalanced: the imbalanced UPFM closed form (reports/imbalance.md
I1-I4), its certificate (I5), NC targets (I6), thresholds (I4, I7) and input errors."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from shallownc import upfm as U
from shallownc import imbalance as IM
from shallownc import upfm_imbalanced as UI


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Tiny matrices: multi-threaded BLAS only adds overhead (20x on a busy host)."""
    with threadpool_limits(1):
        yield


def test_balanced_sequence_is_theorem_2_as_printed():
    """Sizes [300, 300] give paper Theorem 2(a)'s a = 7.1623931940 (K=2, lambda_W=1e-3,
    lambda_H=1e-6), the balanced closed form's value and h^2 = b."""
    cf = U.closed_form("ce", "upfm", 2, [300, 300], 1e-3, 1e-6)
    assert isinstance(cf, UI.ImbalancedClosedForm)
    np.testing.assert_allclose(cf.scales, 7.1623931940, rtol=0, atol=5e-11)
    bal = U.closed_form("ce", "upfm", 2, 300, 1e-3, 1e-6)
    assert cf.value == pytest.approx(bal.value, rel=1e-14)
    b = np.sqrt((2 - 1) / (300 * 2) * 1e-3 / 1e-6) * 7.1623931940       # Theorem 2(a)
    np.testing.assert_allclose(cf.feature_norms ** 2, b, rtol=1e-10)


@pytest.mark.parametrize("loss", U.LOSSES)
@pytest.mark.parametrize("K,n,ratio", [(2, 3, 0.2), (3, 5, 0.7), (5, 2, 1.3), (4, 7, 1.0)])
def test_equal_sizes_equal_balanced_closed_form(loss, K, n, ratio):
    lw, lh = U.lambdas_from_ratio(ratio, loss, K, n, 0.5, 2.0)
    a = U.closed_form(loss, "upfm", K, n, lw, lh)
    b = U.closed_form(loss, "upfm", K, [n] * K, lw, lh)
    assert b.value == pytest.approx(a.value, rel=1e-13)
    np.testing.assert_allclose(b.scales, a.scale, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b.thresholds, a.threshold, rtol=1e-14)
    Wa, Ha = a.weights(K)
    Wb, Hb = b.weights(K)
    np.testing.assert_allclose(Hb, Ha, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(Wb, Wa, rtol=1e-12, atol=1e-15)


def _random_case(rng, i):
    """K <= 5, sizes 1..9 (imbalance.random_case: lambdas around the class thresholds, so some,
    all or no classes vanish, kept >= 8% away from every threshold)."""
    return IM.random_case(rng, i, K_max=5, n_max=9)


def test_closed_form_certificate_and_lbfgs_agree_on_60_random_imbalanced_cases():
    """Closed form (I3), the N x N certificate at it (upfm.certificate, D§5 / I5), its K x K
    reduction (I5) and the best of up to 12 float64 L-BFGS-B starts (width 8K) agree to 1e-10 relative; no
    start goes below the certified bound; vanished classes occur (and not only in all-zero
    cases)."""
    rng = np.random.default_rng(20240903)
    worst = {"formula": 0.0, "cert": 0.0, "classwise": 0.0, "lbfgs": 0.0}
    n_partial = n_all = 0
    for i in range(60):
        loss, K, sizes, lw, lh = _random_case(rng, i)
        cf = U.closed_form(loss, "upfm", K, sizes, lw, lh)
        y = UI.labels(sizes)
        W, H = cf.weights(2 * K)
        F = cf.value
        worst["formula"] = max(worst["formula"],
                               abs(U.objective(W, H, y, lw, lh, loss) - F) / F)
        cert = U.certificate(W, H, y, lw, lh, loss)
        cw = cf.certificate()
        worst["cert"] = max(worst["cert"], abs(cert.lower_bound - F) / F)
        worst["classwise"] = max(worst["classwise"], abs(cw.lower_bound - cert.lower_bound) / F,
                                 abs(cw.rho - cert.rho) / max(cert.rho, 1e-300))
        best = np.inf
        for _ in range(12):     # width 8K: fewer "dead class" spurious minima (I§5)
            sol = U.solve_one(y, K, lw, lh, loss, "upfm", rng,
                              U.SolverSettings(width=8 * K, gtol=1e-12, ftol=0.0, max_iter=5000))
            assert sol.value >= cert.lower_bound - 1e-12 * F
            best = min(best, sol.value)
            if best - F <= 1e-11 * F:
                break
        worst["lbfgs"] = max(worst["lbfgs"], abs(best - F) / F)
        v = cf.vanished
        n_partial += bool(v.any() and not v.all())
        n_all += bool(v.all())
    assert max(worst.values()) <= 1e-10, worst
    assert n_partial >= 10 and n_all >= 3, (n_partial, n_all)


@pytest.mark.parametrize("loss", U.LOSSES)
def test_class_vanishes_exactly_at_its_threshold(loss):
    """(I4): just below class k's threshold its margin is > 0, at and above it is 0, and the
    smallest class goes first; margins are continuous (-> 0) at the threshold."""
    K, sizes = 3, np.array([9, 4, 1])
    thr = UI.class_thresholds(loss, K, sizes)
    assert np.all(np.diff(thr) < 0)                                   # smaller class, lower thr
    for k in range(K):
        lo = U.closed_form(loss, "upfm", K, sizes, thr[k] * (1 - 1e-9), 1.0)
        at = U.closed_form(loss, "upfm", K, sizes, thr[k], 1.0)
        assert not lo.vanished[k] and 0 < lo.scales[k] < 1e-3
        assert at.vanished[k] and at.feature_norms[k] == 0
        assert np.array_equal(at.vanished, sizes <= sizes[k])


@pytest.mark.parametrize("loss", U.LOSSES)
def test_classwise_certificate_is_a_valid_bound_at_random_candidates(loss):
    """(I5) equals upfm.certificate on the expanded labels at arbitrary class-constant logits,
    and stays below F at random (W, H >= 0) and below F*."""
    rng = np.random.default_rng(7)
    for _ in range(10):
        K = int(rng.integers(2, 6))
        sizes = rng.integers(1, 8, size=K)
        lw, lh = np.exp(rng.uniform(-6, -1, size=2))
        Zc = rng.normal(0, 3, size=(K, K))
        y = UI.labels(sizes)
        cw = UI.certificate_classwise(Zc, sizes, lw, lh, loss)
        # a candidate realizing Zc: H = class indicators, W = Zc
        cert = U.certificate(Zc, np.eye(K)[:, y], y, lw, lh, loss)
        assert cw.lower_bound == pytest.approx(cert.lower_bound, rel=1e-12, abs=1e-15)
        assert cw.rho == pytest.approx(cert.rho, rel=1e-12)
        F = U.closed_form(loss, "upfm", K, sizes, lw, lh).value
        assert cw.lower_bound <= F + 1e-14
        W, H = rng.normal(size=(K, 3)), np.abs(rng.normal(size=(3, y.size)))
        assert cw.lower_bound <= U.objective(W, H, y, lw, lh, loss)


def test_nc_targets_of_numerical_minimizer():
    """(I6): the best numerical minimizer has NC1, H-bar^T H-bar = diag(h_k^2) (orthogonal,
    unequal norms, zero for the vanished class), W W^T and W H-bar as the closed form; the
    balanced targets (I_K, C_K) are measurably wrong."""
    K, sizes = 3, np.array([8, 4, 1])
    thr = UI.class_thresholds("ce", K, sizes)
    lw = lh = float(np.sqrt(0.5 * (thr[1] + thr[2])))                # class 2 vanishes only
    cf = U.closed_form("ce", "upfm", K, sizes, lw, lh)
    assert cf.vanished.tolist() == [False, False, True]
    y = UI.labels(sizes)
    rng = np.random.default_rng(3)
    sols = [U.solve_one(y, K, lw, lh, "ce", "upfm", rng, U.SolverSettings(width=6))
            for _ in range(4)]
    best = min(sols, key=lambda s: s.value)
    assert best.value - cf.value <= 1e-10 * cf.value
    from shallownc import metrics
    Hbar = metrics.class_means(best.H, y, K)
    assert metrics.nc1(best.H, y, K) < 1e-10
    np.testing.assert_allclose(np.linalg.norm(Hbar, axis=0), cf.feature_norms, atol=1e-5)
    T = cf.targets()
    assert UI.nc_target_error(Hbar.T @ Hbar, T["gram_H"]) < 1e-6
    assert UI.nc_target_error(best.W @ best.W.T, T["gram_W"]) < 1e-6
    assert UI.nc_target_error(best.W @ Hbar, T["logits"]) < 1e-6
    assert UI.nc_target_error(Hbar.T @ Hbar, np.eye(K)) > 0.3
    Ck = np.eye(K) - 1.0 / K
    assert UI.nc_target_error(best.W @ best.W.T, Ck) > 0.1


def test_two_group_ratio_threshold_matches_closed_form():
    """(I7): at lam fixed, the minority (k_B classes of n_B) vanishes exactly from r* on."""
    k_A, k_B, n_B, lam = 2, 2, 5, 0.01
    r_star = float(UI.two_group_ratio_threshold(lam, n_B, k_A, k_B))
    for r, gone in ((r_star * 0.99, False), (r_star * 1.01, True)):
        n_A = r * n_B     # a non-integer size is fine for the formula: use the class threshold
        N = k_A * n_A + k_B * n_B
        thr_B = (k_A + k_B - 1) * n_B / ((k_A + k_B) * N ** 2)
        assert (lam ** 2 >= thr_B) == gone
    # the UFM form (K_minus_1_over_K=1) is Hong & Ling 2024's N lambda_Z = sqrt(n_B)
    r_u = float(UI.two_group_ratio_threshold(lam, n_B, k_A, k_B, K_minus_1_over_K=1.0))
    N = k_A * r_u * n_B + k_B * n_B
    assert lam ** 2 == pytest.approx(UI.ufm_minority_collapse_threshold(r_u * n_B, n_B, k_A,
                                                                          k_B), rel=1e-12)
    assert N * lam == pytest.approx(np.sqrt(n_B), rel=1e-12)
    assert r_u > r_star                                       # the ReLU minority vanishes first


@pytest.mark.parametrize("K,n,msg", [
    (3, [4, 0, 2], "zero samples"),
    (3, [4, 2], "give 2 classes, but K = 3"),
    (2, [4, 2.5], "positive integer"),
    (1, 5, "K >= 2"),
])
def test_bad_sizes_raise_clear_errors(K, n, msg):
    with pytest.raises(ValueError, match=msg):
        U.closed_form("ce", "upfm", K, n, 1e-3, 1e-3)


def test_ce_ufm_closed_form_is_balanced_only():
    with pytest.raises(ValueError, match="balanced-only"):
        U.closed_form("ce", "ufm", 2, [5, 3], 1e-3, 1e-3)
    # MSE: the bias-free UFM has the same minimizer (I§3)
    a = U.closed_form("mse", "ufm", 2, [5, 3], 1e-3, 1e-3)
    assert a.value == U.closed_form("mse", "upfm", 2, [5, 3], 1e-3, 1e-3).value
    with pytest.raises(ValueError, match="k_B >= 2"):
        UI.ufm_minority_collapse_threshold(10, 2, 1, 1)


def test_mse_ufm_with_sizes_equals_upfm_numerically():
    """I§3: bias-free MSE, free features: L-BFGS-B on the UFM reaches the same F* as the UPFM
    closed form under imbalance (singular-value thresholding of Y, singular values sqrt(n_k))."""
    sizes = np.array([7, 3, 1])
    thr = UI.class_thresholds("mse", 3, sizes)
    lam = float(np.sqrt(0.5 * (thr[1] + thr[2])))          # the n = 1 class vanishes
    cf = U.closed_form("mse", "ufm", 3, sizes, lam, lam)
    assert cf.vanished.tolist() == [False, False, True]
    y = UI.labels(sizes)
    rng = np.random.default_rng(2)
    best = min(U.solve_one(y, 3, lam, lam, "mse", "ufm", rng, U.SolverSettings(width=6)).value
               for _ in range(3))
    assert abs(best - cf.value) <= 1e-10 * cf.value
