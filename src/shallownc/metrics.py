"""Neural-collapse metrics: small pure functions, float64, one formula each.

Conventions: docs/conventions.md ("Neural-collapse metrics"), docs/science.md §2. Features
are columns: ``H`` is p x N (feature p, sample N), labels ``y`` in 0..K-1, class means
``Hbar`` is p x K (column k = mu_k), global mean mu_G = (1/K) sum_k mu_k (balanced classes;
for unbalanced labels the mean of the class means is used, as in Papyan et al. 2020).
The classifier ``W`` is K x p (logits f = W h). Every function casts its inputs to float64.

Formulas (Papyan, Han & Donoho, PNAS 2020, "Prevalence of neural collapse", Fig. 6 and SI;
the orthogonal-frame NC2 for non-negative features is docs/science.md §2 / the talk):

- Sigma_W = (1/N) sum_i (h_i - mu_{y_i})(h_i - mu_{y_i})^T,
  Sigma_B = (1/K) sum_k (mu_k - mu_G)(mu_k - mu_G)^T.
- NC1 = (1/K) Tr(Sigma_W Sigma_B^+), the pseudo-inverse over the top r = rank(Sigma_B) <= K-1
  eigenpairs (lambda_i, v_i) of Sigma_B:  NC1 = (1/K) sum_{i<=r} v_i^T Sigma_W v_i / lambda_i.
  The eigenpairs are obtained from the SVD of the centred means C = [mu_k - mu_G] / sqrt(K)
  (Sigma_B = C C^T, so lambda_i = s_i^2 and v_i = u_i: the same eigenpairs as eigh(Sigma_B),
  computed without squaring the condition number). v^T Sigma_W v is evaluated as
  ||(H - Hbar[:, y])^T v||^2 / N, a sum of squares, so NC1 is never negative (the float32
  ``pinv`` of public code can give negative NC1; docs/conventions.md). With Sigma_B = 0 (all class
  means equal, e.g. a dead network) NC1 is undefined and returned as NaN.
- Trace ratio Tr(Sigma_W) / Tr(Sigma_B) (NaN when Tr(Sigma_B) = 0).
- NC2, orthogonal frame (ReLU features): ||G/||G||_F - I_K/sqrt(K)||_F with G = Hbar^T Hbar
  (uncentred means). 0 iff the means are orthogonal with equal norms.
- NC2, simplex ETF: ||G_c/||G_c||_F - (I_K - 11^T/K)/sqrt(K-1)||_F with G_c the Gram matrix
  of the centred means (Papyan et al.: the normalised Gram matrix of a simplex ETF).
- Equinorm: std_k ||mu_k - mu_G|| / mean_k ||mu_k - mu_G|| (Papyan et al. Fig. 2).
- Equiangularity: mean over k != j of |cos(mu_k - mu_G, mu_j - mu_G) + 1/(K-1)| (Fig. 3).
- NC3 (self-duality): ||W^T/||W||_F - M/||M||_F||_F with M the centred means (CE) or the
  uncentred means (MSE) (docs/conventions.md).
- NC0 (Zhao et al., ICLR 2026): ||sum_k w_k||_2 = ||W^T 1_K||, the norm of the sum of the
  classifier rows; zero is necessary for collapse to a simplex ETF classifier (issue 23).
- NC4: fraction of samples where argmax_k (W h)_k differs from the nearest class mean
  argmin_k ||h - mu_k|| (Papyan et al. Fig. 7), on training or on fresh test features.
- Margin: min_i ( f_{y_i}(x_i) - max_{j != y_i} f_j(x_i) ) (logit margin).

The paper's own metrics, exactly as paper (3.3) defines them (suffix ``_paper``; the paper's
classifier is W in R^{p x K} with logits W^T h, ours is its transpose, so the paper's W^T W is
our W W^T and its W^T Hbar our W Hbar, both K x K); C_K = I_K - 11^T/K, ||C_K||_F = sqrt(K-1):
- nc2_h_paper = ||Hbar^T Hbar/||Hbar^T Hbar||_F - I_K/sqrt(K)||_F (= nc2_of by definition);
- nc2_w_paper = ||W^T W/||W^T W||_F - C_K/sqrt(K-1)||_F (paper notation);
- nc3_paper   = ||W^T Hbar/||W^T Hbar||_F - C_K/sqrt(K-1)||_F (paper notation).
For K = 2 NC2_W says nothing about collapse (docs/conventions.md: with activation regularization
w1 + w2 decays as (1 - lr lambda_W)^steps whatever the data) and NC1 sees one direction only:
read them with Tr(Sigma_W)/Tr(Sigma_B) (``nc1_trace``).
"""

