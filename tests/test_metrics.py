"""Neural-collapse metrics on constructed features with known values (shallownc.metrics)."""
import numpy as np
import pytest

from shallownc import metrics as M


def frame_features(K=3, p=5, n=4, scale=2.0):
    """Every class-k feature equals scale * e_k: a perfect orthogonal frame."""
    H = np.zeros((p, K * n))
    y = np.repeat(np.arange(K), n)
    H[y, np.arange(K * n)] = scale
    return H, y


def test_orthogonal_frame_is_fully_collapsed():
    H, y = frame_features()
    Hbar = M.class_means(H, y)
    assert M.nc1(H, y) == 0.0
    assert M.nc1_trace_ratio(H, y) == 0.0
    assert M.nc2_orthogonal_frame(Hbar) == pytest.approx(0.0, abs=1e-15)
    # the centred orthogonal frame is a simplex ETF with equal norms and angles
    assert M.nc2_etf(Hbar) == pytest.approx(0.0, abs=1e-12)
    assert M.equinorm(Hbar) == pytest.approx(0.0, abs=1e-12)
    assert M.equiangularity(Hbar) == pytest.approx(0.0, abs=1e-12)
    W = (Hbar - Hbar.mean(axis=1, keepdims=True)).T * 3.0
    assert M.nc3(W, Hbar, "ce") == pytest.approx(0.0, abs=1e-12)
    assert M.nc3(Hbar.T, Hbar, "mse") == pytest.approx(0.0, abs=1e-12)
    assert M.nc3(Hbar.T, Hbar, "ce") > 0.1  # uncentred W is not the CE target
    logits = W @ H
    assert M.nc4(logits, H, Hbar) == 0.0
    assert M.error_rate(logits, y) == 0.0


def test_hand_computed_one_dimensional_case():
    # class 0: {0, 2} (mean 1), class 1: {4, 6} (mean 5); mu_G = 3
    H = np.array([[0.0, 2.0, 4.0, 6.0]])
    y = np.array([0, 0, 1, 1])
    # Sigma_W = (1 + 1 + 1 + 1)/4 = 1, Sigma_B = ((1-3)^2 + (5-3)^2)/2 = 4
    Sw, Sb = M.scatter_matrices(H, y)
    assert Sw[0, 0] == pytest.approx(1.0) and Sb[0, 0] == pytest.approx(4.0)
    assert M.nc1(H, y) == pytest.approx(0.5 * 1.0 / 4.0)  # (1/K) Tr(Sw Sb^+)
    assert M.nc1_trace_ratio(H, y) == pytest.approx(0.25)


def test_k2_rank_one_between_scatter():
    # means (1,0,0), (0,1,0): Sigma_B = c c^T with c = (0.5,-0.5,0), eigenvalue 0.5, v ∝ (1,-1,0)
    v = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    mus = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    a = 0.3
    H = np.stack([mus[0] + a * v, mus[0] - a * v, mus[1] + a * v, mus[1] - a * v], axis=1)
    y = np.array([0, 0, 1, 1])
    # Sigma_W = a^2 v v^T  ->  NC1 = (1/2) a^2 / 0.5 = a^2
    assert M.nc1(H, y) == pytest.approx(a ** 2, rel=1e-12)
    # scatter orthogonal to the between-class direction is invisible to NC1 (rank one) ...
    e3 = np.array([0.0, 0.0, 1.0])
    H2 = np.stack([mus[0] + a * e3, mus[0] - a * e3, mus[1] + a * e3, mus[1] - a * e3], axis=1)
    assert M.nc1(H2, y) == pytest.approx(0.0, abs=1e-15)
    # ... but not to the trace ratio: Tr Sw = a^2, Tr Sb = 0.5
    assert M.nc1_trace_ratio(H2, y) == pytest.approx(a ** 2 / 0.5)


