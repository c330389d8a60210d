"""Generalization of neural-collapse (NC) solutions for two-class Gaussian mixtures.

docs/science.md §8; every formula below is derived in reports/generalization.md (section tags
"E1".."E5" refer to it).

Setting (docs/science.md §1): K = 2, x = mu_k + sigma z, z ~ N(0, I_d). A two-neuron NC solution
(docs/science.md §4) has neurons w_1 in F_1, w_2 in F_2 with
    F_k = { w : X_k^T w = 1, X_j^T w <= 0 (j != k) }      (the class-k LP on the TRAINING set),
and predicts class 1 iff relu(u_1) > relu(u_2), class 2 iff relu(u_2) > relu(u_1), with
u_k = <w_k, x> (the NC second layer is aligned with the collapsed, equinorm features, so the
logits are proportional to relu(u_1) - relu(u_2); E1). When both neurons are off (u_1 <= 0,
u_2 <= 0) the logits tie and the network makes no decision: **ties count as errors**; the tie
probability is returned separately so that the "ties count one half" convention can be formed.

* E2, exact error of a given network: (u_1, u_2) is bivariate Gaussian given (w_1, w_2), so
  P(correct | class k) = P(u_k > 0, u_k - u_j > 0) is a bivariate-normal orthant probability,
  evaluated as an exact one-dimensional integral (:func:`orthant_probability`).
* E3, one-neuron reduction: a class-k test point whose own neuron is off (u_k <= 0) is never
  classified correctly, so   err >= (1/2) sum_k Phi(-<w_k, mu_k> / (sigma ||w_k||)).
* E4, the best NC neuron: sup over F_k of the alignment <w, mu_k>/||w|| ("beta" below) is a
  least-distance program over the closed cone C_k = cl cone(F_k), solved exactly by NNLS
  (Lawson & Hanson 1974, ch. 23) in :func:`best_alignment`. The best NC error lies in the
  bracket [max(reduction optimum, Bayes), smallest exact error of explicit NC networks]
  (E4b linear network, E4c pushed-apart pairs, E4d local SLSQP refinement).
* E5, bounds: Cauchy-Schwarz / Bayes constants and the interpolation (equality-relaxation)
  bound rho_eq = ||Pi_{V_k cap H_k}(mu_k)|| (:func:`equality_relaxation_alignment`), whose
  mean-field value is r sqrt(1 - (n - 1)/d).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy import integrate, optimize
from scipy.special import ndtr

from . import data as D
from . import feasibility as F
from . import io
from . import sweep as SW
from .grid import Cell, Grid
from .upfm import NORMALIZATION

STATUS_OK, STATUS_NOT_NC, STATUS_NONPOSITIVE, STATUS_UNDECIDED = 1, 0, 2, -1
STATUS_NAMES = {STATUS_OK: "ok (class LP feasible, best alignment positive)",
                STATUS_NOT_NC: "class LP infeasible on the training set (no NC solution)",
                STATUS_NONPOSITIVE: "NC feasible but no NC neuron has positive alignment "
                                    "(best error >= 1/2; value not computed)",
                STATUS_UNDECIDED: "class LP undecided or least-distance solve failed"}


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
    for k in range(2):
        Xt = M[:, [k]] + sigma * rng.standard_normal((M.shape[0], n_test))
        errs += int((predict_two_neuron(w1, w2, Xt) != k).sum())
    p = errs / (2 * n_test)
    return p, np.sqrt(max(p * (1 - p), 1e-300) / (2 * n_test))


# ------------------------------------------------------------- E4: best NC neuron (exact)

def ldp(G: np.ndarray, h: np.ndarray):
    """Least-distance program min ||xi|| s.t. G xi >= h, by NNLS (Lawson & Hanson, ch. 23).

    With E = [G^T; h^T] and f = e_{last}, solve u = argmin_{u >= 0} ||E u - f||; r = E u - f.
    If r = 0 the constraints are infeasible (returns None); else xi = -r[:-1] / r[-1].
    """
    m, q = G.shape
    if m == 0:
        return np.zeros(q)
    E = np.vstack([G.T, h[None, :]])
    f = np.zeros(q + 1)
    f[-1] = 1.0
    u, _ = optimize.nnls(E, f, maxiter=50 * (q + m + 1))
    r = E @ u - f
    if np.linalg.norm(r) < 1e-10 or abs(r[-1]) < 1e-12:
        return None
    return -r[:-1] / r[-1]


@dataclass
class Alignment:
    """Best alignment of a class-k NC neuron (E4)."""
    status: int
    beta: float = np.nan                 # sup_{w in F_k} <w, mu_k>/||w||
    w_cone: np.ndarray | None = field(default=None, repr=False)  # maximizer in C_k, <w,mu>=1
    s: float = np.nan                    # training activation level x_i^T w_cone of class k
    violation: float = np.nan            # max constraint violation of w_cone
    reason: str = ""


def best_alignment(X: np.ndarray, y: np.ndarray, k: int, mu: np.ndarray,
                   tol: float = 1e-7) -> Alignment:
    """beta*_k = sup_{w in F_k} <w, mu>/||w|| by one least-distance program (E4).

    The ratio is scale invariant, so the sup over F_k equals the sup over the closed cone
        C_k = { w : (x_i - x_1)^T w = 0 (i in class k), x_1^T w >= 0, X_j^T w <= 0 }
    (given F_k is non-empty), and   beta* = 1 / min{ ||w|| : w in C_k, <mu, w> = 1 }.
    The equalities are eliminated (w = w_p + N xi, N an orthonormal basis of their null
    space, w_p the minimum-norm particular solution, orthogonal to it), leaving an LDP in xi.
    If that LDP is infeasible no NC neuron has positive alignment (status NONPOSITIVE).
    The caller must establish that F_k is non-empty (class LP); this function does not.
    """
    X = np.asarray(X, dtype=np.float64)
    Xk, Xo = X[:, y == k], X[:, y != k]
    d = X.shape[0]
    E = np.vstack([(Xk[:, 1:] - Xk[:, :1]).T, mu[None, :]])
    e = np.zeros(E.shape[0])
    e[-1] = 1.0
    U, sv, Vt = np.linalg.svd(E, full_matrices=True)
    rank = int((sv > sv.max() * max(E.shape) * np.finfo(float).eps).sum())
    w_p = Vt[:rank].T @ ((U[:, :rank].T @ e) / sv[:rank])
    if np.abs(E @ w_p - e).max() > 1e-8 * max(1.0, np.abs(E).max() * np.abs(w_p).max()):
        return Alignment(STATUS_NONPOSITIVE, reason="<mu, w> = 1 inconsistent with the "
                         "class-k equalities")
    N = Vt[rank:].T                                   # d x (d - rank)
    Gfull = np.vstack([Xk[:, :1].T, -Xo.T])           # Gfull w >= 0
    xi = ldp(Gfull @ N, -(Gfull @ w_p)) if N.shape[1] else (
        np.zeros(0) if (Gfull @ w_p >= -tol).all() else None)
    if xi is None:
        return Alignment(STATUS_NONPOSITIVE, reason="no w in the NC cone has <mu, w> > 0")
    w = w_p + N @ xi
    viol = max(float(np.abs(E @ w - e).max()), float(np.maximum(-(Gfull @ w), 0).max()))
    scale = max(1.0, float(np.linalg.norm(w)) * float(np.linalg.norm(X, axis=0).max()))
    if viol > tol * scale:
        return Alignment(STATUS_UNDECIDED, violation=viol,
                         reason=f"least-distance solution violates constraints by {viol:.2e}")
    return Alignment(STATUS_OK, beta=1.0 / float(np.linalg.norm(w)), w_cone=w,
                     s=float(Xk[:, 0] @ w), violation=viol)


def nc_neuron(al: Alignment, w_lp: np.ndarray, X: np.ndarray, y: np.ndarray, k: int,
              rel_s: float = 1e-9):
    """A w in F_k (X_k^T w = 1) realising the best alignment, and whether it is attained.

    w = w_cone / s when s > 0. When the sup is approached only as s -> 0 (w_cone itself has
    X_k^T w = 0), w_cone + t w_lp is in cone(F_k) for any t > 0; t = 1e-6 ||w_cone||/||w_lp||
    loses at most ~1e-6 of the alignment, and the result is rescaled into F_k.
    """
    Xk = X[:, y == k]
    w = al.w_cone
    attained = al.s > rel_s * np.linalg.norm(w) * np.linalg.norm(Xk[:, 0])
    if not attained:
        w = w + 1e-6 * np.linalg.norm(w) / np.linalg.norm(w_lp) * w_lp
    s = float(Xk[:, 0] @ w)
    return w / s, bool(attained)


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
    rs = np.asarray(r_over_sigma, dtype=np.float64)
    d = np.asarray(d_over_n, dtype=np.float64) * n
    frac = np.clip(1.0 - (n - 1) / d, 0.0, 1.0)
    interp = Phi(-rs * np.sqrt(frac))
    sep = rs if half_sep_over_sigma is None else np.asarray(half_sep_over_sigma, float)
    return np.maximum(interp, Phi(-sep))


# ------------------------------------------------------------------ one training set

def analyse_instance(X: np.ndarray, y: np.ndarray, M: np.ndarray, sigma: float,
                     opts: F.SolverOptions | None = None) -> dict:
    """Everything for one training set: NC verdicts, best NC error bracket, bounds (E1-E5).

    Returns a dict of floats/ints: nc_status_k (verified class-LP verdicts), align_status_k,
    beta_k (best alignment), attained_k, rho_eq_k, lower (L*, a lower bound of the best NC
    error, see reduction), upper (= exact error of the network built from the
    two best neurons, an NC solution, so an upper bound of the best NC error), reduction
    (the exact optimum of the one-neuron reduction (1/2) sum_k Phi(-beta_k/sigma); lower is
    max(reduction, Bayes): the reduction ignores confusions, the Bayes error does not), tie_upper,
    bound_instance (= max(Bayes, (1/2) sum_k Phi(-rho_eq_k/sigma))), bayes, cs_bound.
    """
    X = np.asarray(X, dtype=np.float64)
    out = {"bayes": bayes_error(M, sigma), "cs_bound": cauchy_schwarz_bound(M, sigma)}
    verdicts = [F.solve(F.class_lp(X, y, k), opts) for k in range(2)]
    neurons = []
    statuses = []
    for k in range(2):
        v = verdicts[k]
        out[f"nc_status_{k}"] = int(v.status)
        out[f"rho_eq_{k}"] = equality_relaxation_alignment(X, y, k, M[:, k])
        al = Alignment(STATUS_NOT_NC if v.status == F.INFEASIBLE else STATUS_UNDECIDED,
                       reason=v.reason)
        if v.status == F.FEASIBLE:
            al = best_alignment(X, y, k, M[:, k])
        statuses.append(al.status)
        out[f"align_status_{k}"] = int(al.status)
        out[f"beta_{k}"] = al.beta
        out[f"attained_{k}"] = np.nan
        if al.status == STATUS_OK:
            w, att = nc_neuron(al, v.w, X, y, k)
            out[f"attained_{k}"] = float(att)
            neurons.append(w)
    out["bound_instance"] = max(out["bayes"], 0.5 * sum(
        float(Phi(-out[f"rho_eq_{k}"] / sigma)) for k in range(2)))
    out["lower"] = out["upper"] = out["tie_upper"] = out["reduction"] = np.nan
    if all(s == STATUS_OK for s in statuses):
        out["reduction"] = 0.5 * sum(float(Phi(-out[f"beta_{k}"] / sigma)) for k in range(2))
        out["lower"] = max(out["reduction"], out["bayes"])
        ne = network_error(neurons[0], neurons[1], M, sigma)
        out["upper"], out["tie_upper"] = ne["error"], ne["tie"]
        out["_neurons"] = neurons
        out["_lp_ws"] = [v.w for v in verdicts]
    out["status"] = (STATUS_OK if all(s == STATUS_OK for s in statuses) else
                     STATUS_NOT_NC if STATUS_NOT_NC in statuses else
                     STATUS_UNDECIDED if STATUS_UNDECIDED in statuses else STATUS_NONPOSITIVE)
    return out


def best_linear_nc(X: np.ndarray, y: np.ndarray, M: np.ndarray, sigma: float):
    """The best "linear" NC network: w_2 = -w_1 with X_1^T w_1 = 1, X_2^T w_1 = -1 (E4b).

    Then w_1 in F_1, w_2 in F_2 (both classes interpolated at +-1), relu(u_1) > relu(u_2) iff
    u_1 > 0, and there is no dead zone: the network is the linear classifier sign(u_1), with
        error = (1/2) [Phi(-<w, mu_1>/(sigma ||w||)) + Phi(<w, mu_2>/(sigma ||w||))].
    The direction maximising <w, m>/||w||, m = (mu_1 - mu_2)/2, over the cone
    {X_1^T w = s 1, X_2^T w = -s 1, s >= 0} is the projection of m onto that cone (Moreau;
    the cone is a subspace V cut by the half-space s >= 0, as in
    :func:`equality_relaxation_alignment`). For antipodal means this is the exact optimum of
    the family; otherwise a feasible member. Returns (error, w) with w scaled so s = 1, or
    (nan, None) when the system X^T w = +-1 has no solution (generically d < N) or the optimum
    is not attained with s > 0.
    """
    X = np.asarray(X, dtype=np.float64)
    sgn = np.where(y == 0, 1.0, -1.0)
    Xs = X * sgn                                     # rows: sgn_i x_i^T w = s
    D = Xs[:, 1:] - Xs[:, :1]
    Q, R = np.linalg.qr(D)
    keep = np.abs(np.diag(R)) > np.abs(R).max() * max(D.shape) * np.finfo(float).eps
    Q = Q[:, keep]

    def PV(v):
        return v - Q @ (Q.T @ v)

    a = PV(Xs[:, 0])
    if a @ a <= 1e-20 * (Xs[:, 0] @ Xs[:, 0]):
        return np.nan, None                          # X^T w = sgn has no solution
    m = 0.5 * (M[:, 0] - M[:, 1])
    pm = PV(m)
    c = float(a @ pm)
    if c < 0:
        pm = pm - c / float(a @ a) * a
    s = float(Xs[:, 0] @ pm)
    if not s > 1e-9 * np.linalg.norm(pm) * np.linalg.norm(Xs[:, 0]):
        # sup approached only as s -> 0: mix in the minimum-norm interpolant (cf. nc_neuron)
        w0 = a / float(a @ a)
        pm = pm + 1e-6 * np.linalg.norm(pm) / np.linalg.norm(w0) * w0
        s = float(Xs[:, 0] @ pm)
    w = pm / s
    if np.abs(Xs.T @ w - 1).max() > 1e-6:
        return np.nan, None
    return network_error(w, -w, M, sigma)["error"], w


def upper_search(X, y, M, sigma, neurons, lp_ws, lambdas=(0.5, 1.0)):
    """Explicit NC networks pushed apart (E4c): list of (exact error, w1, w2).

    For each lambda, neuron k is the best aligned (E4, same LDP) with the target
    mu_k - lambda r w_j*/||w_j*|| (r = ||mu_k||), which pushes the two neurons apart and
    shrinks the dead zone where both are off. Every candidate is an NC solution, so each error
    is an upper bound of the best NC error.
    """
    out = []
    for lam in lambdas:
        ws = []
        for k in range(2):
            j = 1 - k
            r = float(np.linalg.norm(M[:, k]))
            tgt = M[:, k] - lam * r * neurons[j] / np.linalg.norm(neurons[j])
            al = best_alignment(X, y, k, tgt)
            if al.status != STATUS_OK:
                break
            ws.append(nc_neuron(al, lp_ws[k], X, y, k)[0])
        if len(ws) == 2:
            out.append((network_error(ws[0], ws[1], M, sigma)["error"], ws[0], ws[1]))
    return out


# ------------------------------------------------------------------------- grid of cells

def check_experiment(name: str, exp: dict) -> list[str]:
    """Cross-field checks of one ``generalization.experiments`` entry (messages name keys)."""
    where = f"generalization.experiments.{name}"
    msgs = []
    ds = [round(r * exp["n"]) for r in exp["d_over_n"]]
    if min(ds) < 2:
        msgs.append(f"'{where}.d_over_n' gives d = {min(ds)} < 2 for n = {exp['n']}")
    if len(set(ds)) != len(ds):
        msgs.append(f"'{where}.d_over_n' values round to duplicate d for n = {exp['n']}: {ds}")
    extra = [p for p in exp.get("panel_d_over_n", []) if p not in exp["d_over_n"]]
    if extra:
        msgs.append(f"'{where}.panel_d_over_n' values {extra} are not in d_over_n "
                    f"{exp['d_over_n']}")
    s = exp.get("low_snr", 0)
    if s and s not in exp["snr"]:
        msgs.append(f"'{where}.low_snr' = {s} is not one of snr {exp['snr']}")
    tr = exp.get("trained", {})
    for key in ("snr", "d_over_n"):
        extra = [v for v in tr.get(key, []) if v not in exp[key]]
        if extra:
            msgs.append(f"'{where}.trained.{key}' values {extra} are not in {key} {exp[key]}")
    if tr.get("trials", 1) > exp["trials"]:
        msgs.append(f"'{where}.trained.trials' = {tr['trials']} exceeds trials = {exp['trials']}")
    return msgs


def cell_spec(exp: dict, snr: float, d_over_n: float) -> D.GMMSpec:
    """GMM of one cell: K = 2, d = round(d_over_n n), sigma = mean_norm / snr."""
    return D.GMMSpec(exp["geometry"], 2, exp["n"], int(round(d_over_n * exp["n"])),
                     float(exp.get("mean_norm", 1.0)) / float(snr),
                     float(exp.get("mean_norm", 1.0)), float(exp.get("angle_deg", 120.0)))


_GDIMS = ("d", "sigma", "trial")      # sweep dims; renamed to (snr, d_over_n, trial) after
_THEORY_VARS = {
    # name: (dims suffix, description, units)
    "status": ("", "analysis status: 1 ok, 0 not NC (a class LP infeasible), 2 NC but no "
               "neuron with positive alignment, -1 undecided", "1"),
    "nc_all_status": ("", "verified NC verdict of the training set: 1 both class LPs "
                      "feasible, 0 one infeasible, -1 undecided (docs/science.md 4)", "1"),
    "best_nc_error_lower": ("", "L* = max(reduction_optimum, Bayes error): lower end of "
                            "the best NC test error (reports/generalization.md E3-E5)", "1"),
    "reduction_optimum": ("", "exact min over NC solutions of the one-neuron reduction "
                          "(1/2) sum_k Phi(-beta_k/sigma) (E3-E4)", "1"),
    "best_nc_error_upper": ("", "U* = smallest exact test error among explicit NC networks "
                            "(best-neuron pair, E4c pushed-apart pairs, linear NC network, "
                            "E4d refinement where done): "
                            "upper end of the best NC test error (E2, E4)", "1"),
    "refined_error": ("", "exact test error of the best explicit NC network after local "
                      "SLSQP refinement over F_1 x F_2 (E4d); nan where not refined", "1"),
    "pair_error": ("", "exact test error of the network of the two individually best NC "
                   "neurons (ties count as errors, E2)", "1"),
    "pair_tie": ("", "probability that both neurons of that network are off (no decision)",
                 "1"),
    "linear_nc_error": ("", "exact test error of the best linear NC network w_2 = -w_1 "
                        "(E4b); nan when X^T w = +-1 is unsolvable (d < N)", "1"),
    "bound_instance": ("", "max(Bayes, (1/2) sum_k Phi(-rho_eq_k/sigma)): lower bound of the "
                       "test error of every NC solution of this training set (E5)", "1"),
    "bayes_error": ("", "Bayes error Phi(-||mu_1 - mu_2||/(2 sigma)) (E5)", "1"),
    "cs_bound": ("", "(1/2) sum_k Phi(-||mu_k||/sigma): Cauchy-Schwarz constant bound (E5)",
                 "1"),
}
_CLASS_VARS = {
    "nc_status": ("verified class-LP verdict (1 feasible, 0 infeasible, -1 undecided)", "1"),
    "beta": ("best alignment sup_{w in F_k} <w, mu_k>/||w|| (E4)", "same as mu"),
    "rho_eq": ("equality-relaxation alignment, >= beta (E5)", "same as mu"),
    "attained": ("1 if the best alignment is attained in F_k, 0 if only approached", "1"),
}
_STATUS_FLAGS = io.flag_attrs({STATUS_OK: "ok", STATUS_NOT_NC: "not_nc",  # CF 3.5
                               STATUS_NONPOSITIVE: "no_positive_alignment",
                               STATUS_UNDECIDED: "undecided"})
THEORY_VARIABLES = (
    tuple(SW.Variable(v, _GDIMS, u, desc, attrs=_STATUS_FLAGS if v == "status" else {})
          for v, (_s, desc, u) in _THEORY_VARS.items())
    + tuple(SW.Variable(v, _GDIMS + ("class",), u, desc) for v, (desc, u) in _CLASS_VARS.items())
    + (SW.Variable("seed", _GDIMS, "1", "data seed of the cell (shallownc.data.cell_seed)",
                   np.uint64, 0),
       SW.Variable("snr_data", _GDIMS[:2], "1", D.SNR_DEFINITION + " (data stage convention)")))


def experiment_grid(exp: dict, name: str = "generalization", trials: int | None = None,
                    snr=None, d_over_n=None) -> Grid:
    """The experiment's training sets as a grid (shallownc.grid): d = round(d_over_n n),
    sigma = mean_norm / snr (cell_spec), so that Grid.seed is the data seed of cell_spec."""
    r = float(exp.get("mean_norm", 1.0))
    return Grid(name=name, kind="phase", source="gmm", geometry=exp["geometry"], K=2,
                n=exp["n"], d=tuple(int(round(v * exp["n"])) for v in d_over_n or exp["d_over_n"]),
                sigma=tuple(r / float(s) for s in snr or exp["snr"]),
                trials=int(trials or exp["trials"]), mean_norm=r,
                angle_deg=float(exp.get("angle_deg", 120.0)))


def _draw(cell: Cell, base_seed: int, sigma: float):
    """(X, y, M, seed) of a cell at sigma: cell_spec's draw (GMMSpec.draw, seed = Grid.seed)."""
    g = cell.grid
    spec = D.GMMSpec(g.geometry, 2, g.n, cell.d, sigma, g.mean_norm, g.angle_deg)
    return spec.draw(base_seed, cell.trial)