from __future__ import annotations

import numpy as np


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _check(H, y, K=None):
    H = _f64(H)
    y = np.asarray(y)
    if H.ndim != 2:
        raise ValueError(f"features must be a p x N matrix, got shape {H.shape}")
    if y.ndim != 1 or y.shape[0] != H.shape[1]:
        raise ValueError(f"labels must have one entry per column of H ({H.shape[1]}), "
                         f"got shape {y.shape}")
    K = int(y.max()) + 1 if K is None else int(K)
    counts = np.bincount(y, minlength=K)
    if (counts == 0).any():
        raise ValueError(f"every class 0..{K - 1} needs at least one sample; counts {counts}")
    return H, y.astype(np.int64), K


def class_means(H, y, K=None) -> np.ndarray:
    """Class means Hbar (p x K), column k = mean of the columns of H with label k."""
    H, y, K = _check(H, y, K)
    onehot = np.zeros((K, H.shape[1]))
    onehot[y, np.arange(H.shape[1])] = 1.0
    return (H @ onehot.T) / onehot.sum(axis=1)


def scatter_matrices(H, y, K=None):
    """(Sigma_W, Sigma_B) as defined in the module docstring (p x p each)."""
    H, y, K = _check(H, y, K)
    Hbar = class_means(H, y, K)
    A = H - Hbar[:, y]
    C = Hbar - Hbar.mean(axis=1, keepdims=True)
    return A @ A.T / H.shape[1], C @ C.T / K


def _between_eigs(Hbar: np.ndarray, K: int):
    """Top rank(Sigma_B) eigenpairs of Sigma_B = C C^T, C = centred means / sqrt(K)."""
    C = (Hbar - Hbar.mean(axis=1, keepdims=True)) / np.sqrt(K)
    U, s, _ = np.linalg.svd(C, full_matrices=False)
    if s.size == 0 or s[0] == 0.0 or not np.isfinite(s[0]):
        return U[:, :0], s[:0]
    tol = max(C.shape) * np.finfo(np.float64).eps * s[0]
    r = min(int((s > tol).sum()), K - 1)
    return U[:, :r], s[:r] ** 2


def nc1(H, y, K=None) -> float:
    """NC1 = (1/K) Tr(Sigma_W Sigma_B^+), pinv over the top rank(Sigma_B) eigenpairs.

    Papyan et al. 2020; docs/conventions.md. Never negative; NaN when Sigma_B = 0.
    """
    H, y, K = _check(H, y, K)
    if not np.isfinite(H).all():
        return float("nan")
    Hbar = class_means(H, y, K)
    V, lam = _between_eigs(Hbar, K)
    if lam.size == 0:
        return float("nan")
    P = (H - Hbar[:, y]).T @ V  # N x r, column i = projections on v_i
    return float(((P ** 2).sum(axis=0) / H.shape[1] / lam).sum() / K)


def nc1_trace_ratio(H, y, K=None) -> float:
    """Tr(Sigma_W) / Tr(Sigma_B) (docs/conventions.md); NaN when Tr(Sigma_B) = 0."""
    H, y, K = _check(H, y, K)
    Hbar = class_means(H, y, K)
    tw = ((H - Hbar[:, y]) ** 2).sum() / H.shape[1]
    tb = ((Hbar - Hbar.mean(axis=1, keepdims=True)) ** 2).sum() / K
    return float(tw / tb) if tb > 0 else float("nan")


def _normalized(G: np.ndarray):
    n = np.linalg.norm(G)
    return G / n if n > 0 and np.isfinite(n) else None


def nc2_orthogonal_frame(Hbar) -> float:
    """||G/||G||_F - I_K/sqrt(K)||_F, G = Hbar^T Hbar (uncentred means; docs/science.md §2)."""
    Hbar = _f64(Hbar)
    K = Hbar.shape[1]
    Gn = _normalized(Hbar.T @ Hbar)
    return float("nan") if Gn is None else float(np.linalg.norm(Gn - np.eye(K) / np.sqrt(K)))


