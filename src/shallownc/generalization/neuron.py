"""One-neuron reduction and the best NC neuron (reports/generalization.md E3, E4): the exact
best alignment (E4), the linear NC network (E4b), pushed-apart pairs (E4c), the local
refinement of U* (E4d), and the analysis of one training set (E1-E5)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from .. import feasibility as F
from .bounds import bayes_error, cauchy_schwarz_bound, equality_relaxation_alignment
from .network import Phi, network_error, orthant_probability

STATUS_OK, STATUS_NOT_NC, STATUS_NONPOSITIVE, STATUS_UNDECIDED = 1, 0, 2, -1
STATUS_NAMES = {STATUS_OK: "ok (class LP feasible, best alignment positive)",
                STATUS_NOT_NC: "class LP infeasible on the training set (no NC solution)",
                STATUS_NONPOSITIVE: "NC feasible but no NC neuron has positive alignment "
                                    "(best error >= 1/2; value not computed)",
                STATUS_UNDECIDED: "class LP undecided or least-distance solve failed"}


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