def test_nc1_matches_pinv_formula_and_is_never_negative():
    rng = np.random.default_rng(0)
    for K, p in ((2, 7), (3, 10), (5, 4), (4, 30)):
        y = np.repeat(np.arange(K), 6)
        H = np.abs(rng.standard_normal((p, K * 6))) + rng.standard_normal((p, K))[:, y]
        Sw, Sb = M.scatter_matrices(H, y)
        ref = np.trace(Sw @ np.linalg.pinv(Sb, rcond=1e-10, hermitian=True)) / K
        assert M.nc1(H, y) == pytest.approx(ref, rel=1e-8)
    # nearly collapsed float32 features: public float32 pinv code goes negative here
    for s in range(20):
        rng = np.random.default_rng(s)
        K, p = 3, 50
        y = np.repeat(np.arange(K), 10)
        means = np.abs(rng.standard_normal((p, K)))
        H = (means[:, y] + 1e-6 * rng.standard_normal((p, K * 10))).astype(np.float32)
        v = M.nc1(H, y)
        assert v >= 0.0 and v < 1e-6


def test_undefined_cases_are_nan_not_zero():
    H = np.ones((4, 6))  # every class has the same mean: Sigma_B = 0
    y = np.repeat([0, 1], 3)
    assert np.isnan(M.nc1(H, y))
    assert np.isnan(M.nc1_trace_ratio(H, y))
    assert np.isnan(M.nc1(np.full((4, 6), np.nan), y))
    with pytest.raises(ValueError, match="at least one sample"):
        M.nc1(np.ones((2, 3)), np.array([0, 0, 2]))
    with pytest.raises(ValueError, match="one entry per column"):
        M.nc1(np.ones((2, 3)), np.array([0, 1]))


def test_nc2_values_for_antipodal_and_etf():
    anti = np.array([[1.0, -1.0]])  # K = 2 antipodal means: a simplex ETF, not orthogonal
    assert M.nc2_etf(anti) == pytest.approx(0.0, abs=1e-12)
    # G = [[1,-1],[-1,1]], ||G|| = 2: entries of G/2 - I/sqrt2 are 0.5-0.7071 and -0.5
    ref = np.sqrt(2 * (0.5 - 1 / np.sqrt(2)) ** 2 + 2 * 0.25)
    assert M.nc2_orthogonal_frame(anti) == pytest.approx(ref)
    # means (0,0), (0,4), (4,0): centred norms differ (1.89, 2.98, 2.98), equinorm > 0
    Hbar = np.array([[0.0, 0.0, 4.0], [0.0, 4.0, 0.0]])
    assert M.equinorm(Hbar) > 0.1


def test_nc4_margin_error_hand_values():
    H = np.array([[1.0, 0.9, 0.0, 0.2], [0.0, 0.1, 1.0, 0.8]])
    y = np.array([0, 0, 1, 1])
    Hbar = M.class_means(H, y)
    logits = np.array([[2.0, 1.0, 0.0, 0.5], [0.0, 0.0, 1.0, 1.0]])
    assert M.error_rate(logits, y) == 0.0
    assert M.margin(logits, y) == pytest.approx(0.5)  # sample 3: 1.0 - 0.5
    wrong = logits.copy()
    wrong[:, 3] = [2.0, 0.0]
    assert M.nc4(wrong, H, Hbar) == pytest.approx(0.25)
    assert M.error_rate(wrong, y) == pytest.approx(0.25)
    assert M.margin(wrong, y) == pytest.approx(-2.0)


def _paper_metrics_reference(W, Hbar):
    """Paper (3.3) in the paper's own orientation, written independently: the paper's
    classifier Wp (p x K) has logits Wp^T h, i.e. Wp = W^T for our K x p W."""
    Wp = np.asarray(W, dtype=np.float64).T
    K = Wp.shape[1]
    C = np.eye(K) - np.full((K, K), 1.0 / K)
    G_H = Hbar.T @ Hbar
    G_W = Wp.T @ Wp
    Z = Wp.T @ Hbar
    f = lambda A: np.sqrt((A ** 2).sum())  # noqa: E731 (Frobenius norm by hand)
    return (f(G_H / f(G_H) - np.eye(K) / np.sqrt(K)),
            f(G_W / f(G_W) - C / np.sqrt(K - 1)),
            f(Z / f(Z) - C / np.sqrt(K - 1)))