def best_upper(X, y, M, sigma, out: dict, lin, w_lin, lambdas, refine: bool, refine_iter: int):
    """(U*, refined error or nan) of one training set with status ok: the smallest exact error
    of the best-neuron pair, the linear NC network, the pushed-apart pairs (E4c) and, when
    ``refine``, the local refinement of the best of them (E4d)."""
    cands = [(out["upper"], *out["_neurons"])]
    if w_lin is not None:
        cands.append((lin, w_lin, -w_lin))
    cands += upper_search(X, y, M, sigma, out["_neurons"], out["_lp_ws"], lambdas)
    best = min(cands, key=lambda c: c[0])
    refined = np.nan
    if refine:
        ref = refine_pair(X, y, M, sigma, best[1], best[2], max_iter=refine_iter)
        refined = ref[0]
        best = min(best, ref, key=lambda c: c[0])
    return best[0], refined


def theory_instance(X, y, M, sigma: float, opts=None, lambdas=(0.5, 1.0), refine=False,
                    refine_iter: int = 100) -> dict:
    """Every theory variable of one training set (analyse_instance, E4b, E4c, E4d)."""
    out = analyse_instance(X, y, M, sigma, opts)
    lin, w_lin = best_linear_nc(X, y, M, sigma)
    upper, refined = np.nan, np.nan
    if out["status"] == STATUS_OK:
        upper, refined = best_upper(X, y, M, sigma, out, lin, w_lin, lambdas, refine,
                                    refine_iter)
    return {"status": out["status"],
            "nc_all_status": F.all_classes_status([out["nc_status_0"], out["nc_status_1"]]),
            "best_nc_error_lower": out["lower"], "reduction_optimum": out["reduction"],
            "best_nc_error_upper": upper, "refined_error": refined,
            "pair_error": out["upper"], "pair_tie": out["tie_upper"],
            "linear_nc_error": lin, "bound_instance": out["bound_instance"],
            "bayes_error": out["bayes"], "cs_bound": out["cs_bound"],
            **{v: [out[f"{key}_{k}"] for k in range(2)] for v, key in
               (("nc_status", "nc_status"), ("beta", "beta"), ("rho_eq", "rho_eq"),
                ("attained", "attained"))}}


