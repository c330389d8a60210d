"""Imbalanced unconstrained positive feature model: closed form, certificate, NC targets.

Objective: the paper's (2.1) with class sizes n_1..n_K (N = sum n_k), bias-free, H >= 0:

    F(W, H) = (1/N) sum_i loss(W h_i, y_i) + (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2.

Everything here is derived in reports/imbalance.md; labels "I§x" / "(Ix)" refer to it:

* (I1)-(I3): the problem decouples per class; class k solves a scalar problem in its margin t_k
  with the effective rate gamma_k = s N sqrt((K-1)/(K n_k)) (CE) or a_k = s N / (2 sqrt(n_k))
  (MSE), s = sqrt(lambda_W lambda_H);
* (I4): class k's features vanish iff lambda_W lambda_H >= (K-1) n_k / (K N^2) (CE) or
  >= 4 c^2 n_k / N^2 (MSE) -- the smallest classes vanish first;
* (I5): the class-wise certificate (the K x K reduction of ``upfm.certificate`` for candidates
  whose features are constant on each class) and its tightness at the closed form;
* (I6): the NC targets that replace the balanced orthogonal frame / simplex ETF.

The balanced case (all n_k equal) is paper Theorem 2 (tested against ``upfm.closed_form``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .class_sizes import ClassSizes
from .upfm import LOSSES, MODELS, _check_common, loss_terms


def class_sizes(K: int, n) -> np.ndarray:
    """Validated class sizes as an int array of length K (an int n means n in every class);
    any form of ``class_sizes.ClassSizes.of`` (list, two-group mapping, ClassSizes).

    Errors name the problem: K < 2, a class with zero (or negative) samples, sizes whose number
    is not K, non-integer sizes.
    """
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 2:
        raise ValueError(f"need an integer K >= 2 classes, got K={K!r}")
    return np.asarray(ClassSizes.of(n, int(K)).sizes, dtype=np.int64)


def labels(sizes) -> np.ndarray:
    """Class-ordered labels: n_1 zeros, n_2 ones, ..."""
    sizes = np.asarray(sizes, dtype=np.int64)
    return np.repeat(np.arange(sizes.size), sizes)


def class_thresholds(loss: str, K: int, n, mse_scale: float = 0.5) -> np.ndarray:
    """Per class, the value of lambda_W lambda_H at and beyond which class k's features vanish
    at the global minimizer (reports/imbalance.md (I4)).

    CE: (K-1) n_k / (K N^2); MSE: 4 c^2 n_k / N^2.  Balanced: (K-1)/(K^2 N) and 4 c^2/(K N),
    the zero-solution thresholds of ``upfm.threshold`` (paper Theorem 2).
    """
    sizes = class_sizes(K, n)
    N = int(sizes.sum())
    if loss == "ce":
        return (K - 1) * sizes / (K * N ** 2)
    if loss == "mse":
        return 4.0 * mse_scale ** 2 * sizes / N ** 2
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def ufm_minority_collapse_threshold(n_A: int, n_B: int, k_A: int, k_B: int) -> float:
    """lambda_W lambda_H beyond which the *plain* UFM (free features, with bias) shows minority
    collapse (the k_B minority class means become identical): N lambda_Z > sqrt(n_B), i.e.
    lambda_W lambda_H > n_B / N^2 with N = k_A n_A + k_B n_B.

    Source: Hong & Ling 2024 (JMLR 25(192), arXiv 2309.09725), Theorem 3; their convex program
    (code ``solve_cvx``: (1/N) sum_k n_k CE + lambda_Z ||Z diag(sqrt n)||_* + bias term) is the
    paper-(2.1) normalization with lambda_Z = sqrt(lambda_W lambda_H) (reports/imbalance.md
    I§4). Needs k_B >= 2 (one minority class cannot collapse onto another).
    """
    for name, v in (("n_A", n_A), ("n_B", n_B), ("k_A", k_A)):
        if v < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")
    if k_B < 2:
        raise ValueError(f"minority collapse needs k_B >= 2 minority classes, got k_B={k_B}")
    N = k_A * n_A + k_B * n_B
    return n_B / N ** 2


def two_group_ratio_threshold(lam: float, n_B: int, k_A: int, k_B: int, K_minus_1_over_K=None):
    """Imbalance ratio r = n_A/n_B at and beyond which the minority vanishes (reports/
    imbalance.md (I7)), lam = sqrt(lambda_W lambda_H), n_B fixed.

    UPFM (CE): N lam >= sqrt((K-1) n_B / K)  <=>  r >= (sqrt((K-1)/(K n_B)) / lam - k_B) / k_A.
    Plain UFM (Hong & Ling 2024, Corollary 4 in this normalization): N lam > sqrt(n_B)  <=>
    r > (1/(lam sqrt(n_B)) - k_B) / k_A.  Pass ``K_minus_1_over_K=1`` for the UFM form.
    """
    K = k_A + k_B
    c = (K - 1) / K if K_minus_1_over_K is None else K_minus_1_over_K
    lam = np.asarray(lam, dtype=float)
    if (lam <= 0).any():
        raise ValueError("lam = sqrt(lambda_W lambda_H) must be positive")
    return (np.sqrt(c / n_B) / lam - k_B) / k_A


# ------------------------------------------------------------------------------ closed form

@dataclass(frozen=True)
class ImbalancedClosedForm:
    """Global minimizer of the imbalanced UPFM (reports/imbalance.md (I1)-(I6)).

    Per class k (arrays of length K): ``rates`` gamma_k (CE) or a_k (MSE) (I2), ``scales`` the
    margin t_k (CE: logits t_k (e_k - 1/K)) or beta_k (MSE: logits beta_k e_k) (I3),
    ``class_values`` f_k (F* = sum_k n_k/N f_k), ``feature_norms`` h_k = ||h_i|| for y_i = k
    (I3), ``thresholds`` (I4).
    """
    loss: str
    model: str
    K: int
    sizes: np.ndarray
    lam_W: float
    lam_H: float
    mse_scale: float
    rates: np.ndarray
    scales: np.ndarray
    class_values: np.ndarray
    feature_norms: np.ndarray
    thresholds: np.ndarray

    @property
    def N(self) -> int:
        return int(self.sizes.sum())

    @property
    def value(self) -> float:
        """F* = sum_k (n_k/N) f_k (I3)."""
        return float(np.dot(self.sizes / self.N, self.class_values))

    @property
    def vanished(self) -> np.ndarray:
        """Boolean per class: features zero at the minimizer (I4)."""
        return self.scales <= 0

    def class_logits(self) -> np.ndarray:
        """K x K, column k = logits W h_i of every class-k sample (I3)."""
        K = self.K
        if self.loss == "ce":
            return (np.eye(K) - np.ones((K, K)) / K) * self.scales[None, :]
        return np.eye(K) * self.scales[None, :]

    def weights(self, p: int | None = None):
        """An explicit minimizer (W K x p, H p x N), class-ordered samples (I3).

        Class k's features are h_k e_k (disjoint supports, zero for vanished classes), column k of
        W is z_k / h_k (zero for vanished classes); lambda_W||W_:k||^2 = lambda_H n_k h_k^2.
        """
        K = self.K
        p = K if p is None else int(p)
        if p < K:
            raise ValueError(f"width p must be >= K = {K} for the closed form, got {p}")
        W = np.zeros((K, p))
        H = np.zeros((p, self.N))
        y = labels(self.sizes)
        Zc = self.class_logits()
        for k in range(K):
            if self.feature_norms[k] > 0:
                W[:, k] = Zc[:, k] / self.feature_norms[k]
                H[k, y == k] = self.feature_norms[k]
        return W, H

    def targets(self) -> dict:
        """The NC structure of every global minimizer (I6), the imbalanced replacement of the
        balanced targets (H-bar^T H-bar ∝ I_K, W W^T ∝ C_K):

        ``gram_H``: H-bar^T H-bar = diag(h_k^2) (uncentred class means, orthogonal, unequal
        norms); ``gram_W``: W W^T = sum_k z_k z_k^T / h_k^2 over non-vanished k; ``logits``:
        W H-bar (column k = z_k).
        """
        Zc = self.class_logits()
        h2 = self.feature_norms ** 2
        GW = np.zeros((self.K, self.K))
        for k in range(self.K):
            if h2[k] > 0:
                GW += np.outer(Zc[:, k], Zc[:, k]) / h2[k]
        return {"gram_H": np.diag(h2), "gram_W": GW, "logits": Zc}

    def certificate(self) -> "ClasswiseCertificate":
        """The class-wise certificate (I5) linearized at this closed form."""
        return certificate_classwise(self.class_logits(), self.sizes, self.lam_W, self.lam_H,
                                     self.loss, self.model, self.mse_scale)

    @property
    def certified_gap(self) -> float:
        """F* minus its certified lower bound (0 up to rounding: (I5) is tight)."""
        return self.certificate().gap


def _ce_class(gamma: np.ndarray, K: int):
    """Per-class CE scalar problem f(t) = log(1 + (K-1) e^{-t}) + gamma t (I2-I3):
    t = log((K-1)(1-gamma)/gamma) if gamma < (K-1)/K, else t = 0, f = log K."""
    alive = gamma < (K - 1) / K
    g = np.where(alive, gamma, 0.5)
    t = np.where(alive, np.log((K - 1) * (1 - g) / g), 0.0)
    f = np.where(alive, -np.log1p(-g) + g * t, np.log(K))
    return t, f


def _mse_class(a: np.ndarray, c: float):
    """Per-class MSE scalar problem f(beta) = c (1-beta)^2 + 2 a beta (I2-I3)."""
    alive = a < c
    beta = np.where(alive, 1.0 - a / c, 0.0)
    f = np.where(alive, 2 * a - a ** 2 / c, c)
    return beta, f


def closed_form(loss: str, model: str, K: int, n, lam_W: float, lam_H: float,
                mse_scale: float = 0.5) -> ImbalancedClosedForm:
    """Closed-form global minimizer of (2.1) with class sizes ``n`` (reports/imbalance.md
    (I1)-(I4)). ``model``: "upfm" (H >= 0), or "ufm" for MSE only (bias-free MSE: the same
    minimizer, I§3); the CE UFM has no closed form under imbalance (balanced only, D§4)."""
    _check_common(loss, model, lam_W, lam_H, mse_scale)
    sizes = class_sizes(K, n)
    if model == "ufm" and loss == "ce" and len(set(sizes.tolist())) > 1:
        raise ValueError("the CE closed form of the UFM (free features) is balanced-only "
                         "(reports/upfm.md D§4); with class sizes use model='upfm' or loss='mse'")
    N = int(sizes.sum())
    s = float(np.sqrt(lam_W * lam_H))
    if loss == "ce":
        rates = s * N * np.sqrt((K - 1) / (K * sizes))                       # (I2)
        scales, fvals = _ce_class(rates, K)                                     # (I3)
        zsq = scales ** 2 * (K - 1) / K                                         # ||z_k||^2
    else:
        rates = s * N / (2.0 * np.sqrt(sizes))                                  # (I2)
        scales, fvals = _mse_class(rates, mse_scale)                            # (I3)
        zsq = scales ** 2
    h = (lam_W * zsq / (lam_H * sizes)) ** 0.25                                 # (I3) balance
    return ImbalancedClosedForm(loss, model, int(K), sizes, float(lam_W), float(lam_H),
                                float(mse_scale), rates, scales, fvals, h,
                                class_thresholds(loss, K, sizes, mse_scale))


# ------------------------------------------------------------------------------ certificate

@dataclass(frozen=True)
class ClasswiseCertificate:
    """Lower bound on min F over all (W, H) (H >= 0 for the UPFM), any width (I5)."""
    lower_bound: float
    value: float          # F at the candidate (class logits Zc expanded with the given sizes)
    theta: float
    rho: float

    @property
    def gap(self) -> float:
        return self.value - self.lower_bound


def certificate_classwise(Zc, sizes, lam_W: float, lam_H: float, loss: str,
                          model: str = "upfm", mse_scale: float = 0.5,
                          reg: float | None = None) -> ClasswiseCertificate:
    """``upfm.certificate`` for a candidate whose logits are constant on each class, reduced
    from N x N to K x K (reports/imbalance.md (I5)).

    Zc: K x K, column k = logits of class k. With g_k the loss gradient at z_k, M = G^T G /
    (N^2 lambda_W) (K x K) and D = diag(n_k): the N x N matrix of ``upfm.certificate`` is
    A = E M E^T (E the one-hot N x K), its positive part A_+ = E M_+ E^T (M_+: M with negative
    off-diagonal entries set to 0), and lambda_max(E M_+ E^T) = max(0, lambda_max(D^{1/2} M_+
    D^{1/2})). Bound theta c0 with c0 = sum_k (n_k/N) [loss(z_k) - g_k^T z_k] and
    theta = min(1, sqrt(lambda_H / rho)). ``reg``: the candidate's regularization
    (lambda_W/2)||W||^2 + (lambda_H/2)||H||^2 if known (for ``value``); default: the least
    regularization that realizes Zc (sum_k sqrt(lambda_W lambda_H n_k) ||z_k||, (I1)).
    """
    _check_common(loss, model, lam_W, lam_H, mse_scale)
    Zc = np.asarray(Zc, dtype=np.float64)
    K = Zc.shape[0]
    if Zc.shape != (K, K):
        raise ValueError(f"class logits must be K x K, got {Zc.shape}")
    sizes = class_sizes(K, sizes)
    N = int(sizes.sum())
    w = sizes / N
    ell, G = loss_terms(Zc, np.arange(K), loss, mse_scale)
    c0 = float(np.dot(w, ell - (G * Zc).sum(axis=0)))
    M = G.T @ G / (N ** 2 * lam_W)
    if model == "upfm":
        M = np.where(np.eye(K, dtype=bool) | (M > 0), M, 0.0)
    sq = np.sqrt(sizes.astype(float))
    rho = max(0.0, float(np.linalg.eigvalsh(sq[:, None] * M * sq[None, :])[-1]))
    theta = 1.0 if rho <= lam_H else float(np.sqrt(lam_H / rho))
    if reg is None:
        reg = float(np.sqrt(lam_W * lam_H) * np.dot(np.sqrt(sizes), np.linalg.norm(Zc, axis=0)))
    value = float(np.dot(w, ell)) + reg
    return ClasswiseCertificate(theta * c0, value, theta, rho)


def nc_target_error(X: np.ndarray, T: np.ndarray) -> float:
    """|| X/||X||_F - T/||T||_F ||_F: distance of a Gram (or logit) matrix from its target
    direction (I6). Balanced targets give the project's NC2/NC3 (metrics.nc2_*); NaN if either
    matrix is zero."""
    X = np.asarray(X, dtype=float)
    T = np.asarray(T, dtype=float)
    nx, nt = np.linalg.norm(X), np.linalg.norm(T)
    if nx == 0 or nt == 0:
        return float("nan")
    return float(np.linalg.norm(X / nx - T / nt))


__all__ = ["ImbalancedClosedForm", "ClasswiseCertificate", "class_sizes", "labels",
           "class_thresholds", "closed_form", "certificate_classwise", "nc_target_error",
           "ufm_minority_collapse_threshold", "two_group_ratio_threshold", "MODELS"]