def nc2_etf(Hbar) -> float:
    """||G_c/||G_c||_F - (I - 11^T/K)/sqrt(K-1)||_F, G_c Gram of the centred means (Papyan)."""
    Hbar = _f64(Hbar)
    K = Hbar.shape[1]
    C = Hbar - Hbar.mean(axis=1, keepdims=True)
    Gn = _normalized(C.T @ C)
    if Gn is None:
        return float("nan")
    target = (np.eye(K) - np.ones((K, K)) / K) / np.sqrt(K - 1)
    return float(np.linalg.norm(Gn - target))


def equinorm(Hbar) -> float:
    """std_k ||mu_k - mu_G|| / mean_k ||mu_k - mu_G|| (Papyan et al. 2020, Fig. 2)."""
    Hbar = _f64(Hbar)
    norms = np.linalg.norm(Hbar - Hbar.mean(axis=1, keepdims=True), axis=0)
    m = norms.mean()
    return float(norms.std() / m) if m > 0 else float("nan")


def equiangularity(Hbar) -> float:
    """Mean over k != j of |cos(mu_k - mu_G, mu_j - mu_G) + 1/(K-1)| (Papyan et al., Fig. 3)."""
    Hbar = _f64(Hbar)
    K = Hbar.shape[1]
    C = Hbar - Hbar.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(C, axis=0)
    if (norms == 0).any():
        return float("nan")
    cos = (C.T @ C) / np.outer(norms, norms)
    off = ~np.eye(K, dtype=bool)
    return float(np.abs(cos[off] + 1.0 / (K - 1)).mean())


def nc3(W, Hbar, loss: str = "ce") -> float:
    """||W^T/||W||_F - M/||M||_F||_F; M = centred means for CE, uncentred for MSE."""
    W, Hbar = _f64(W), _f64(Hbar)
    if W.shape != (Hbar.shape[1], Hbar.shape[0]):
        raise ValueError(f"classifier must be K x p = {(Hbar.shape[1], Hbar.shape[0])}, "
                         f"got {W.shape}")
    if loss == "ce":
        M = Hbar - Hbar.mean(axis=1, keepdims=True)
    elif loss == "mse":
        M = Hbar
    else:
        raise ValueError(f"loss must be 'ce' or 'mse', got {loss!r}")
    nw, nm = np.linalg.norm(W), np.linalg.norm(M)
    if nw == 0 or nm == 0 or not (np.isfinite(nw) and np.isfinite(nm)):
        return float("nan")
    return float(np.linalg.norm(W.T / nw - M / nm))


def nc0(W) -> float:
    """NC0 = ||sum_k w_k||_2 = ||W^T 1_K|| of the K x p classifier (Zhao et al., ICLR 2026)."""
    W = _f64(W)
    if W.ndim != 2:
        raise ValueError(f"classifier must be a K x p matrix, got shape {W.shape}")
    return float(np.linalg.norm(W.sum(axis=0)))


def simplex_target(K: int) -> np.ndarray:
    """C_K / sqrt(K-1), C_K = I_K - 11^T/K: the unit-Frobenius-norm simplex Gram (paper (3.3))."""
    return (np.eye(K) - np.ones((K, K)) / K) / np.sqrt(K - 1)


def nc2_h_paper(Hbar) -> float:
    """Paper (3.3) NC2_Hbar = ||Hbar^T Hbar/||Hbar^T Hbar||_F - I_K/sqrt(K)||_F (= nc2_of)."""
    return nc2_orthogonal_frame(Hbar)


def nc2_w_paper(W) -> float:
    """Paper (3.3) NC2_W = ||W^T W/||W^T W||_F - C_K/sqrt(K-1)||_F, paper W = our W^T (K x p)."""
    W = _f64(W)
    Gn = _normalized(W @ W.T)
    return float("nan") if Gn is None else float(np.linalg.norm(Gn - simplex_target(W.shape[0])))


def nc3_paper(W, Hbar) -> float:
    """Paper (3.3) NC3 = ||W^T Hbar/||W^T Hbar||_F - C_K/sqrt(K-1)||_F, paper W = our W^T."""
    W, Hbar = _f64(W), _f64(Hbar)
    if W.shape != (Hbar.shape[1], Hbar.shape[0]):
        raise ValueError(f"classifier must be K x p = {(Hbar.shape[1], Hbar.shape[0])}, "
                         f"got {W.shape}")
    Gn = _normalized(W @ Hbar)
    return float("nan") if Gn is None else float(np.linalg.norm(Gn - simplex_target(W.shape[0])))