def theory_cell(cell: Cell, *, base_seed: int, opts=None, lambdas=(0.5, 1.0),
                refine_trials: int = 0, refine_iter: int = 100) -> dict:
    """Cell function (shallownc.sweep): THEORY_VARIABLES of one training set per sigma;
    trials t < refine_trials are also refined (E4d)."""
    outs = []
    for s in cell.sigmas:
        X, y, M, seed = _draw(cell, base_seed, s)
        o = theory_instance(X, y, M, s, opts, lambdas, cell.trial < refine_trials, refine_iter)
        outs.append(dict(o, seed=seed, snr_data=D.snr(M, s)))
    return {k: [o[k] for o in outs] for k in outs[0]}


def _to_snr_axes(ds: xr.Dataset, exp: dict, g: Grid) -> xr.Dataset:
    """(d, sigma, trial) sweep output -> dims (snr, d_over_n, trial) in the config's order."""
    snrs = np.asarray(exp["snr"], float)
    dns = np.asarray(exp["d_over_n"], float)
    ds = ds.sel(sigma=list(g.sigma), d=list(g.d))
    ds = ds.assign_coords(snr=("sigma", snrs), d_over_n=("d", dns)).swap_dims(
        sigma="snr", d="d_over_n")
    order = ("snr", "d_over_n", "trial", "class")
    return ds.transpose(*[o for o in order if o in ds.dims])


