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


# --------------------------------------------------------------------------------------------
# Issue 26 step 1: the metrics on networks with KNOWN values. The collapsed network is the
# bridge's explicit UPFM minimizer (shallownc.bridge.construct from verified class-LP solutions
# beta_k, reports/upfm.md D§7) on Figure 3 data (antipodal K = 2, mu_1 = -mu_2 = e_1,
# sigma = 0.18) and on a K = 3 orthogonal mixture; its features are H = h 1[y_i = k] e_k (an
# orthogonal frame) and its classifier W = (t/h) C_K on the first K features (our W is K x p,
# logits W h; the paper's W is its transpose). The perturbations below change W1 or W2 in a
# way whose paper metrics (3.2)-(3.3) follow in closed form. Each value is checked on the numpy
# metrics (shallownc.metrics) AND on the trainer's batched float64 evaluation
# (training.evaluation.evaluate -> training.nc_batched), which must agree.

LAM_W, LAM_H = 1e-3, 1e-6            # the paper's Figure 3 lambdas, objective (2.1)
PAPER_KEYS = ("nc1", "nc1_trace", "nc2_h_paper", "nc2_w_paper", "nc3_paper")


def _bridge_network(K, n, d, width, sigma=0.18, seed=7):
    """(X, y, W1, W2, h): the bridge's collapsed network on one Gaussian-mixture draw (K = 2:
    the paper's Figure 3 means mu_1 = -mu_2 = e_1; K = 3: mu_k = e_k)."""
    from shallownc import bridge, feasibility as FZ, upfm
    from shallownc.data import GMMSpec

    geometry = "antipodal" if K == 2 else "orthogonal"
    X, y, _M, _s = GMMSpec(geometry, K, n, d, sigma).draw(seed, 0)
    nc, _ = FZ.solve_classes(X, y, FZ.SolverOptions(), separability=False)
    assert all(v.status == FZ.FEASIBLE for v in nc), [v.status for v in nc]
    cf = upfm.closed_form("ce", "upfm", K, n, LAM_W, LAM_H)
    W1, W2 = bridge.construct(X, y, [v.w for v in nc], cf, width=width)
    return X, y, W1, W2, float(cf.weights(width)[1][0, 0])


def _interpolant(X, target):
    """z with X^T z = target (d >= N, X of full column rank: paper Theorem 3(b))."""
    z = np.linalg.lstsq(X.T, target, rcond=None)[0]
    assert np.abs(X.T @ z - target).max() < 1e-12 * max(1.0, np.abs(target).max())
    return z


def _batched_metrics(X, y, nets):
    """The trainer's evaluation (float64, batched) of the (W1, W2) pairs ``nets``."""
    import torch

    from shallownc import training as T
    from shallownc.models import BatchedNet

    net = BatchedNet([torch.as_tensor(np.stack([w[0] for w in nets])),
                      torch.as_tensor(np.stack([w[1] for w in nets]))], [None, None])
    lam = torch.full((len(nets),), LAM_W, dtype=torch.float64)
    out = T.evaluate(net, torch.as_tensor(X), y, None, None, {"loss": "ce", "reg": "feature"},
                     lam, lam * 1e-3, np.ones(len(nets), bool))
    return [{k: float(out[k][r]) for k in PAPER_KEYS} for r in range(len(nets))]


def _numpy_metrics(X, y, W1, W2):
    H = np.maximum(W1 @ X, 0.0)
    m = M.all_metrics(H, y, W2, W2 @ H)
    return {k: m[k] for k in PAPER_KEYS}


@pytest.mark.parametrize("K,n,d", [(2, 10, 15), (2, 6, 24), (3, 4, 30)])
def test_bridge_collapsed_network_has_zero_paper_metrics(K, n, d):
    """At the bridge's collapsed minimizer NC1 = NC2_H = NC2_W = NC3 = 0 (and Tr S_W/Tr S_B
    = 0) up to rounding, in the numpy metrics and in the trainer's batched evaluation; d/n =
    1.5 (class LP decided with inequalities active) and 4 (d >= N, Theorem 3(b))."""
    X, y, W1, W2, h = _bridge_network(K, n, d, width=8)
    H = np.maximum(W1 @ X, 0.0)
    assert np.abs(H - h * np.eye(8)[:, y]).max() < 1e-6 * h      # the orthogonal frame
    for got in (_numpy_metrics(X, y, W1, W2), _batched_metrics(X, y, [(W1, W2)])[0]):
        assert got["nc1"] < 1e-20 and got["nc1_trace"] < 1e-20, got
        for k in ("nc2_h_paper", "nc2_w_paper", "nc3_paper"):
            assert got[k] < 1e-12, (k, got)


def _cos_dist(cos):
    """||A/||A||_F - B/||B||_F||_F = sqrt(2 - 2 cos(A, B)), cos the Frobenius cosine."""
    return float(np.sqrt(max(0.0, 2.0 - 2.0 * cos)))


