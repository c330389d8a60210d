"""Stability of the collapsed global minimizer and the state of a training end point (issue 23).

Derivation labels "S§x" refer to reports/training.md §5 ("Stability and stationarity").
Network and objective: f(x) = W2 relu(W1 x), F_net(W1, W2) = G(W2, relu(W1 X)) with
G(W, H) = (1/N) sum_i loss(W h_i, y_i) + (lambda_W/2)||W||_F^2 + (lambda_H/2)||H||_F^2 (paper
(2.1); :func:`shallownc.bridge.network_objective`, the same normalization as the UPFM).

S§1 (piecewise Hessian). On the open set where no pre-activation A = W1 X changes sign,
relu(W1 X) = (W1 X) * M with the fixed mask M = 1[A > 0], so F_net = F_M(W1, W2) :=
G(W2, (W1 X) * M), a smooth function (a linear map followed by the smooth G). The Hessian we
use is that of F_M with M = 1[A > tau], tau = zero_tol * max|A|: pre-activations at zero (up to
the LP residuals of a constructed network) count as inactive, relu'(0) = 0, torch's
convention. It is computed exactly (float64) by Hessian-vector products, torch autograd
double-backward of F_M.

S§2 (sharpness of the collapsed minimizer does not depend on the LP solution). The bridge
network (bridge.construct: W1[k] = h w_k^T, W2 = the closed form's classifier) has
(W1 X) * M = H*, W2 = W2* and M = the class indicator (rows k < K) for every choice of verified
LP solutions w_k. F_M = G(W2, L(W1)) with L linear and independent of w_k, so its Hessian
[[L^T G_HH L, L^T G_HW], [G_WH L, G_WW]] at (W2*, H*) is the same matrix for every LP
solution: lambda_max is a property of the data set, not of the minimizer built. Zero-padded
neurons (width > K) add the eigenvalue lambda_W (their W1 rows have mask 0, their W2 columns
only the lambda_W term) and leave lambda_max unchanged when lambda_max > lambda_W. Splitting a
class neuron into m copies scaled by 1/sqrt(m) is another global minimizer with another mask;
:func:`split_network` builds it and the study measures it.

S§3 (step-size limit). Near a minimizer theta* inside one smooth piece, gradient descent with
step eta is e <- (I - eta Hess) e + O(|e|^2), with Hess >= 0 there; it converges for small e
iff eta lambda_max < 2, and for eta > eta* = 2 / lambda_max the error component along the top
eigenvector grows by |1 - eta lambda_max| > 1 per step: theta* cannot be the limit of GD (up to
a measure-zero set of starts). (Linear stability of fixed points of GD; Wu, Ma & E, NeurIPS
2018; Cohen et al., ICLR 2021, "edge of stability".)

S§4 (Lanczos, its tolerance). lambda_max is computed by Lanczos with full
reorthogonalization from a random start. The largest Ritz value theta is a Rayleigh quotient,
so theta <= lambda_max always (a certified lower bound, up to float64 rounding of the products),
hence 2/theta >= eta*: a step lr >= 2/theta is unstable for sure. The iteration stops when the
Ritz residual ||Hess y - theta y|| = beta_m |s_m| <= tol |theta|; then some eigenvalue lies
within tol |theta| of theta (Parlett, The Symmetric Eigenvalue Problem, Thm 4.5.1). Tested
against the dense Hessian (tests/test_stability.py).

S§5 (stationary, not global). The relative gradient ||grad F_net|| / ||(W1, W2)||_F (the
a.e. gradient, relu'(0) = 0; bridge.net_value_grad) measures stationarity. A float64 L-BFGS
polish (scipy L-BFGS-B on F_net) from the end point tests whether a lower objective is
reachable locally; if the polished gap stays above the tolerance, the point is a stationary
point of the network that is not its global minimizer. Mechanism: at an entry with
pre-activation A_ji <= 0 (so H_ji = 0) and dG/dH_ji < 0, the UPFM would raise H_ji (a descent
direction of the UPFM, which only needs H >= 0), but the network cannot raise relu(A_ji) by a
small move when A_ji < 0: the entry is "ReLU-blocked". At the UPFM minimizer the KKT
conditions give dG/dH >= 0 wherever H = 0 (reports/upfm.md), so a point with blocked entries
is not a UPFM-KKT point; :func:`upfm_polish` confirms by descending G over H >= 0 from the
same (W2, H).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import bridge, upfm
# outcome tables live in the ground-floor status module (readers import them from there)
from .status import OUTCOMES, outcome_counts  # noqa: F401


# ----------------------------------------------------------------------- the smooth piece

def piece_mask(W1, X, zero_tol: float) -> np.ndarray:
    """M = 1[W1 X > zero_tol * max|W1 X|] (S§1): the active entries of the smooth piece."""
    A = np.asarray(W1, dtype=np.float64) @ np.asarray(X, dtype=np.float64)
    if not 0 <= zero_tol < 1:
        raise ValueError(f"zero_tol must be in [0, 1), got {zero_tol!r}")
    scale = float(np.abs(A).max()) if A.size else 0.0
    return A > zero_tol * scale


def _loss_t(Z, y, loss: str, mse_scale: float):
    """(1/N) sum_i loss(Z[:, i], y_i) in torch (upfm.loss_terms' normalization)."""
    if loss == "ce":
        return (torch.logsumexp(Z, dim=0) - Z[y, torch.arange(Z.shape[1])]).mean()
    if loss == "mse":
        Y = torch.nn.functional.one_hot(y, Z.shape[0]).T.to(Z.dtype)
        return mse_scale * ((Z - Y) ** 2).sum(dim=0).mean()
    raise ValueError(f"loss must be 'ce' or 'mse', got {loss!r}")


class Piece:
    """F_M(theta) of S§1 in float64 torch, theta = (vec W1, vec W2), with exact HVPs."""

    def __init__(self, W1, W2, X, y, lam_W: float, lam_H: float, loss: str,
                 mse_scale: float, zero_tol: float):
        W1 = np.asarray(W1, dtype=np.float64)
        W2 = np.asarray(W2, dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        if W1.shape[1] != X.shape[0] or W2.shape[1] != W1.shape[0]:
            raise ValueError(f"shapes W1 {W1.shape}, W2 {W2.shape}, X {X.shape} do not chain")
        self.p, self.d = W1.shape
        self.K = W2.shape[0]
        self.X = torch.as_tensor(X)
        self.y = torch.as_tensor(np.asarray(y, dtype=np.int64))
        self.M = torch.as_tensor(piece_mask(W1, X, zero_tol).astype(np.float64))
        self.lam_W, self.lam_H, self.loss, self.mse_scale = (float(lam_W), float(lam_H),
                                                             loss, float(mse_scale))
        self.theta = torch.as_tensor(np.concatenate([W1.ravel(), W2.ravel()]))
        self.n = self.theta.numel()
        self._grad = None

    def split(self, theta):
        s = self.p * self.d
        return theta[:s].reshape(self.p, self.d), theta[s:].reshape(self.K, self.p)

    def value(self, theta):
        """F_M(theta) (S§1): G(W2, (W1 X) * M)."""
        W1, W2 = self.split(theta)
        H = (W1 @ self.X) * self.M
        return (_loss_t(W2 @ H, self.y, self.loss, self.mse_scale)
                + 0.5 * self.lam_W * (W2 ** 2).sum() + 0.5 * self.lam_H * (H ** 2).sum())

    def _g(self):
        if self._grad is None:
            th = self.theta.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(self.value(th), th, create_graph=True)
            self._grad = (th, g)
        return self._grad

    def hvp(self, v: np.ndarray) -> np.ndarray:
        """Hess F_M(theta) v, exact (double backward)."""
        th, g = self._g()
        (hv,) = torch.autograd.grad(g, th, torch.as_tensor(np.asarray(v, dtype=np.float64)),
                                    retain_graph=True)
        return hv.detach().numpy()

    def dense(self) -> np.ndarray:
        """The full Hessian of F_M (n x n), for tests and small cases."""
        return torch.autograd.functional.hessian(self.value, self.theta).numpy()


# ------------------------------------------------------------------------------ Lanczos

@dataclass(frozen=True)
class TopEigen:
    """Largest eigenvalue estimate (S§4): value (a Rayleigh quotient, <= lambda_max), the Ritz
    residual ||A y - value y||, iterations, converged (residual <= tol |value|)."""
    value: float
    residual: float
    iterations: int
    converged: bool


def lanczos_max(matvec, n: int, tol: float, max_iter: int, seed: int) -> TopEigen:
    """Largest algebraic eigenvalue of the symmetric operator ``matvec`` on R^n (S§4).

    Lanczos with full reorthogonalization (two Gram-Schmidt passes) from a seeded random unit
    vector; stops when the Ritz residual beta_m |s_m| <= tol |theta| or the Krylov space is
    invariant (beta = 0: theta is then an eigenvalue) or after min(max_iter, n) steps.
    """
    if not (tol > 0 and max_iter >= 1 and n >= 1):
        raise ValueError(f"need tol > 0, max_iter >= 1, n >= 1; got {tol}, {max_iter}, {n}")
    rng = np.random.default_rng(int(seed))
    q = rng.standard_normal(n)
    Q = [q / np.linalg.norm(q)]
    alpha, beta = [], []
    theta, res = np.nan, np.inf
    for j in range(min(int(max_iter), n)):
        w = np.asarray(matvec(Q[j]), dtype=np.float64)
        alpha.append(float(Q[j] @ w))
        Qm = np.array(Q)
        for _ in range(2):
            w = w - Qm.T @ (Qm @ w)
        b = float(np.linalg.norm(w))
        T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
        ev, S = np.linalg.eigh(T)
        theta = float(ev[-1])
        res = b * abs(float(S[-1, -1]))
        scale = max(abs(theta), np.finfo(np.float64).tiny)
        if res <= tol * scale or b <= np.finfo(np.float64).eps * scale:
            return TopEigen(theta, res, j + 1, True)
        beta.append(b)
        Q.append(w / b)
    return TopEigen(theta, res, min(int(max_iter), n), bool(res <= tol * abs(theta)))


def sharpness(W1, W2, X, y, lam_W: float, lam_H: float, loss: str, mse_scale: float,
              zero_tol: float, tol: float, max_iter: int, seed: int) -> TopEigen:
    """lambda_max of the Hessian of F_M at (W1, W2) (S§1, S§4), float64."""
    P = Piece(W1, W2, X, y, lam_W, lam_H, loss, mse_scale, zero_tol)
    return lanczos_max(P.hvp, P.n, tol, max_iter, seed)


def eta_star(lam_max: float) -> float:
    """eta* = 2 / lambda_max (S§3); inf when lambda_max <= 0."""
    return float(2.0 / lam_max) if lam_max > 0 else float("inf")


# -------------------------------------------------------------- collapsed minimizers (S§2)

def collapsed_network(X, y, ws, K: int, n: int, lam_W: float, lam_H: float, loss: str,
                      mse_scale: float, width: int | None = None):
    """The bridge network (bridge.construct) of verified LP solutions ``ws``."""
    cf = upfm.closed_form(loss, "upfm", int(K), int(n), float(lam_W), float(lam_H),
                          float(mse_scale))
    return bridge.construct(X, y, ws, cf, width)


def split_network(W1, W2, K: int, copies: int):
    """Each of the first K neurons split into ``copies`` neurons scaled by 1/sqrt(copies)
    (width K copies): W2 relu(W1 x), ||W2||^2 and ||relu(W1 X)||^2 are unchanged, so F_net is
    unchanged and a global minimizer stays one (S§2)."""
    m = int(copies)
    if m < 1:
        raise ValueError(f"copies must be >= 1, got {copies}")
    W1 = np.asarray(W1, dtype=np.float64)[:K]
    W2 = np.asarray(W2, dtype=np.float64)[:, :K]
    return np.repeat(W1, m, axis=0) / np.sqrt(m), np.repeat(W2, m, axis=1) / np.sqrt(m)


def alternative_lp_solutions(X, y, k: int, w0, count: int, seed: int, feas_tol: float):
    """Up to ``count`` other solutions of class LP k (X_k^T w = 1, X_j^T w <= 0; paper
    (2.12)): minimizers of random linear objectives over its feasible set within the box
    |w_i| <= 10 max|w0| (w0 a verified solution), each kept only if its equality residual and
    inequality violation are <= ``feas_tol``."""
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    Ak, Aj = X[:, y == k].T, X[:, y != k].T
    rng = np.random.default_rng(int(seed))
    box = 10.0 * float(np.abs(np.asarray(w0, dtype=np.float64)).max())
    out = []
    for _ in range(int(count)):
        r = linprog(rng.standard_normal(X.shape[0]), A_ub=Aj, b_ub=np.zeros(len(Aj)),
                    A_eq=Ak, b_eq=np.ones(len(Ak)), bounds=(-box, box), method="highs")
        if r.status != 0 or r.x is None:
            continue
        w = r.x
        if np.abs(Ak @ w - 1).max() <= feas_tol and (Aj @ w).max(initial=0.0) <= feas_tol:
            out.append(w)
    return out


# -------------------------------------------------------------- end points (S§5)

def relative_gradient(W1, W2, X, y, lam_W: float, lam_H: float, loss: str,
                      mse_scale: float, zero_tol: float) -> float:
    """||grad F_M|| / ||(W1, W2)||_F (S§5): the gradient of the smooth piece of S§1 (for
    zero_tol = 0 the a.e. gradient with relu'(0) = 0, bridge.net_value_grad). A constructed
    minimizer has pre-activations at zero up to the LP residuals; zero_tol > 0 keeps their
    one-sided derivative (>= 0 by the UPFM's KKT conditions) out of the gradient."""
    P = Piece(W1, W2, X, y, lam_W, lam_H, loss, mse_scale, zero_tol)
    th = P.theta.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(P.value(th), th)
    nrm = float(torch.linalg.vector_norm(P.theta))
    gn = float(torch.linalg.vector_norm(g))
    return gn / nrm if nrm > 0 else (float("inf") if gn > 0 else 0.0)


@dataclass(frozen=True)
class Polish:
    """Result of a float64 L-BFGS polish: objective before/after, iterations, weights."""
    before: float
    after: float
    iterations: int
    W1: np.ndarray
    W2: np.ndarray


def lbfgs_polish(W1, W2, X, y, lam_W: float, lam_H: float, loss: str, mse_scale: float,
                 max_iter: int) -> Polish:
    """Float64 L-BFGS (scipy L-BFGS-B, no bounds) on F_net from (W1, W2) (S§5)."""
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    W1 = np.asarray(W1, dtype=np.float64)
    W2 = np.asarray(W2, dtype=np.float64)
    p, d = W1.shape
    s = p * d

    def fg(x):
        f, g1, g2 = bridge.net_value_grad(x[:s].reshape(p, d), x[s:].reshape(-1, p), X, y,
                                          lam_W, lam_H, loss, mse_scale)
        return f, np.concatenate([g1.ravel(), g2.ravel()])

    before = bridge.network_objective(W1, W2, X, y, lam_W, lam_H, loss, mse_scale)
    r = minimize(fg, np.concatenate([W1.ravel(), W2.ravel()]), jac=True, method="L-BFGS-B",
                 options={"maxiter": int(max_iter), "maxfun": 2 * int(max_iter),
                          "gtol": 1e-14, "ftol": 1e-16, "maxcor": 30})
    V1, V2 = r.x[:s].reshape(p, d), r.x[s:].reshape(-1, p)
    after = bridge.network_objective(V1, V2, X, y, lam_W, lam_H, loss, mse_scale)
    if after > before:                       # a line search never ends above its start
        V1, V2, after = W1, W2, before
    return Polish(float(before), float(after), int(r.nit), V1, V2)


def feature_gradient(W1, W2, X, y, lam_W: float, lam_H: float, loss: str,
                     mse_scale: float) -> np.ndarray:
    """dG/dH at (W2, H = relu(W1 X)): W2^T (dloss/dlogits)/N + lambda_H H (p x N; S§5)."""
    H = bridge.relu_features(W1, X)
    W2 = np.asarray(W2, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    _, G = upfm.loss_terms(W2 @ H, y, loss, mse_scale)
    return W2.T @ G / y.size + lam_H * H


def blocked_entries(W1, W2, X, y, lam_W: float, lam_H: float, loss: str, mse_scale: float,
                    rel: float) -> int:
    """Number of ReLU-blocked feature entries (S§5): pre-activation A_ji <= 0 (H_ji = 0) and
    dG/dH_ji < -rel * max|dG/dH| (strictly negative beyond ``rel`` of the largest entry)."""
    A = np.asarray(W1, dtype=np.float64) @ np.asarray(X, dtype=np.float64)
    GH = feature_gradient(W1, W2, X, y, lam_W, lam_H, loss, mse_scale)
    scale = float(np.abs(GH).max()) if GH.size else 0.0
    return int(((A <= 0) & (GH < -rel * scale)).sum())


def upfm_polish(W2, H, y, lam_W: float, lam_H: float, loss: str, mse_scale: float,
                max_iter: int) -> float:
    """min of the UPFM objective G over (W, H >= 0) by L-BFGS-B from (W2, H) (S§5): where the
    network is ReLU-blocked the UPFM is not, and this descends to F* (paper Theorem 2)."""
    from scipy.optimize import minimize

    W2 = np.asarray(W2, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    K, p = W2.shape
    N = H.shape[1]

    def fg(x):
        W, Hh = x[:K * p].reshape(K, p), x[K * p:].reshape(p, N)
        ell, G = upfm.loss_terms(W @ Hh, y, loss, mse_scale)
        f = ell.mean() + 0.5 * lam_W * (W ** 2).sum() + 0.5 * lam_H * (Hh ** 2).sum()
        gW = G @ Hh.T / N + lam_W * W
        gH = W.T @ G / N + lam_H * Hh
        return f, np.concatenate([gW.ravel(), gH.ravel()])

    bounds = [(None, None)] * (K * p) + [(0.0, None)] * (p * N)
    r = minimize(fg, np.concatenate([W2.ravel(), H.ravel()]), jac=True, method="L-BFGS-B",
                 bounds=bounds, options={"maxiter": int(max_iter), "maxfun": 2 * int(max_iter),
                                         "gtol": 1e-14, "ftol": 1e-16, "maxcor": 30})
    return float(r.fun)


def gd_from(W1, W2, X, y, lam_W: float, lam_H: float, loss: str, mse_scale: float,
            lr: float, steps: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Full-batch gradient descent in float64 (numpy, bridge.net_value_grad) for ``steps``
    steps: (final F_net, W1, W2); used to test S§3 (perturbations of the collapsed net)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    W1 = np.array(W1, dtype=np.float64)
    W2 = np.array(W2, dtype=np.float64)
    for _ in range(int(steps)):
        _, g1, g2 = bridge.net_value_grad(W1, W2, X, y, lam_W, lam_H, loss, mse_scale)
        W1 -= lr * g1
        W2 -= lr * g2
        if not (np.isfinite(W1).all() and np.isfinite(W2).all()):
            return float("inf"), W1, W2
    return bridge.network_objective(W1, W2, X, y, lam_W, lam_H, loss, mse_scale), W1, W2


# ------------------------------------------------------------------ study-facing summaries

@dataclass(frozen=True)
class Settings:
    """Numerical settings of the stability diagnostics (schema verdict.stability; every
    field comes from the validated config, nothing is defaulted here)."""
    zero_tol: float             # S§1: pre-activations <= zero_tol max|A| count as inactive
    lanczos_tol: float          # S§4: stop when the Ritz residual <= tol |theta|
    lanczos_max_iter: int
    stationary_gradient: float  # S§5: relative gradient at or below it = stationary
    polish_max_iter: int        # S§5: L-BFGS iterations of the polish
    blocked_rel: float          # S§5: dG/dH < -blocked_rel max|dG/dH| counts as negative

    @classmethod
    def from_config(cls, c: dict) -> "Settings":
        from dataclasses import fields

        names = [f.name for f in fields(cls)]
        missing = [k for k in names if k not in c]
        if missing:
            raise ValueError(f"stability settings lack {missing} (the verdict schema fills "
                             "them)")
        return cls(**{k: c[k] for k in names})


def collapsed_sharpness(X, y, ws, K: int, n: int, lam_W: float, lam_H: float, loss: str,
                        mse_scale: float, width: int, st: Settings, seed: int) -> dict:
    """lambda_max (Lanczos, S§4) of the bridge network of width ``width`` (S§2) and
    eta* = 2/lambda_max (S§3); ws: one verified LP solution per class."""
    W1, W2 = collapsed_network(X, y, ws, K, n, lam_W, lam_H, loss, mse_scale, width)
    e = sharpness(W1, W2, X, y, lam_W, lam_H, loss, mse_scale, st.zero_tol, st.lanczos_tol,
                  st.lanczos_max_iter, seed)
    return {"lambda_max": e.value, "lanczos_residual": e.residual,
            "lanczos_iterations": e.iterations, "lanczos_converged": int(e.converged),
            "eta_star": eta_star(e.value)}


def end_point(W1, W2, X, y, lam_W: float, lam_H: float, loss: str, mse_scale: float,
              F_star: float, st: Settings, seed: int) -> dict:
    """Diagnostics of a training end point (S§5): relative gradient, the gap after a float64
    L-BFGS polish and its iterations, the ReLU-blocked entries, and the sharpness there
    (Lanczos, S§4, relu'(0) = 0)."""
    g = relative_gradient(W1, W2, X, y, lam_W, lam_H, loss, mse_scale, 0.0)
    pol = lbfgs_polish(W1, W2, X, y, lam_W, lam_H, loss, mse_scale, st.polish_max_iter)
    e = sharpness(W1, W2, X, y, lam_W, lam_H, loss, mse_scale, 0.0, st.lanczos_tol,
                  st.lanczos_max_iter, seed)
    return {"rel_gradient": g, "polished_gap": max(pol.after - F_star, 0.0),
            "polish_iterations": pol.iterations,
            "blocked_entries": blocked_entries(W1, W2, X, y, lam_W, lam_H, loss, mse_scale,
                                               st.blocked_rel),
            "endpoint_sharpness": e.value}


def step_limit(lam_max: float, optimizer: str, momentum: float, batch_size) -> float:
    """The largest step at which the collapsed minimizer can be a limit of the run (S§3):
    GD and SGD 2/lambda_max, heavy-ball momentum mu 2(1 + mu)/lambda_max (the linearized
    map's eigenvalues stay in the unit disc iff 0 < eta lambda < 2(1 + mu); Polyak 1964);
    minibatch SGD is stable in mean only if it is (Wu, Ma & E 2018), so the same limit is a
    necessary condition. Adam/AdamW: NaN (their step is preconditioned; no such limit)."""
    if optimizer != "sgd" or not lam_max > 0:
        return float("nan")
    return float(2.0 * (1.0 + float(momentum)) / lam_max)


UNREACHED_LABELS = ("unstable_step", "oscillating", "stationary_not_global", "still_moving")


def unreached_label(slope: float, stall_slope: float, lr_end: float, limit: float,
                    rel_grad: float, stationary_gradient: float, polished_gap: float,
                    tol: float) -> str:
    """Why a run with gap > tol did not reach F* (S§3, S§5), first rule that holds:

    unstable_step          lr at the end >= the step limit (S§3; limit from the Lanczos
                           lower bound on lambda_max, so lr >= eta* is certain): the collapsed
                           minimizer cannot be the run's limit;
    still_moving           the gap still falls (log-log slope <= -stall_slope, V§4) or the
                           slope is undefined;
    oscillating            flat gap, relative gradient > stationary_gradient: not at a
                           stationary point;
    stationary_not_global  flat gap, relative gradient <= stationary_gradient, and the
                           float64 L-BFGS polish ends with gap > tol: a stationary point that
                           is not the global minimizer;
    still_moving           otherwise (the polish reaches F*: a descent path exists).
    """
    if np.isfinite(limit) and lr_end >= limit:
        return "unstable_step"
    if not np.isfinite(slope) or slope <= -stall_slope:
        return "still_moving"
    if not rel_grad <= stationary_gradient:
        return "oscillating"
    if polished_gap > tol:
        return "stationary_not_global"
    return "still_moving"


# ------------------------------------------------------------------ per data set (study)

DATA_SET_VARS = {
    "lambda_max": ("sharpness lambda_max at the collapsed minimizer",
                   "largest eigenvalue of the Hessian of F_net (smooth piece, relu'(0) = 0) at "
                   "the bridge network of the study width, float64 Lanczos (S§1-S§4); NaN "
                   "where the class LP is not feasible"),
    "eta_star": ("largest stable GD step eta*", "2 / lambda_max (S§3)"),
    "lanczos_residual": ("Lanczos Ritz residual", "||Hess y - lambda y|| at the stop (S§4)"),
    "lambda_max_width_K": ("lambda_max at the width-K bridge network",
                           "same data, width K (no zero neurons): S§2 check"),
    "lambda_max_split": ("lambda_max at the split collapsed minimizer",
                         "each class neuron split into split_copies copies / sqrt(copies): "
                         "another global minimizer (S§2 check)"),
    "lambda_max_alt_spread": ("spread of lambda_max over other LP solutions",
                              "max |lambda(alt) - lambda| / lambda over the bridge networks "
                              "of alternative LP solutions (S§2 check); NaN if none found"),
}


def data_set_stability(X, y, ws, K: int, n: int, lam_W: float, lam_H: float, loss: str,
                       mse_scale: float, width: int, st: Settings, seed: int,
                       alternatives: int, split_copies: int) -> dict:
    """DATA_SET_VARS of one LP-feasible data set (ws: verified LP solutions, one per class):
    lambda_max and eta* at the study-width bridge network and the S§2 checks (width K, the
    split minimizer, ``alternatives`` other LP solutions per class)."""
    args = (X, y, ws, K, n, lam_W, lam_H, loss, mse_scale)
    base = collapsed_sharpness(*args, width, st, seed)
    out = {"lambda_max": base["lambda_max"], "eta_star": base["eta_star"],
           "lanczos_residual": base["lanczos_residual"]}
    out["lambda_max_width_K"] = collapsed_sharpness(*args, K, st, seed)["lambda_max"]
    W1, W2 = collapsed_network(*args, K)
    S1, S2 = split_network(W1, W2, K, split_copies)
    out["lambda_max_split"] = sharpness(S1, S2, X, y, lam_W, lam_H, loss, mse_scale,
                                        st.zero_tol, st.lanczos_tol, st.lanczos_max_iter,
                                        seed).value
    alts = [alternative_lp_solutions(X, y, k, ws[k], alternatives, seed + k, 1e-9)
            for k in range(K)]
    m = min((len(a) for a in alts), default=0)
    spread = [abs(collapsed_sharpness(X, y, [a[i] for a in alts], K, n, lam_W, lam_H, loss,
                                      mse_scale, K, st, seed)["lambda_max"]
                  - out["lambda_max_width_K"]) / out["lambda_max_width_K"] for i in range(m)]
    out["lambda_max_alt_spread"] = max(spread) if spread else float("nan")
    return out


def study_learning_rates(lam_max, fraction: float, optimizer: str, momentum: float,
                         batch_size, lr) -> tuple[np.ndarray, str]:
    """Per-run learning rates of a recipe and the rule used (stated in the NetCDF):
    fraction > 0 and an SGD recipe: lr_r = fraction x step_limit(lambda_max of run r's data
    set) (S§3); runs without a collapsed minimizer (lambda_max NaN) take the smallest such lr
    of the call; fraction = 0, Adam/AdamW or no finite lambda_max: the recipe's ``lr``."""
    lam = np.asarray(lam_max, dtype=np.float64)
    lim = np.array([step_limit(v, optimizer, momentum, batch_size) if np.isfinite(v)
                    else np.nan for v in lam])
    if not fraction > 0 or not np.isfinite(lim).any():
        return np.full(lam.shape, float(lr)), f"fixed lr {float(lr):g}"
    out = fraction * lim
    out[~np.isfinite(out)] = np.nanmin(out)
    return out, (f"{fraction:g} x the step limit of each run's collapsed minimizer "
                 f"(2(1+momentum)/lambda_max); LP-infeasible data sets: the call's smallest")


END_POINT_VARS = {
    "rel_gradient": ("relative gradient at the end point",
                     "||grad F_net|| / ||(W1, W2)||_F, float64, relu'(0) = 0 (S§5)"),
    "polished_gap": ("gap after a float64 L-BFGS polish",
                     "F_net - F* after scipy L-BFGS-B from the end point (S§5)"),
    "polish_iterations": ("L-BFGS polish iterations", "iterations of the polish (S§5)"),
    "blocked_entries": ("ReLU-blocked feature entries",
                        "entries with W1 X <= 0 and dG/dH < -blocked_rel max|dG/dH| (S§5)"),
    "endpoint_sharpness": ("sharpness at the end point",
                           "lambda_max of the Hessian of F_net at the final weights (S§4)"),
}


def end_points(W1s, W2s, Xs, ys, lam_W: float, lam_H: float, loss: str, mse_scale: float,
               F_stars, st: Settings, seed: int, skip=None) -> dict:
    """END_POINT_VARS of R runs (arrays (R,)); runs with skip[r] (diverged) are NaN."""
    R = len(W1s)
    out = {k: np.full(R, np.nan) for k in END_POINT_VARS}
    for r in range(R):
        if skip is not None and skip[r]:
            continue
        e = end_point(W1s[r], W2s[r], Xs[r], ys[r], lam_W, lam_H, loss, mse_scale,
                      float(F_stars[r]), st, seed)
        for k, v in e.items():
            out[k][r] = v
    return out


def relabel(verdict, lp_status, gap_final, tol, slope, stall_slope: float, lr_end, limit,
            diag: dict, stationary_gradient: float) -> np.ndarray:
    """Replace 'stalled' / 'undecided' of runs with LP proof (status 1 or 0) by the label of
    :func:`unreached_label` (codes of shallownc.status); every other verdict is kept (an
    LP-infeasible run is never reached: these runs have gap > tol, and their step limit is
    NaN, no collapsed minimizer)."""
    from . import status as V

    code = {name: c for c, name in V.VERDICT_NAMES.items()}
    out = np.asarray(verdict).astype(np.int8).copy()
    for r in range(out.size):
        if out[r] not in (V.STALLED, V.VERDICT_UNDECIDED) or lp_status[r] not in V.LP_PROOF:
            continue
        if not gap_final[r] > tol[r]:
            raise ValueError(f"run {r}: verdict {V.VERDICT_NAMES[int(out[r])]} with gap "
                             f"{gap_final[r]!r} <= tol {tol[r]!r}")
        lim = limit[r] if lp_status[r] == V.FEASIBLE else float("nan")
        out[r] = code[unreached_label(slope[r], stall_slope, lr_end[r], lim,
                                      diag["rel_gradient"][r], stationary_gradient,
                                      diag["polished_gap"][r], tol[r])]
    return out