def _theory_coords(ds: xr.Dataset, exp: dict) -> xr.Dataset:
    n, r = exp["n"], float(exp.get("mean_norm", 1.0))
    snrs, dns = np.asarray(exp["snr"], float), np.asarray(exp["d_over_n"], float)
    return ds.assign_coords({
        "snr": ("snr", snrs, {"description": "||mu_k|| / sigma", "units": "1"}),
        "d_over_n": ("d_over_n", dns, {"description": "d / n", "units": "1"}),
        "trial": ("trial", ds.trial.values, {"description": "training-set index", "units": "1"}),
        "class": ("class", np.arange(2), {"description": "class k (neuron k)", "units": "1"}),
        "d": ("d_over_n", np.array([int(round(v * n)) for v in dns]),
              {"description": "input dimension d = round(d_over_n n)", "units": "1"}),
        "sigma": ("snr", r / snrs,
                  {"description": "noise std per coordinate", "units": "same as mu"})})


def _theory_attrs(exp: dict) -> dict:
    return {"K": 2, "n": exp["n"], "geometry": exp["geometry"],
            "mean_norm": float(exp.get("mean_norm", 1.0)),
            "angle_deg": float(exp.get("angle_deg", 120.0)),
            "snr_definition": "snr = ||mu_k|| / sigma (generalization stage)",
            "tie_convention": "ties (both neurons off) count as errors",
            "derivation": "reports/generalization.md",
            "panel_d_over_n": json.dumps([float(v) for v in exp.get("panel_d_over_n", [])]),
            "low_snr": float(exp.get("low_snr", 0)), "normalization": NORMALIZATION}