@pytest.mark.parametrize("K,p", [(2, 7), (3, 5), (4, 9)])
def test_paper_metrics_equal_an_independent_computation(K, p):
    rng = np.random.default_rng(40 + K)
    Hbar = np.abs(rng.standard_normal((p, K)))
    W = rng.standard_normal((K, p))
    ref = _paper_metrics_reference(W, Hbar)
    got = (M.nc2_h_paper(Hbar), M.nc2_w_paper(W), M.nc3_paper(W, Hbar))
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert M.nc2_h_paper(Hbar) == M.nc2_orthogonal_frame(Hbar)
    H = np.repeat(Hbar, 3, axis=1) + 0.1 * rng.standard_normal((p, 3 * K))
    y = np.repeat(np.arange(K), 3)
    allm = M.all_metrics(H, y, W, W @ H)
    Hb = M.class_means(H, y)
    np.testing.assert_allclose([allm["nc2_h_paper"], allm["nc2_w_paper"], allm["nc3_paper"]],
                               _paper_metrics_reference(W, Hb), rtol=1e-12)
    assert {"nc2_h_paper", "nc2_w_paper", "nc3_paper"} <= set(M.METRIC_ATTRS)


def test_paper_metrics_vanish_at_the_collapsed_solution():
    # paper Definition 1 / Theorem 2: Hbar^T Hbar ∝ I_K, W^T W ∝ C_K, W^T Hbar ∝ C_K
    K, p = 3, 6
    Hbar = np.zeros((p, K))
    Hbar[np.arange(K), np.arange(K)] = 2.5                 # orthogonal, equal norms
    W = 0.7 * (np.eye(K) - np.ones((K, K)) / K) @ Hbar.T   # rows: centred means (K x p)
    assert M.nc2_h_paper(Hbar) == pytest.approx(0.0, abs=1e-14)
    assert M.nc2_w_paper(W) == pytest.approx(0.0, abs=1e-14)
    assert M.nc3_paper(W, Hbar) == pytest.approx(0.0, abs=1e-14)
    # an uncentred classifier W = Hbar^T is orthogonal, not a simplex: both are > 0
    assert M.nc2_w_paper(Hbar.T) > 0.1 and M.nc3_paper(Hbar.T, Hbar) > 0.1
    assert np.isnan(M.nc2_w_paper(np.zeros((K, p))))
    with pytest.raises(ValueError, match="K x p"):
        M.nc3_paper(W.T, Hbar)


def test_nc0_is_the_norm_of_the_summed_classifier_rows():
    """NC0 = ||sum_k w_k|| (Zhao et al. 2026): 0 for a centred (simplex) classifier, the
    explicit sum otherwise; the batched metric equals it."""
    import torch

    from shallownc.training import nc_batched as NB

    K, p = 3, 5
    U = np.eye(K) - np.ones((K, K)) / K
    W0 = U @ np.arange(1.0, K * p + 1).reshape(K, p)
    assert M.nc0(W0) == pytest.approx(0.0, abs=1e-12)
    W = np.array([[1.0, 2.0, 0.0, 0.0, 1.0], [0.0, 1.0, 3.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0, 0.0]])
    assert M.nc0(W) == pytest.approx(np.sqrt(1 + 9 + 16 + 4 + 1), rel=1e-15)
    Hbar = np.abs(np.random.default_rng(3).standard_normal((p, K)))
    got = NB.classifier(torch.as_tensor(np.stack([W, W0])), torch.as_tensor(np.stack([Hbar] * 2)),
                        "ce")["nc0"].numpy()
    np.testing.assert_allclose(got, [M.nc0(W), M.nc0(W0)], atol=1e-12)
    with pytest.raises(ValueError, match="K x p"):
        M.nc0(np.ones(3))