def _perturbed_cases(K, X, y, W1, W2, h, eps, r, c):
    """[(name, W1', W2', expected paper metrics)] of the collapsed network (d >= N)."""
    n = len(y) // K
    idx = np.arange(len(y))
    first = (idx % n) < n // 2                         # first half of every class
    cases = []
    # A. class-0 features h e_1 +- eps e_1 (half +, half -): class means unchanged;
    #    Sigma_W = (eps^2/K) e1 e1^T, Sigma_B = (h^2/K) C_K on the frame, pinv = (K/h^2) C_K,
    #    NC1 = (1/K) (eps^2/h^2) (C_K)_11 = (K-1) eps^2 / (K^2 h^2);
    #    Tr S_W / Tr S_B = (eps^2/K) / (h^2 (K-1)/K) = eps^2 / ((K-1) h^2).
    s = np.where(y == 0, np.where(first, 1.0, -1.0), 0.0)
    A = W1.copy()
    A[0] += eps * _interpolant(X, s)
    cases.append(("A: spread along own mean", A, W2,
                  {"nc1": (K - 1) * eps ** 2 / (K ** 2 * h ** 2),
                   "nc1_trace": eps ** 2 / ((K - 1) * h ** 2),
                   "nc2_h_paper": 0.0, "nc2_w_paper": 0.0, "nc3_paper": 0.0}))
    # B. class k: half at h e_k + eps e_{a_k}, half at h e_k + eps e_{b_k} (unused features
    #    a_k, b_k): means h e_k + (eps/2)(e_a + e_b), orthogonal with equal norms^2
    #    q = h^2 + eps^2/2 (NC2_H = 0), W unchanged on them (NC2_W = NC3 = 0); deviations
    #    +-(eps/2)(e_a - e_b) are orthogonal to every class mean, so NC1 = 0 EXACTLY, while
    #    Tr S_W = eps^2/2, Tr S_B = q (K-1)/K: ratio K eps^2 / ((K-1)(2 h^2 + eps^2)).
    Bw = W1.copy()
    for k in range(K):
        Bw[K + 2 * k] = eps * _interpolant(X, ((y == k) & first).astype(float))
        Bw[K + 2 * k + 1] = eps * _interpolant(X, ((y == k) & ~first).astype(float))
    cases.append(("B: spread in unused features", Bw, W2,
                  {"nc1": 0.0, "nc1_trace": K * eps ** 2 / ((K - 1) * (2 * h ** 2 + eps ** 2)),
                   "nc2_h_paper": 0.0, "nc2_w_paper": 0.0, "nc3_paper": 0.0}))
    # C. in the frame: second half of every class moved by 2 eps 1_K (features >= 0):
    #    means h e_k + eps 1_K, deviations +-eps 1_K, orthogonal to the centred means:
    #    NC1 = 0, Tr S_W = K eps^2, Tr S_B = h^2 (K-1)/K: ratio K^2 eps^2 / ((K-1) h^2).
    #    Hbar^T Hbar = h^2 I + g J, g = 2 h eps + K eps^2: cos with I = (h^2 + g) /
    #    sqrt((h^2 + g)^2 + (K-1) g^2). W Hbar = t C_K (C_K J = 0): NC3 = 0.
    Cw = W1.copy()
    Cw[:K] += 2 * eps * _interpolant(X, (~first).astype(float))
    g = 2 * h * eps + K * eps ** 2
    cases.append(("C: in-frame spread along 1_K", Cw, W2,
                  {"nc1": 0.0, "nc1_trace": K ** 2 * eps ** 2 / ((K - 1) * h ** 2),
                   "nc2_h_paper": _cos_dist((h ** 2 + g) / np.hypot(h ** 2 + g,
                                                                    np.sqrt(K - 1) * g)),
                   "nc2_w_paper": 0.0, "nc3_paper": 0.0}))
    # D. class K-1 features scaled by r (W1 row K-1 x r): Hbar = h diag(dv), dv = (1,..,1,r);
    #    NC1 = 0, Tr S_W = 0; cos(Hbar^T Hbar, I) = sum dv^2 / sqrt(K sum dv^4);
    #    W Hbar = t C_K diag(dv): cos with C_K = sum dv / sqrt(K sum dv^2) (rows of C_K have
    #    equal norms and C_K's columns are orthogonal to 1).
    Dw = W1.copy()
    Dw[K - 1] *= r
    dv = np.r_[np.ones(K - 1), r]
    cases.append(("D: one class mean scaled", Dw, W2,
                  {"nc1": 0.0, "nc1_trace": 0.0,
                   "nc2_h_paper": _cos_dist((dv ** 2).sum() / np.sqrt(K * (dv ** 4).sum())),
                   "nc2_w_paper": 0.0,
                   "nc3_paper": _cos_dist(dv.sum() / np.sqrt(K * (dv ** 2).sum()))}))
    # E. classifier row K-1 rotated by theta (cos c) towards an unused feature direction q:
    #    paper W^T W = our W W^T = m^2 (C_K o S), S = 1 but c on row/column K-1 off the
    #    diagonal: cos with C_K = (K^2 - 2 + 2c) / (K sqrt(K^2 - 2 + 2c^2)); W Hbar = t
    #    diag(1,..,1,c) C_K (the rotated part meets no feature): NC3 as in D with r -> c.
    Ew = W2.copy()
    q = Ew.shape[1] - 1
    norm = np.linalg.norm(Ew[K - 1])
    Ew[K - 1] = c * Ew[K - 1]
    Ew[K - 1, q] = np.sqrt(1 - c ** 2) * norm
    cv = np.r_[np.ones(K - 1), c]
    cases.append(("E: classifier row rotated", W1, Ew,
                  {"nc1": 0.0, "nc1_trace": 0.0, "nc2_h_paper": 0.0,
                   "nc2_w_paper": _cos_dist((K ** 2 - 2 + 2 * c)
                                            / (K * np.sqrt(K ** 2 - 2 + 2 * c ** 2))),
                   "nc3_paper": _cos_dist(cv.sum() / np.sqrt(K * (cv ** 2).sum()))}))
    return cases