def _bound_meanfield(exp: dict) -> tuple:
    """The (snr, d_over_n) variable of the mean-field NC bound nc_bound (E5)."""
    half_sep = 1.0 if exp["geometry"] == "antipodal" else np.sin(
        np.deg2rad(float(exp.get("angle_deg", 120.0))) / 2)
    S, DN = np.meshgrid(np.asarray(exp["snr"], float), np.asarray(exp["d_over_n"], float),
                        indexing="ij")
    return (("snr", "d_over_n"), nc_bound(S, DN, exp["n"], half_sep * S),
            {"description": "mean-field NC lower bound max(Phi(-snr sqrt(1-(n-1)/d)), "
             "Phi(-||mu_1-mu_2||/(2 sigma))) (E5)", "units": "1"})


def run_theory(exp: dict, base_seed: int, opts: F.SolverOptions | None = None,
               lambdas=(0.5, 1.0), log=None) -> xr.Dataset:
    """Best NC error bracket, NC verdicts and bounds on every (snr, d_over_n, trial): the cell
    function theory_cell swept by shallownc.sweep over experiment_grid (one job per d).

    Trials t < exp["refine_trials"] also get the local refinement of the best explicit NC
    network (E4d; variable refined_error), with exp["refine_max_iter"] SLSQP iterations.
    """
    g = experiment_grid(exp)
    fn = functools.partial(theory_cell, base_seed=base_seed, opts=opts, lambdas=tuple(lambdas),
                           refine_trials=int(exp.get("refine_trials", 0)),
                           refine_iter=int(exp.get("refine_max_iter", 100)))
    ds = SW.sweep(g, fn, THEORY_VARIABLES, trials_per_job=g.trials,
                  coords={"class": (np.arange(2), {})})
    ds = _theory_coords(_to_snr_axes(ds, exp, g), exp)
    ds["seed"] = ds.seed.copy(data=ds.seed.values.astype(str).astype(object))
    ds["bound_meanfield"] = _bound_meanfield(exp)
    ds.attrs = _theory_attrs(exp)
    ds = ds[[*_THEORY_VARS, *_CLASS_VARS, "seed", "bound_meanfield", "snr_data"]]
    if log:
        for dn in ds.d_over_n.values:
            part = ds.sel(d_over_n=dn)
            log.info("d/n %g: P(NC) by snr %s", dn,
                     np.round((part.nc_all_status == 1).mean("trial").values, 2).tolist())
    return ds