def ncc_predict(H, Hbar) -> np.ndarray:
    """Nearest-class-mean labels argmin_k ||h_i - mu_k|| (columns of H)."""
    H, Hbar = _f64(H), _f64(Hbar)
    d2 = (H ** 2).sum(axis=0)[:, None] - 2 * H.T @ Hbar + (Hbar ** 2).sum(axis=0)[None, :]
    return np.argmin(d2, axis=1)


def nc4(logits, H, Hbar) -> float:
    """Rate of disagreement of argmax logits (K x N) with the nearest-class-mean rule."""
    logits = _f64(logits)
    return float(np.mean(np.argmax(logits, axis=0) != ncc_predict(H, Hbar)))


def error_rate(logits, y) -> float:
    """Fraction of columns whose argmax logit is not the label."""
    return float(np.mean(np.argmax(_f64(logits), axis=0) != np.asarray(y)))


def margin(logits, y) -> float:
    """min_i (f_{y_i} - max_{j != y_i} f_j): positive iff every sample is classified right."""
    logits = _f64(logits)
    y = np.asarray(y)
    idx = np.arange(logits.shape[1])
    true = logits[y, idx]
    other = logits.copy()
    other[y, idx] = -np.inf
    return float((true - other.max(axis=0)).min())


def all_metrics(H, y, W, logits, loss: str = "ce", K=None) -> dict[str, float]:
    """Every training-set metric of one network state, keyed by NetCDF variable name."""
    H, y, K = _check(H, y, K)
    Hbar = class_means(H, y, K)
    return {
        "nc1": nc1(H, y, K),
        "nc1_trace": nc1_trace_ratio(H, y, K),
        "nc2_of": nc2_orthogonal_frame(Hbar),
        "nc2_etf": nc2_etf(Hbar),
        "equinorm": equinorm(Hbar),
        "equiangular": equiangularity(Hbar),
        "nc3": nc3(W, Hbar, loss),
        "nc0": nc0(W),
        "nc2_h_paper": nc2_h_paper(Hbar),
        "nc2_w_paper": nc2_w_paper(W),
        "nc3_paper": nc3_paper(W, Hbar),
        "nc4": nc4(logits, H, Hbar),
        "error": error_rate(logits, y),
        "margin": margin(logits, y),
    }


METRIC_ATTRS = {
    "nc1": ("NC1 = (1/K) Tr(Sigma_W Sigma_B^+), pinv over top rank(Sigma_B) eigenpairs "
            "(shallownc.metrics.nc1; docs/conventions.md)", "1"),
    "nc1_trace": ("Tr(Sigma_W)/Tr(Sigma_B) of the features (metrics.nc1_trace_ratio)", "1"),
    "nc2_of": ("NC2 orthogonal-frame error ||G/||G||_F - I/sqrt(K)||_F, G = Hbar^T Hbar "
               "(uncentred class means; metrics.nc2_orthogonal_frame)", "1"),
    "nc2_etf": ("NC2 simplex-ETF error of the centred class means (metrics.nc2_etf)", "1"),
    "equinorm": ("std/mean of the centred class-mean norms (metrics.equinorm)", "1"),
    "equiangular": ("mean |cos + 1/(K-1)| of the centred class means (metrics.equiangularity)",
                    "1"),
    "nc3": ("NC3 ||W^T/||W|| - M/||M|||_F, M centred means (CE) or means (MSE) (metrics.nc3)",
            "1"),
    "nc0": ("NC0 ||sum_k w_k||_2 of the classifier rows (Zhao et al., ICLR 2026; metrics.nc0)",
            "1"),
    "nc2_h_paper": ("paper (3.3) NC2_Hbar ||Hbar^T Hbar/||.||_F - I_K/sqrt(K)||_F (equal to "
                    "nc2_of; metrics.nc2_h_paper)", "1"),
    "nc2_w_paper": ("paper (3.3) NC2_W ||W^T W/||.||_F - C_K/sqrt(K-1)||_F, paper's W "
                    "(p x K) = our W^T (metrics.nc2_w_paper)", "1"),
    "nc3_paper": ("paper (3.3) NC3 ||W^T Hbar/||.||_F - C_K/sqrt(K-1)||_F, paper's W "
                  "(p x K) = our W^T (metrics.nc3_paper)", "1"),
    "nc4": ("NC4 rate of disagreement of the network with the nearest-class-mean rule on "
            "the training data (metrics.nc4)", "1"),
    "error": ("training misclassification rate (metrics.error_rate)", "1"),
    "margin": ("min over training samples of f_y - max_{j!=y} f_j (metrics.margin)", "1"),
}