@pytest.mark.parametrize("K,n", [(2, 6), (3, 4)])
def test_perturbed_collapsed_network_metrics_equal_closed_forms(K, n):
    """Known perturbations of the bridge's collapsed network (d = 2N, d/n = 2K) give the
    paper's metrics (3.2)-(3.3) in closed form (derivations in _perturbed_cases), in the
    numpy metrics and in the trainer's batched evaluation. Cases B and C are nets whose
    features are NOT collapsed (Tr S_W/Tr S_B > 0) while NC1 = 0 (and NC2 = NC3 = 0 in B):
    NC1 sees only the K - 1 directions of the centred class means (one direction for K = 2)."""
    X, y, W1, W2, h = _bridge_network(K, n, 2 * K * n, width=3 * K + 1)
    eps, r, c = 0.25 * h, 1.5, np.cos(0.3)
    cases = _perturbed_cases(K, X, y, W1, W2, h, eps, r, c)
    batched = _batched_metrics(X, y, [(a, b) for _, a, b, _ in cases])
    for (name, A, Bw, want), got_b in zip(cases, batched):
        got = _numpy_metrics(X, y, A, Bw)
        assert np.min(np.maximum(A @ X, 0.0)) >= 0.0
        for k, v in want.items():
            for src, val in (("numpy", got[k]), ("batched", got_b[k])):
                assert val == pytest.approx(v, rel=1e-9, abs=1e-12), (name, k, src, val, v)
    # the non-trivial values are far from 0 (the checks above can fail)
    assert cases[1][3]["nc1_trace"] > 0.04 and cases[0][3]["nc1"] > 0.01
    assert min(cases[3][3]["nc2_h_paper"], cases[4][3]["nc2_w_paper"]) > 0.01


def test_k2_nc1_is_blind_to_spread_orthogonal_to_the_mean_difference():
    """K = 2 (Figure 3): Sigma_B = c c^T has rank one (c = (mu_1 - mu_2)/2), so NC1 =
    (1/2) v^T Sigma_W v / ||c||^2, v = c/||c||, sees only the spread along the mean difference.
    On the Figure 3 network of case C (spread along e_1 + e_2, orthogonal to e_1 - e_2):
    NC1 = 0, NC3 = NC2_W = 0 while Tr S_W/Tr S_B = 4 eps^2/h^2; on case A (spread along e_1,
    half of it along the difference) NC1 = eps^2/(4 h^2) = Tr ratio / 4."""
    X, y, W1, W2, h = _bridge_network(2, 6, 24, width=7)
    eps = 0.25 * h
    cases = {name[0]: (A, B) for name, A, B, _ in
             _perturbed_cases(2, X, y, W1, W2, h, eps, 1.5, np.cos(0.3))}
    mC = _numpy_metrics(X, y, *cases["C"])
    assert mC["nc1"] < 1e-20 and mC["nc3_paper"] < 1e-12 and mC["nc2_w_paper"] < 1e-12
    assert mC["nc1_trace"] == pytest.approx(4 * eps ** 2 / h ** 2, rel=1e-9)   # = 0.25
    mA = _numpy_metrics(X, y, *cases["A"])
    assert mA["nc1"] == pytest.approx(mA["nc1_trace"] / 4, rel=1e-9)
    assert mA["nc1"] == pytest.approx(eps ** 2 / (4 * h ** 2), rel=1e-9)