# --------------------------------------------------------------------- trained networks

def trained_test_error(W1: np.ndarray, W2: np.ndarray, M: np.ndarray, sigma: float,
                       n_test: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """Test error of f(x) = W2 relu(W1 x) on n_test fresh samples per class (equal priors).

    Prediction argmax_k f_k(x); a tie for the maximum (e.g. every neuron off, f = 0) counts
    as an error, as for NC networks (E1). Returns (error, binomial std error, tie rate).
    """
    errs = ties = 0
    for k in range(M.shape[1]):
        Xt = M[:, [k]] + sigma * rng.standard_normal((M.shape[0], n_test))
        logits = W2 @ np.maximum(W1 @ Xt, 0.0)
        top = logits.max(axis=0)
        tie = (logits == top).sum(axis=0) > 1
        wrong = (logits.argmax(axis=0) != k) | tie
        errs += int(wrong.sum())
        ties += int(tie.sum())
    tot = M.shape[1] * n_test
    p = errs / tot
    return p, float(np.sqrt(p * (1 - p) / tot)), ties / tot


_TRAINED_VARS = {
    "trained": ("1 if a network was trained on this training set, else 0", "1"),
    "trained_test_error": ("test error of the trained two-layer net on n_test fresh samples "
                           "per class (ties count as errors)", "1"),
    "trained_test_error_se": ("binomial standard error of trained_test_error", "1"),
    "trained_train_error": ("training error of the trained net (ties count as errors)", "1"),
    "trained_nc1": ("NC1 of the trained net's training features relu(W1 X) (metrics.nc1)",
                    "1"),
    "trained_collapsed": ("1 if trained_nc1 < nc1_threshold (and not diverged), else 0", "1"),
    "trained_diverged": ("1 if training diverged (training.py), else 0", "1"),
    "trained_objective": ("final training objective, paper (2.1) normalization: "
                          "(1/N) sum CE + (lambda_W/2)||W2||^2 + (lambda_H/2)||H||^2", "1"),
}


TRAINED_VARIABLES = tuple(SW.Variable(v, _GDIMS, u, desc) for v, (desc, u) in
                          _TRAINED_VARS.items())


def _train_cells(cells: list, base_seed: int, tr: dict, name: str):
    """One batched shallownc.training.train_two_layer call on the cells' training sets
    (seed mod 2^31 of each data set); returns {(sigma, trial): (W1, W2, diverged, objective)}
    and the wall time."""
    from . import training  # torch only when something is trained
    from .normalization import trainer_lambdas

    draws = [_draw(c, base_seed, c.sigmas[0]) for c in cells]
    # config lambdas are the paper's (2.1); defaults as in the schema (run_trained is also
    # called with unvalidated experiment dicts in tests)
    lam_W, lam_H = trainer_lambdas(float(tr.get("lambda_W", 2e-3)),
                                   float(tr.get("lambda_H", 2e-3)))
    res = training.train_two_layer(
        np.stack([d[0] for d in draws]), np.stack([d[1] for d in draws]),
        width=int(tr.get("width", 20)), loss=tr.get("loss", "ce"), reg="feature",
        lambda_W=lam_W, lambda_H=lam_H, epochs=int(tr.get("epochs", 3000)),
        lr=float(tr.get("lr", 0.05)), init_scale=float(tr.get("init_scale", 1.0)),
        seeds=[d[3] % (2 ** 31) for d in draws], eval_epochs=[], name=name)
    nets = {(c.sigmas[0], c.trial): (res.W1[r], res.W2[r], bool(res.diverged[r]),
                                     float(res.objective[r])) for r, c in enumerate(cells)}
    return nets, res.wall_s


def trained_net_metrics(W1, W2, X, y, M, sigma: float, rng, n_test: int,
                        nc1_threshold: float) -> dict:
    """Test error (trained_test_error), training error (ties count as errors) and NC1
    (shallownc.metrics.nc1 of relu(W1 X)) of one trained, not diverged net."""
    from . import metrics

    e, se, _tie = trained_test_error(W1, W2, M, sigma, n_test, rng)
    H = np.maximum(W1 @ X, 0.0)
    logits = W2 @ H
    top = logits.max(axis=0)
    tr_wrong = (logits.argmax(axis=0) != y) | ((logits == top).sum(axis=0) > 1)
    nc1 = metrics.nc1(H, y, 2)
    return {"trained_test_error": e, "trained_test_error_se": se,
            "trained_train_error": float(tr_wrong.mean()), "trained_nc1": nc1,
            "trained_collapsed": float(np.isfinite(nc1) and nc1 < nc1_threshold)}


def trained_cell(cell: Cell, *, base_seed: int, tr: dict, nets: dict) -> dict:
    """Cell function (shallownc.sweep): TRAINED_VARIABLES of the nets trained on the cell's
    training sets (``nets`` from _train_cells); test samples from their own seed."""
    out = {v: [] for v in _TRAINED_VARS}
    g = cell.grid
    for s in cell.sigmas:
        W1, W2, diverged, objective = nets[(s, cell.trial)]
        o = dict.fromkeys(_TRAINED_VARS, np.nan)
        o.update(trained=1.0, trained_diverged=float(diverged), trained_objective=objective)
        if diverged:
            o["trained_collapsed"] = 0.0
        else:
            X, y, M, _seed = _draw(cell, base_seed, s)
            rng = np.random.default_rng(D.cell_seed(
                base_seed, cell.trial, purpose="generalization_test", geometry=g.geometry,
                n=g.n, d=cell.d, sigma=float(s), angle_deg=g.angle_deg))
            o.update(trained_net_metrics(W1, W2, X, y, M, s, rng, int(tr.get("n_test", 20000)),
                                         float(tr.get("nc1_threshold", 1e-3))))
        for k, v in o.items():
            out[k].append(v)
    return out


def _trained_parts(exp: dict, base_seed: int, log=None) -> list:
    """One sweep job per trained d_over_n: the trained (snr, trial) cells, trained in one
    batch, then trained_cell on each."""
    tr = exp.get("trained", {})
    if not tr.get("enabled", True):
        return []
    t_snr = [s for s in exp["snr"] if s in (tr.get("snr") or exp["snr"])]
    t_dn = [v for v in exp["d_over_n"] if v in (tr.get("d_over_n") or exp["d_over_n"])]
    t_T = min(int(tr.get("trials", 2)), int(exp["trials"]))
    if not t_snr or not t_dn or t_T < 1:
        return []
    parts = []
    for dn in t_dn:
        g = experiment_grid(exp, trials=t_T, snr=t_snr, d_over_n=[dn])
        nets, wall = _train_cells(g.cells(g.d[0], range(t_T)), base_seed, tr,
                                  f"generalization_dn{dn:g}")
        fn = functools.partial(trained_cell, base_seed=base_seed, tr=tr, nets=nets)
        parts.append(SW.run_job(g, f"d{g.d[0]}_t0-{t_T}", fn, TRAINED_VARIABLES))
        if log:
            log.info("d/n %g: trained %d nets in %.1f s", dn, len(nets), wall)
    return parts


def run_trained(exp: dict, base_seed: int, log=None) -> xr.Dataset:
    """Train two-layer nets on the experiment's training sets (same draws as run_theory).

    One batched call of shallownc.training.train_two_layer per d (runs = trained (snr, trial)
    cells, one data set each), then the cell function trained_cell through shallownc.sweep.
    Test error by sampling (trained_test_error), NC1 by shallownc.metrics.nc1. Cells not
    trained hold NaN and trained = 0.
    """
    g = experiment_grid(exp)
    T = g.trials
    parts = _trained_parts(exp, base_seed, log)
    fills = {v: (0.0 if v == "trained" else np.nan) for v in _TRAINED_VARS}
    if parts:
        ds = SW.combine(parts)
    else:
        ds = xr.Dataset({v.name: (v.dims, np.full((1, 1, 1), np.nan), v.all_attrs())
                         for v in TRAINED_VARIABLES},
                        coords={"d": [g.d[0]], "sigma": [g.sigma[0]], "trial": [0]})
        ds = ds.isel(trial=slice(0, 0))
    ds = ds.reindex(d=list(g.d), sigma=list(g.sigma), trial=np.arange(T), fill_value=fills)
    ds = _to_snr_axes(ds, exp, g).drop_vars(["d", "sigma"])
    ds = ds.assign_coords(snr=np.asarray(exp["snr"], float),
                          d_over_n=np.asarray(exp["d_over_n"], float), trial=np.arange(T))
    ds.attrs = {"trained_settings_json": json.dumps(exp.get("trained", {}), sort_keys=True),
                "normalization": NORMALIZATION}
    return ds


def job_d_values(exp: dict, which: str = "theory") -> list[int]:
    """Input dimensions d of the jobs of an experiment: one theory job per d_over_n value, one
    training job per trained d_over_n value (none when training is disabled)."""
    n = exp["n"]
    dns = list(exp["d_over_n"])
    if which == "trained":
        tr = exp.get("trained", {})
        if not tr.get("enabled", True):
            return []
        dns = [v for v in dns if v in (tr.get("d_over_n") or dns)]
    return [int(round(v * n)) for v in dns]


def sub_experiment(exp: dict, d: int) -> dict:
    """The experiment restricted to the d_over_n value with round(d_over_n n) = d."""
    match = [v for v in exp["d_over_n"] if int(round(v * exp["n"])) == int(d)]
    if len(match) != 1:
        raise ValueError(f"d = {d} matches {len(match)} d_over_n values of the experiment "
                         f"(n = {exp['n']}, d_over_n = {exp['d_over_n']})")
    return dict(exp, d_over_n=match)


def merge(theory_parts: list, trained_parts: list) -> xr.Dataset:
    """One dataset over (snr, d_over_n, trial[, class]) from per-d theory and trained parts.

    Theory parts are concatenated along d_over_n (sorted); trained parts fill the trained-net
    variables at their d_over_n, NaN (trained = 0) elsewhere.
    """
    if not theory_parts:
        raise ValueError("no theory results to merge")
    theory = xr.concat(sorted(theory_parts, key=lambda p: float(p.d_over_n[0])), dim="d_over_n",
                       data_vars="all", coords="minimal", compat="equals", join="exact",
                       combine_attrs="drop_conflicts")
    out = theory.copy()
    shape = tuple(out.sizes[c] for c in ("snr", "d_over_n", "trial"))
    for k, (desc, u) in _TRAINED_VARS.items():
        out[k] = (("snr", "d_over_n", "trial"), np.full(shape, 0.0 if k == "trained" else np.nan),
                  {"description": desc, "units": u})
    for part in trained_parts:
        for c in ("snr", "trial"):
            if not np.array_equal(out[c].values, part[c].values):
                raise ValueError(f"theory and trained results disagree on coordinate {c!r}: "
                                 f"{out[c].values} vs {part[c].values}")
        for dn in part.d_over_n.values:
            if dn not in out.d_over_n.values:
                raise ValueError(f"trained results at d_over_n = {dn} have no theory part "
                                 f"(d_over_n {out.d_over_n.values})")
            j = int(np.flatnonzero(out.d_over_n.values == dn)[0])
            for k in _TRAINED_VARS:
                out[k][:, j, :] = part[k].sel(d_over_n=dn).values
        out.attrs.update({k: v for k, v in part.attrs.items() if k.startswith("trained_")})
    return out


# ------------------------------------------------------- E4d: local refinement of U*

def _phi2_and_grads(h: float, k: float, rho: float):
    """Phi2(h, k; rho) = P(Z1 <= h, Z2 <= k) and its partial derivatives (h, k, rho).

    Phi2 = P(A > 0, B > 0) with (A, B) standardized means (h, k) (orthant_probability);
    d/dh = phi(h) Phi((k - rho h)/s), d/dk = phi(k) Phi((h - rho k)/s), d/drho = phi2(h, k; rho)
    with s = sqrt(1 - rho^2) (Plackett's identity for the last; e.g. Genz & Bretz 2009, 2.1).
    """
    rho = float(np.clip(rho, -1 + 1e-12, 1 - 1e-12))
    s = np.sqrt(1 - rho * rho)
    val = orthant_probability(h, k, 1.0, 1.0, rho)
    ph = np.exp(-0.5 * h * h) / np.sqrt(2 * np.pi)
    pk = np.exp(-0.5 * k * k) / np.sqrt(2 * np.pi)
    dh = ph * Phi((k - rho * h) / s)
    dk = pk * Phi((h - rho * k) / s)
    dr = np.exp(-(h * h - 2 * rho * h * k + k * k) / (2 * s * s)) / (2 * np.pi * s)
    return val, dh, dk, dr


def _correct_and_grad(wa: np.ndarray, wb: np.ndarray, mu: np.ndarray, sigma: float):
    """P(correct) for class with own neuron wa, other wb (E2), and gradients wrt wa, wb.

    P = Phi2(alpha, beta; rho), alpha = <wa, mu>/(sigma ||wa||), v = wa - wb,
    beta = <v, mu>/(sigma ||v||), rho = <wa, v>/(||wa|| ||v||).
    """
    v = wa - wb
    na, nv = np.linalg.norm(wa), np.linalg.norm(v)
    alpha, beta = (wa @ mu) / (sigma * na), (v @ mu) / (sigma * nv)
    rho = (wa @ v) / (na * nv)
    val, dA, dB, dR = _phi2_and_grads(alpha, beta, rho)
    g_alpha = mu / (sigma * na) - alpha * wa / na ** 2
    g_beta = mu / (sigma * nv) - beta * v / nv ** 2
    g_rho_a = v / (na * nv) - rho * wa / na ** 2       # wrt wa as first argument
    g_rho_v = wa / (na * nv) - rho * v / nv ** 2       # wrt v
    grad_v = dB * g_beta + dR * g_rho_v
    return val, dA * g_alpha + dR * g_rho_a + grad_v, -grad_v


def refine_pair(X, y, M, sigma, w1, w2, max_iter: int = 100, tol: float = 1e-7):
    """Locally minimize the exact two-neuron error over F_1 x F_2 from (w1, w2) (E4d).

    Parameterization w_k = w_k + N_k xi_k (N_k: orthonormal null space of X_k^T, so X_k^T w_k = 1
    stays exact), inequalities X_j^T w_k <= 0 as SLSQP constraints, analytic gradient
    (_correct_and_grad). The result is re-verified (residuals <= tol, relative) and its error
    recomputed with network_error; returns (error, w1, w2), or the start if nothing better.
    """
    X = np.asarray(X, dtype=np.float64)
    Ns, Xo = [], []
    for k in range(2):
        Xk = X[:, y == k]
        U = np.linalg.svd(Xk, full_matrices=True)[0]
        rank = np.linalg.matrix_rank(Xk)
        Ns.append(U[:, rank:])
        Xo.append(X[:, y != k])
    q1 = Ns[0].shape[1]
    start = network_error(w1, w2, M, sigma)["error"]
    if q1 == 0 or Ns[1].shape[1] == 0:
        return start, w1, w2

    def unpack(z):
        return w1 + Ns[0] @ z[:q1], w2 + Ns[1] @ z[q1:]

    def fun(z):
        a, b = unpack(z)
        c1, g1a, g1b = _correct_and_grad(a, b, M[:, 0], sigma)
        c2, g2b, g2a = _correct_and_grad(b, a, M[:, 1], sigma)
        ga, gb = -0.5 * (g1a + g2a), -0.5 * (g1b + g2b)
        return 1 - 0.5 * (c1 + c2), np.concatenate([Ns[0].T @ ga, Ns[1].T @ gb])

    scale = [float(np.linalg.norm(Xo[k], axis=0).max() * np.linalg.norm(w)) for k, w in
             enumerate((w1, w2))]
    q2 = Ns[1].shape[1]
    J = [np.hstack([-(Xo[0].T @ Ns[0]), np.zeros((Xo[0].shape[1], q2))]) / scale[0],
         np.hstack([np.zeros((Xo[1].shape[1], q1)), -(Xo[1].T @ Ns[1])]) / scale[1]]
    cons = [{"type": "ineq", "fun": lambda z, k=k: -(Xo[k].T @ unpack(z)[k]) / scale[k],
             "jac": lambda z, k=k: J[k]} for k in range(2)]
    z0 = np.zeros(q1 + Ns[1].shape[1])
    try:
        res = optimize.minimize(fun, z0, jac=True, constraints=cons, method="SLSQP",
                                options={"maxiter": max_iter, "ftol": 1e-10})
        a, b = unpack(res.x)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return start, w1, w2
    ok = True
    for k, w in enumerate((a, b)):
        Xk = X[:, y == k]
        sc = max(1.0, float(np.linalg.norm(w)) * float(np.linalg.norm(X, axis=0).max()))
        ok &= bool(np.abs(Xk.T @ w - 1).max() <= tol * sc)
        ok &= bool((Xo[k].T @ w).max() <= tol * sc)
    if not ok:
        return start, w1, w2
    e = network_error(a, b, M, sigma)["error"]
    return (e, a, b) if e < start else (start, w1, w2)
