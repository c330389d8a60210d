"""The ReLU kernel H_inf of the paper's Theorem 6 / Lemma 9, in closed form (reports/paper.md T6).

For unit vectors x_i, x_j with angle theta_ij and z ~ N(0, I_d), u = <z, x_i>, v = <z, x_j> are
standard normals with correlation cos theta_ij, and (Cho & Saul 2009, arc-cosine kernel of
degree 1)

    K1_ij = E[relu(u) relu(v)] = (sin theta + (pi - theta) cos theta) / (2 pi),   K1_ii = 1/2,
    m     = E[relu(u)]          = 1/sqrt(2 pi).

Hence E[(relu(u) - c)(relu(v) - c)] = K1_ij - 2 c m + c^2 for any constant c. The paper's three
versions (reports/paper.md, erratum T6):

* ``theorem6``: Theorem 6 and Section 4.3 as printed, c = sqrt(2/pi): 2 c m = c^2 = 2/pi, so the
  printed matrix *is* K1 (uncentred; diagonal 1/2);
* ``lemma9``: Lemma 9 as printed, E[sigma sigma^T] - (2/pi) J_N = K1 - (2/pi) J: diagonal
  1/2 - 2/pi = -0.137 < 0, so it is not positive semi-definite and Lemma 9's claim
  lambda_min > 0 fails for it; the proof's "E phi_k = sqrt(2/pi) 1" is E|u|, not E relu(u);
* ``corrected``: the covariance the proof's concentration step needs, c = m = 1/sqrt(2 pi):
  K1 - J/(2 pi), diagonal 1/2 - 1/(2 pi) = 0.341.

The width threshold of Theorem 6 (constant 1): d1 ~ ||X||^4 / lambda_min(H_inf)^2 * N log N.
"""

from __future__ import annotations

import numpy as np

MEAN_RELU = 1.0 / np.sqrt(2.0 * np.pi)      # E relu(g), g ~ N(0, 1)
PAPER_C = np.sqrt(2.0 / np.pi)              # the paper's constant (= E|g|)
CENTRINGS = ("theorem6", "lemma9", "corrected")


def unit_columns(X: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """X with every column scaled to unit Euclidean norm (Theorem 6 assumes ||x_i|| = 1)."""
    X = np.asarray(X, dtype=np.float64)
    nrm = np.linalg.norm(X, axis=0)
    if X.ndim != 2 or (nrm <= tol).any():
        raise ValueError("X must be a d x N matrix without zero columns")
    return X / nrm


def _check_unit(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.allclose(np.linalg.norm(X, axis=0), 1.0, atol=1e-10):
        raise ValueError("the closed form needs unit-norm columns (use kernels.unit_columns)")
    return X


def arccos1(X: np.ndarray) -> np.ndarray:
    """K1 = E[relu(X^T z) relu(X^T z)^T] for unit columns (module docstring, Cho & Saul 2009)."""
    X = _check_unit(X)
    C = np.clip(X.T @ X, -1.0, 1.0)
    th = np.arccos(C)
    K = (np.sqrt(1.0 - C ** 2) + (np.pi - th) * C) / (2.0 * np.pi)
    np.fill_diagonal(K, 0.5)
    return K


def h_inf(X: np.ndarray, centring: str = "corrected") -> np.ndarray:
    """H_inf in one of the three versions of the module docstring (paper Theorem 6, Lemma 9)."""
    K = arccos1(X)
    N = K.shape[0]
    if centring == "theorem6":
        return K + (PAPER_C ** 2 - 2.0 * PAPER_C * MEAN_RELU) * np.ones((N, N))
    if centring == "lemma9":
        return K - PAPER_C ** 2 * np.ones((N, N))
    if centring == "corrected":
        return K - MEAN_RELU ** 2 * np.ones((N, N))
    raise ValueError(f"centring must be one of {CENTRINGS}, got {centring!r}")


def h_inf_monte_carlo(X: np.ndarray, samples: int, seed: int, centring: str = "corrected",
                      batch: int = 20000) -> np.ndarray:
    """Monte Carlo estimate of :func:`h_inf` from ``samples`` draws z ~ N(0, I_d) (an
    independent computation: no closed form used). ``lemma9`` estimates E[sigma sigma^T] and
    subtracts 2/pi; the others average (relu(X^T z) - c)(relu(X^T z) - c)^T."""
    X = _check_unit(X)
    if centring not in CENTRINGS:
        raise ValueError(f"centring must be one of {CENTRINGS}, got {centring!r}")
    c = {"theorem6": PAPER_C, "lemma9": 0.0, "corrected": MEAN_RELU}[centring]
    rng = np.random.default_rng(seed)
    d, N = X.shape
    acc = np.zeros((N, N))
    done = 0
    while done < samples:
        b = min(batch, samples - done)
        Phi = np.maximum(rng.standard_normal((b, d)) @ X, 0.0) - c
        acc += Phi.T @ Phi
        done += b
    acc /= samples
    return acc - PAPER_C ** 2 if centring == "lemma9" else acc


def lambda_min(H: np.ndarray) -> float:
    """Smallest eigenvalue of a symmetric matrix (numpy eigvalsh)."""
    return float(np.linalg.eigvalsh(H)[0])


def width_threshold(X: np.ndarray, lam_min: float) -> float:
    """Theorem 6's width ||X||^4 / lambda_min^2 * N log N (constant 1); NaN if lambda_min <= 0
    (the theorem then says nothing)."""
    X = np.asarray(X, dtype=np.float64)
    N = X.shape[1]
    if not lam_min > 0:
        return float("nan")
    return float(np.linalg.norm(X, 2) ** 4 / lam_min ** 2 * N * np.log(N))
