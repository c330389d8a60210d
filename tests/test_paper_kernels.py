"""Tests of shallownc.paper.kernels: the ReLU kernel H_inf of the paper's Theorem 6 / Lemma 9."""
import numpy as np
import pytest

from shallownc.paper import kernels as KK


def _unit(d=5, N=6, seed=0):
    return KK.unit_columns(np.random.default_rng(seed).standard_normal((d, N)))


@pytest.mark.parametrize("centring", KK.CENTRINGS)
def test_h_inf_closed_form_matches_monte_carlo(centring):
    """Closed form vs an independent Monte Carlo average over 4e5 draws z ~ N(0, I): entries
    agree within 5 standard errors (per-entry std <= 1, so 5/sqrt(4e5) = 0.008)."""
    X = _unit()
    H = KK.h_inf(X, centring)
    Hmc = KK.h_inf_monte_carlo(X, 400_000, seed=1, centring=centring)
    assert np.abs(H - Hmc).max() < 0.008


def test_printed_constants_and_the_erratum():
    """Theorem 6 as printed (c = sqrt(2/pi)) equals the uncentred arc-cosine kernel (2 c m = c^2);
    Lemma 9's E[ss^T] - (2/pi) J has diagonal 1/2 - 2/pi < 0 (not PSD); the covariance
    (c = E relu(g) = 1/sqrt(2 pi)) has diagonal 1/2 - 1/(2 pi)."""
    X = _unit(8, 10, 3)
    assert np.allclose(KK.h_inf(X, "theorem6"), KK.arccos1(X), atol=1e-15)
    L9 = KK.h_inf(X, "lemma9")
    assert np.allclose(np.diag(L9), 0.5 - 2 / np.pi) and KK.lambda_min(L9) < 0
    C = KK.h_inf(X, "corrected")
    assert np.allclose(np.diag(C), 0.5 - 1 / (2 * np.pi))
    assert KK.lambda_min(C) > 0
    g = np.random.default_rng(0).standard_normal(1_000_000)
    assert np.maximum(g, 0).mean() == pytest.approx(KK.MEAN_RELU, abs=3e-3)
    assert np.abs(g).mean() == pytest.approx(KK.PAPER_C, abs=3e-3)     # sqrt(2/pi) is E|g|


def test_arccos1_special_angles():
    """Parallel: 1/2; orthogonal: 1/(2 pi); antiparallel: 0 (Cho & Saul 2009, degree 1)."""
    X = np.array([[1.0, 1.0, 0.0, -1.0], [0.0, 0.0, 1.0, 0.0]])
    K = KK.arccos1(X)
    assert K[0, 1] == pytest.approx(0.5) and K[0, 2] == pytest.approx(1 / (2 * np.pi))
    assert K[0, 3] == pytest.approx(0.0, abs=1e-15)


def test_width_threshold_and_bad_input():
    X = _unit(4, 5, 2)
    lam = KK.lambda_min(KK.h_inf(X, "corrected"))
    assert KK.width_threshold(X, lam) == pytest.approx(
        np.linalg.norm(X, 2) ** 4 / lam ** 2 * 5 * np.log(5))
    assert np.isnan(KK.width_threshold(X, -0.1))
    with pytest.raises(ValueError, match="unit-norm"):
        KK.arccos1(2 * X)
    with pytest.raises(ValueError, match="centring"):
        KK.h_inf(X, "other")
    with pytest.raises(ValueError, match="zero columns"):
        KK.unit_columns(np.zeros((3, 2)))
