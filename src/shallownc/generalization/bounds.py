"""Lower bounds of the test error of NC solutions (reports/generalization.md E5): Bayes,
Cauchy-Schwarz, the equality relaxation rho_eq and its mean-field value."""

from __future__ import annotations

import numpy as np

from ..class_sizes import balanced_n
from .network import Phi


# ---------------------------------------------------------------------------- E5: bounds

def equality_relaxation_alignment(X: np.ndarray, y: np.ndarray, k: int,
                                  mu: np.ndarray) -> float:
    """rho_eq,k = sup <w, mu>/||w|| over the cone of the class-k EQUALITIES only (E5).

    Without the inequalities the cone is V cap H, V = {w: (x_i - x_1)^T w = 0} (a subspace),
    H = {x_1^T w >= 0}; the sup of <w, mu>/||w|| over a closed convex cone is the norm of the
    projection of mu onto it (Moreau). With P_V mu and a = P_V x_1: rho_eq = ||P_V mu|| if
    a^T P_V mu >= 0, else ||P_V mu - (a^T P_V mu / ||a||^2) a||. Since C_k is smaller,
    rho_eq >= beta*_k, and rho_eq <= ||mu|| (Cauchy-Schwarz).
    """
    X = np.asarray(X, dtype=np.float64)
    Xk = X[:, y == k]
    D = Xk[:, 1:] - Xk[:, :1]
    if D.shape[1]:
        Q, R = np.linalg.qr(D)
        keep = np.abs(np.diag(R)) > np.abs(R).max() * max(D.shape) * np.finfo(float).eps
        Q = Q[:, keep]
    else:
        Q = np.zeros((X.shape[0], 0))

    def PV(v):
        return v - Q @ (Q.T @ v)

    pm, a = PV(np.asarray(mu, float)), PV(Xk[:, 0])
    c = float(a @ pm)
    if c < 0 and a @ a > 0:
        pm = pm - c / float(a @ a) * a
    return float(np.linalg.norm(pm))


def bayes_error(M: np.ndarray, sigma: float) -> float:
    """Bayes error of two equiprobable N(mu_k, sigma^2 I): Phi(-||mu_1 - mu_2|| / (2 sigma)).

    A lower bound for ANY classifier, abstentions counted as errors (E5).
    """
    return float(Phi(-np.linalg.norm(M[:, 0] - M[:, 1]) / (2 * sigma)))


def cauchy_schwarz_bound(M: np.ndarray, sigma: float) -> float:
    """(1/2) sum_k Phi(-||mu_k||/sigma) <= error of every two-neuron NC network (E3 + E5)."""
    return float(0.5 * sum(Phi(-np.linalg.norm(M[:, k]) / sigma) for k in range(2)))


def nc_bound(r_over_sigma, d_over_n, n: int, half_sep_over_sigma=None):
    """Mean-field NC lower bound (E5):

        max( Phi(-(r/sigma) sqrt(1 - (n-1)/d)),  Phi(-||mu_1-mu_2||/(2 sigma)) ).

    The per-training-set bound is max(Bayes, mean_k Phi(-rho_eq,k/sigma)); rho_eq,k^2 <=
    ||P_V mu_k||^2 with E||P_V mu||^2 = r^2 (d-n+1)/d (V^perp = the uniformly random
    (n-1)-dimensional span of the class-k differences, d >= n - 1), and y -> Phi(-sqrt(y)/sigma)
    is convex and decreasing, so by Jensen the per-training-set bound AVERAGED over training
    sets is at least this value. ``half_sep_over_sigma`` = ||mu_1 - mu_2||/(2 sigma) (defaults
    to r/sigma: antipodal).
    """
    n = balanced_n(n, None, "generalization.nc_bound (reports/generalization.md)")
    rs = np.asarray(r_over_sigma, dtype=np.float64)
    d = np.asarray(d_over_n, dtype=np.float64) * n
    frac = np.clip(1.0 - (n - 1) / d, 0.0, 1.0)
    interp = Phi(-rs * np.sqrt(frac))
    sep = rs if half_sep_over_sigma is None else np.asarray(half_sep_over_sigma, float)
    return np.maximum(interp, Phi(-sep))
