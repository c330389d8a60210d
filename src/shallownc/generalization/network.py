"""Exact test error of a two-neuron NC network (reports/generalization.md E1, E2).

Package docstring (shallownc.generalization): setting, prediction rule, ties as errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate
from scipy.special import ndtr

from ..data import test_set_blocks


def Phi(t):
    """Standard normal CDF (scipy.special.ndtr, accurate in the tails)."""
    return ndtr(t)


# ------------------------------------------------------------------------- E2: exact error

def orthant_probability(a: float, b: float, sa: float, sb: float, cov: float,
                        epsabs: float = 1e-13) -> float:
    """P(A > 0, B > 0) for (A, B) bivariate normal, means (a, b), stds (sa, sb), cov ``cov``.

    E2: with alpha = a/sa, beta = b/sb, rho = cov/(sa sb) and A = a + sa T, T ~ N(0, 1),
        P = int_{-alpha}^{inf} phi(t) Phi((beta + rho t)/sqrt(1 - rho^2)) dt,
    an exact one-dimensional integral (adaptive Gauss-Kronrod, absolute tolerance ``epsabs``).
    Degenerate cases are exact: sa = 0 or sb = 0 (a point mass times a Gaussian), |rho| = 1
    (B is an affine function of A: an interval of T).
    """
    if not all(np.isfinite(v) for v in (a, b, sa, sb, cov)) or sa < 0 or sb < 0:
        raise ValueError(f"invalid bivariate normal parameters {(a, b, sa, sb, cov)}")
    if sa == 0 and sb == 0:
        return float(a > 0 and b > 0)
    if sa == 0:
        return float(a > 0) * float(Phi(b / sb))
    if sb == 0:
        return float(b > 0) * float(Phi(a / sa))
    alpha, beta = a / sa, b / sb
    rho = float(np.clip(cov / (sa * sb), -1.0, 1.0))
    if 1.0 - abs(rho) < 1e-12:
        # B = b + rho sb T: T > -alpha and rho T > -beta.
        lo = max(-alpha, -beta) if rho > 0 else -alpha
        hi = np.inf if rho > 0 else beta
        return float(max(0.0, Phi(hi) - Phi(lo))) if hi > lo else 0.0
    s = np.sqrt(1.0 - rho * rho)

    def f(t):
        return np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi) * Phi((beta + rho * t) / s)

    # Split at the kink-free but steep point t* = -beta/rho to help the quadrature.
    lo = -alpha
    pts = sorted({p for p in (lo, -beta / rho if rho != 0 else lo) if p >= lo})
    total = 0.0
    edges = pts + [np.inf]
    for x0, x1 in zip(edges[:-1], edges[1:]):
        if x1 > x0:
            val, _err = integrate.quad(f, x0, x1, epsabs=epsabs, epsrel=1e-12, limit=200)
            total += val
    return float(min(1.0, max(0.0, total)))


@dataclass
class ClassOutcome:
    """Probabilities for a fresh test point of one class (E1/E2)."""
    correct: float
    tie: float
    wrong: float
    own_neuron_off: float


def class_outcome(w_own: np.ndarray, w_other: np.ndarray, mu: np.ndarray,
                  sigma: float) -> ClassOutcome:
    """Outcome probabilities of a test point x ~ N(mu, sigma^2 I) (E2).

    u_o = <w_own, x>, u_x = <w_other, x>; correct iff u_o > 0 and u_o > u_x; tie iff both
    are <= 0; wrong otherwise (the other class wins).
    """
    w_own, w_other, mu = (np.asarray(v, dtype=np.float64) for v in (w_own, w_other, mu))
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    mo, mx = float(w_own @ mu), float(w_other @ mu)
    goo, gxx, gox = float(w_own @ w_own), float(w_other @ w_other), float(w_own @ w_other)
    s2 = sigma * sigma
    # (A, B) = (u_o, u_o - u_x): Var B = s2 ||w_o - w_x||^2, Cov(A, B) = s2 (goo - gox).
    correct = orthant_probability(mo, mo - mx, sigma * np.sqrt(goo),
                                  sigma * np.sqrt(max(goo + gxx - 2 * gox, 0.0)),
                                  s2 * (goo - gox))
    tie = orthant_probability(-mo, -mx, sigma * np.sqrt(goo), sigma * np.sqrt(gxx), s2 * gox)
    off = float(Phi(-mo / (sigma * np.sqrt(goo)))) if goo > 0 else float(mo <= 0)
    wrong = max(0.0, 1.0 - correct - tie)
    return ClassOutcome(correct, tie, wrong, off)


def network_error(w1: np.ndarray, w2: np.ndarray, M: np.ndarray, sigma: float) -> dict:
    """Exact test error of the two-neuron NC network (E1/E2), equal class priors.

    Returns error (ties count as errors), tie (probability of no decision), error_half_ties
    (ties count 1/2), and the one-neuron reduction off = (1/2) sum_k P(u_k <= 0) (E3).
    """
    M = np.asarray(M, dtype=np.float64)
    if M.shape[1] != 2:
        raise ValueError(f"two classes needed, M has {M.shape[1]} columns")
    o1 = class_outcome(w1, w2, M[:, 0], sigma)
    o2 = class_outcome(w2, w1, M[:, 1], sigma)
    err = 0.5 * ((1 - o1.correct) + (1 - o2.correct))
    tie = 0.5 * (o1.tie + o2.tie)
    return {"error": err, "tie": tie, "error_half_ties": err - 0.5 * tie,
            "off": 0.5 * (o1.own_neuron_off + o2.own_neuron_off)}


def predict_two_neuron(w1, w2, Xt: np.ndarray) -> np.ndarray:
    """Prediction of the NC network on columns of Xt: 0, 1, or -1 for a tie (no decision)."""
    h1 = np.maximum(np.asarray(w1) @ Xt, 0.0)
    h2 = np.maximum(np.asarray(w2) @ Xt, 0.0)
    return np.where(h1 > h2, 0, np.where(h2 > h1, 1, -1))


def monte_carlo_error(w1, w2, M, sigma, n_test: int, rng: np.random.Generator) -> tuple:
    """Sampled test error (ties as errors) on n_test fresh points per class, with its std."""
    errs = 0
    for k, Xt in test_set_blocks(M[:, :2], n_test, sigma, rng):
        errs += int((predict_two_neuron(w1, w2, Xt) != k).sum())
    p = errs / (2 * n_test)
    return p, np.sqrt(max(p * (1 - p), 1e-300) / (2 * n_test))
