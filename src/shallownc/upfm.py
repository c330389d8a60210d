"""Unconstrained positive feature model (UPFM) and the ordinary unconstrained feature model (UFM).

Objective: the paper's (2.1) (the project normalization, :data:`NORMALIZATION`; no bias), defined
once in :mod:`shallownc.objective` (loss_terms, objective; the trainer's torch version is
checked equal to it in tests/test_objective.py):

    F(W, H) = (1/N) sum_i loss(W h_i, y_i) + (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2,

W is K x p (logits W h), H is p x N, N = K n balanced classes (class-ordered labels not needed).
UPFM: H >= 0 entrywise; UFM: H free.  Losses:

* ``ce``:  loss(z, y) = log sum_j exp(z_j) - z_y;
* ``mse``: loss(z, y) = c ||z - e_y||^2 with c = ``mse_scale`` (default 1/2: the normalization of
  the check in docs/science.md §3, and the one whose gradient is the plain residual).

Everything below is derived in reports/upfm.md (section numbers "D§x" refer to it):

* closed-form global minimizers and values (D§2 CE, D§3 MSE, D§4 UFM), including the threshold
  on lambda_W lambda_H beyond which the minimizer is zero;
* a numerical solver (L-BFGS-B, bound H >= 0 handled exactly by the solver's projection) from
  many random starts, in float64 (D§6);
* a certificate of global optimality (D§5): linearize the convex loss at a candidate's logits
  Z* = W* H*, then the remaining bilinear-plus-quadratic problem is bounded below by 0 iff the
  matrix lambda_H I - G^T G / (N^2 lambda_W) is copositive (UPFM) or PSD (UFM), G the loss
  gradient at Z*.  Copositivity is certified by the sufficient split PSD + entrywise
  non-negative; if the split does not certify at slope G, a shrunk slope theta G (valid because
  loss >= 0) does, so :func:`certificate` always returns a *valid* lower bound, and it is tight
  (= F at the closed form) exactly when the closed form is optimal.  H >= 0 is used honestly:
  dropping it (the UFM bound) gives a strictly smaller bound for CE.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import xarray as xr
from scipy.optimize import minimize

from . import metrics
from .class_sizes import balanced_n
# the objective (2.1), its losses and its normalization: defined once in shallownc.objective
from .objective import LOSSES, NORMALIZATION, loss_terms, objective, onehot  # noqa: F401
from .sweep import map_cells

log = logging.getLogger(__name__)

MODELS = ("upfm", "ufm")


def _check_common(loss: str, model: str, lam_W: float, lam_H: float, mse_scale: float):
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    for name, v in (("lambda_W", lam_W), ("lambda_H", lam_H), ("mse_scale", mse_scale)):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive finite number, got {v!r}")


def _check_labels(y, K: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be a non-empty 1-d integer array, got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= K:
        raise ValueError(f"labels must lie in 0..{K - 1}, got range {y.min()}..{y.max()}")
    if (np.bincount(y, minlength=K) == 0).any():
        raise ValueError(f"every class 0..{K - 1} needs at least one sample")
    return y.astype(np.int64)


# ------------------------------------------------------------------------------ closed forms

@dataclass(frozen=True)
class ClosedForm:
    """Closed-form global minimizer of the UPFM/UFM (reports/upfm.md D§2-D§4).

    ``rate`` is the effective regularization rate of the logits along the optimal direction:
      CE UPFM  gamma   = sqrt((K-1) N lambda_W lambda_H)        (D§2; paper Theorem 2(a):
                                                                 margin a = log((K-1)(1/gamma - 1)))
      CE UFM   gamma_u = (K-1) sqrt(n lambda_W lambda_H)        (D§4)
      MSE      a       = sqrt(K N lambda_W lambda_H) / 2        (D§3; UPFM and UFM agree; paper
                                                                 Theorem 2(b) for c = 1/2:
                                                                 beta = 1 - sqrt(n) K lambda)
    ``scale`` is the logit scale: CE the margin t (logits t (e_k - 1/K)), MSE beta (logits
    beta e_k).  ``threshold`` is the value of lambda_W lambda_H at and beyond which the zero
    solution is the global minimizer.
    """
    loss: str
    model: str
    K: int
    n: int
    lam_W: float
    lam_H: float
    mse_scale: float
    rate: float
    scale: float
    value: float
    threshold: float

    @property
    def N(self) -> int:
        return self.K * self.n

    @property
    def nonzero(self) -> bool:
        return self.scale > 0

    def class_logits(self) -> np.ndarray:
        """K x K matrix, column k = the logits of every class-k sample."""
        K = self.K
        if self.loss == "ce":
            return self.scale * (np.eye(K) - np.ones((K, K)) / K)
        return self.scale * np.eye(K)

    def weights(self, p: int | None = None):
        """An explicit minimizer (W K x p, H p x N), balanced lambda_W||W||^2 = lambda_H||H||^2.

        Class-ordered samples (n per class). UPFM and MSE: H-bar = h I_K (orthogonal frame,
        disjoint supports, rows >= K zero). CE UFM: H-bar = h (I - 11^T/K) (simplex ETF).
        """
        K, n, N = self.K, self.n, self.N
        p = K if p is None else int(p)
        if p < K:
            raise ValueError(f"width p must be >= K = {K} for the closed form, got {p}")
        W = np.zeros((K, p))
        H = np.zeros((p, N))
        if not self.nonzero:
            return W, H
        t, lw, lh = self.scale, self.lam_W, self.lam_H
        y = np.repeat(np.arange(K), n)
        if self.loss == "ce" and self.model == "ufm":
            U = np.eye(K) - np.ones((K, K)) / K          # W-bar = m U, H-bar = h U, m h = t
            h = (lw * t ** 2 / (lh * n)) ** 0.25          # D§4: lambda_W m^2 (K-1) = lambda_H n h^2 (K-1)
            W[:, :K] = (t / h) * U
            H[:K, :] = h * U[:, y]
        elif self.loss == "ce":
            U = np.eye(K) - np.ones((K, K)) / K          # W-bar = m U, H-bar = h I, m h = t
            h = (lw * t ** 2 * (K - 1) / (lh * N)) ** 0.25  # D§2: lambda_W m^2 (K-1) = lambda_H N h^2
            W[:, :K] = (t / h) * U
            H[:K, :] = h * np.eye(K)[:, y]
        else:
            h = (lw * K * t ** 2 / (lh * N)) ** 0.25     # D§3: lambda_W K m^2 = lambda_H N h^2
            W[:, :K] = (t / h) * np.eye(K)
            H[:K, :] = h * np.eye(K)[:, y]
        return W, H


def threshold(loss: str, model: str, K: int, n: int, mse_scale: float = 0.5) -> float:
    """lambda_W lambda_H at and beyond which the global minimizer is W = 0, H = 0 (D§2-D§4).

    CE UPFM: (K-1)/(K^2 N) (paper Theorem 2(a): a > 0 iff sqrt(n(K-1)/K) > K n lambda);
    CE UFM: 1/(K^2 n); MSE: 4 c^2/(K N) (paper Theorem 2(b), c = 1/2: sqrt(n) K lambda < 1).
    """
    n = balanced_n(n, K, "upfm.threshold (paper Theorem 2)")
    N = K * n
    if loss == "ce":
        return (K - 1) / (K ** 2 * N) if model == "upfm" else 1.0 / (K ** 2 * n)
    return 4.0 * mse_scale ** 2 / (K * N)


def closed_form(loss: str, model: str, K: int, n, lam_W: float, lam_H: float,
                mse_scale: float = 0.5):
    """The closed-form global minimizer and its objective value (reports/upfm.md D§2-D§4;
    paper Theorem 2, objective (2.1)).

    ``n``: an int (balanced, n per class; returns :class:`ClosedForm`) or a sequence of K class
    sizes (returns ``upfm_imbalanced.ImbalancedClosedForm``, reports/imbalance.md (I1)-(I4);
    equal sizes give the same F*, margins and norms as the int).
    """
    if np.ndim(n) != 0:
        from . import upfm_imbalanced
        return upfm_imbalanced.closed_form(loss, model, K, n, lam_W, lam_H, mse_scale)
    _check_common(loss, model, lam_W, lam_H, mse_scale)
    if K < 2 or n < 1:
        raise ValueError(f"need K >= 2 and n >= 1, got K={K}, n={n}")
    N = K * n
    s = np.sqrt(lam_W * lam_H)
    thr = threshold(loss, model, K, n, mse_scale)
    if loss == "ce":
        # D§2/D§4: F(t) = log(1 + (K-1) e^{-t}) + rate t, minimized at 1 - softmax_y = rate.
        rate = s * np.sqrt((K - 1) * N) if model == "upfm" else s * (K - 1) * np.sqrt(n)
        if rate < (K - 1) / K:
            t = float(np.log((K - 1) * (1 - rate) / rate))
            value = float(-np.log1p(-rate) + rate * t)
        else:
            t, value = 0.0, float(np.log(K))
    else:
        # D§3: F(beta) = c (1 - beta)^2 + 2 a beta, minimized at beta = 1 - a/c (if > 0).
        c = mse_scale
        rate = float(np.sqrt(K * N) * s / 2.0)
        if rate < c:
            t = 1.0 - rate / c
            value = 2 * rate - rate ** 2 / c
        else:
            t, value = 0.0, c
    return ClosedForm(loss, model, K, n, float(lam_W), float(lam_H), float(mse_scale),
                      float(rate), float(t), float(value), float(thr))


# ------------------------------------------------------------------------------- certificate

@dataclass(frozen=True)
class Certificate:
    """Lower bound on min F over all (W, H) (H >= 0 for the UPFM), any width p (D§5)."""
    lower_bound: float
    value: float          # F at the candidate used for the linearization
    theta: float          # slope shrink factor in (0, 1]; 1 = full linearization
    rho: float            # lambda_max of the PSD part of G^T G / (N^2 lambda_W)
    lam_H: float

    @property
    def gap(self) -> float:
        """F(candidate) - lower bound >= 0: the candidate is within ``gap`` of the optimum."""
        return self.value - self.lower_bound


def certificate(W, H, y, lam_W: float, lam_H: float, loss: str, model: str = "upfm",
                mse_scale: float = 0.5) -> Certificate:
    """Certified lower bound on the global minimum of F (reports/upfm.md D§5).

    With Z* = W H and G the per-sample loss gradients at Z* (K x N), convexity of the loss and
    loss >= 0 give, for every theta in [0, 1],
        F(W', H') >= theta c0 + (theta/N) <G, W'H'> + (lambda_W/2)||W'||^2
                     + (lambda_H/2)||H'||^2,   c0 = (1/N) sum_i [loss(z*_i) - g_i^T z*_i].
    Minimizing over W' (W' = -theta G H'^T / (N lambda_W)) leaves
    (1/2) sum_rows h^T (lambda_H I - theta^2 A) h with A = G^T G / (N^2 lambda_W), h the rows
    of H'. The bound theta c0 holds when
    lambda_H I - theta^2 A is copositive (UPFM: rows h >= 0) or PSD (UFM). Sufficient split for
    copositivity: A = A_plus + A_minus, A_minus the negative off-diagonal entries (they make
    lambda_H I - theta^2 A entrywise larger), and lambda_H I - theta^2 A_plus PSD, i.e.
    theta^2 lambda_max(A_plus) <= lambda_H. For the UFM, rho = lambda_max(A). theta =
    min(1, sqrt(lambda_H / rho)).
    """
    _check_common(loss, model, lam_W, lam_H, mse_scale)
    W = np.asarray(W, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    y = _check_labels(y, W.shape[0])
    if W.shape[1] != H.shape[0] or H.shape[1] != y.size:
        raise ValueError(f"shapes do not match: W {W.shape}, H {H.shape}, {y.size} labels")
    if not (np.isfinite(W).all() and np.isfinite(H).all()):
        raise ValueError("candidate W, H contain NaN or inf")
    if model == "upfm" and (H < 0).any():
        raise ValueError("UPFM certificate needs a candidate with H >= 0 "
                         f"(min entry {H.min():.3e})")
    N = y.size
    Z = W @ H
    ell, G = loss_terms(Z, y, loss, mse_scale)
    c0 = float((ell - (G * Z).sum(axis=0)).mean())
    A = G.T @ G / (N ** 2 * lam_W)
    if model == "upfm":
        Ap = A.copy()
        off = ~np.eye(N, dtype=bool)
        Ap[off & (Ap < 0)] = 0.0
        rho = float(np.linalg.eigvalsh(Ap)[-1])
    else:
        rho = float(np.linalg.eigvalsh(A)[-1])
    theta = 1.0 if rho <= lam_H else float(np.sqrt(lam_H / rho))
    value = objective(W, H, y, lam_W, lam_H, loss, mse_scale)
    return Certificate(theta * c0, value, theta, rho, float(lam_H))


# ---------------------------------------------------------------------------- numerical solver

@dataclass(frozen=True)
class SolverSettings:
    """L-BFGS-B settings; see workflow/schemas/upfm.schema.yaml for the meaning of each."""
    width: int = 0               # p; 0 means 2 K
    starts: int = 8
    init_scale: float = 1.0
    max_iter: int = 20000
    gtol: float = 1e-11
    ftol: float = 1e-16

    @classmethod
    def from_config(cls, c: dict) -> "SolverSettings":
        return cls(**{k: c[k] for k in ("width", "starts", "init_scale", "max_iter", "gtol",
                                        "ftol") if k in c})


@dataclass
class Solution:
    W: np.ndarray
    H: np.ndarray
    value: float
    iterations: int
    converged: bool
    message: str


def solve_one(y, K: int, lam_W: float, lam_H: float, loss: str, model: str, rng,
              settings: SolverSettings, mse_scale: float = 0.5) -> Solution:
    """One run of L-BFGS-B on F from a random start (H >= 0 as bounds for the UPFM; D§6).

    Start: W, H with i.i.d. N(0, init_scale^2 / p) entries (|.| for the UPFM's H).
    """
    _check_common(loss, model, lam_W, lam_H, mse_scale)
    y = _check_labels(y, K)
    N = y.size
    p = settings.width or 2 * K
    sW, sH = K * p, p * N
    sc = settings.init_scale / np.sqrt(p)
    W0 = rng.standard_normal((K, p)) * sc
    H0 = rng.standard_normal((p, N)) * sc
    if model == "upfm":
        H0 = np.abs(H0)

    def fg(x):
        W = x[:sW].reshape(K, p)
        H = x[sW:].reshape(p, N)
        Z = W @ H
        ell, G = loss_terms(Z, y, loss, mse_scale)
        f = ell.mean() + 0.5 * lam_W * (W ** 2).sum() + 0.5 * lam_H * (H ** 2).sum()  # (2.1)
        GN = G / N
        gW = GN @ H.T + lam_W * W
        gH = W.T @ GN + lam_H * H
        return f, np.concatenate([gW.ravel(), gH.ravel()])

    bounds = [(None, None)] * sW + ([(0.0, None)] * sH if model == "upfm" else
                                    [(None, None)] * sH)
    res = minimize(fg, np.concatenate([W0.ravel(), H0.ravel()]), jac=True, method="L-BFGS-B",
                   bounds=bounds, options={"maxiter": settings.max_iter, "maxfun":
                                           2 * settings.max_iter, "gtol": settings.gtol,
                                           "ftol": settings.ftol, "maxcor": 30})
    W = res.x[:sW].reshape(K, p)
    H = res.x[sW:].reshape(p, N)
    if model == "upfm":
        H = np.maximum(H, 0.0)
    return Solution(W, H, objective(W, H, y, lam_W, lam_H, loss, mse_scale), int(res.nit),
                    bool(res.success), str(res.message))


def feature_stats(W, H, y, K: int, lam_W: float, lam_H: float) -> dict:
    """NC metrics of a (numerical) minimizer, from shallownc.metrics, plus norms."""
    regW, regH = lam_W * float((W ** 2).sum()), lam_H * float((H ** 2).sum())
    Hbar = metrics.class_means(H, y, K)
    Gm = Hbar.T @ Hbar
    nG = np.linalg.norm(Gm)
    return {
        "nc1": metrics.nc1(H, y, K),
        "nc2_of": metrics.nc2_orthogonal_frame(Hbar),
        "nc2_etf": metrics.nc2_etf(Hbar),
        "feature_norm": float(np.sqrt((H ** 2).sum())),
        "balance": regW / regH if regH > 0 else float("nan"),
        "gram": Gm / nG if nG > 0 else np.full((K, K), np.nan),
    }


# ----------------------------------------------------------------------------------- sweeps

def lambdas_from_ratio(ratio: float, loss: str, K: int, n: int, mse_scale: float = 0.5,
                       lam_ratio: float = 1.0):
    """(lambda_W, lambda_H) with lambda_W lambda_H = ratio * threshold of the UPFM (D§2, D§3)
    and lambda_W / lambda_H = lam_ratio."""
    n = balanced_n(n, K, "upfm.lambdas_from_ratio (paper Theorem 2)")
    if not (ratio > 0 and lam_ratio > 0):
        raise ValueError(f"ratio and lam_ratio must be positive, got {ratio}, {lam_ratio}")
    prod = ratio * threshold(loss, "upfm", K, n, mse_scale)
    lam_H = np.sqrt(prod / lam_ratio)
    return float(lam_ratio * lam_H), float(lam_H)


# Output variables of run_sweep: (name, description, units); dims (model, K, n, ratio), and
# (model, K, n, ratio, start) for the names starting with "start_". Not sweep.Variable: the
# sweep is over (model, K, n, ratio), not a (d, sigma, trial) grid.
SWEEP_VARIABLES = [
    ("closed_value", "closed-form global minimum F* (reports/upfm.md D§2-D§4)", "1"),
    ("best_value", "lowest F over the random starts (L-BFGS-B, float64)", "1"),
    ("cert_lb_closed", "certified lower bound on min F, linearized at the closed form "
                       "(upfm.certificate, D§5)", "1"),
    ("cert_lb_best", "certified lower bound on min F, linearized at the best numerical "
                     "minimizer (upfm.certificate, D§5)", "1"),
    ("cert_theta_best", "slope shrink factor theta of the certificate at the best "
                        "numerical minimizer (1 = full linearization)", "1"),
    ("nc1", "NC1 of the best numerical minimizer's features (metrics.nc1)", "1"),
    ("nc2_of", "orthogonal-frame NC2 error of the best minimizer (metrics.nc2_orthogonal_frame)",
     "1"),
    ("nc2_etf", "simplex-ETF NC2 error of the best minimizer (metrics.nc2_etf)", "1"),
    ("feature_norm", "||H||_F of the best numerical minimizer", "1"),
    ("feature_norm_closed", "||H||_F of the closed-form minimizer", "1"),
    ("balance", "lambda_W||W||^2 / (lambda_H||H||^2) at the best minimizer (1 at optimum)", "1"),
    ("lambda_W", "classifier regularization lambda_W", "1"),
    ("lambda_H", "feature regularization lambda_H", "1"),
    ("threshold", "lambda_W lambda_H at which this model's minimizer becomes zero", "1"),
    ("scale", "closed-form logit scale (CE: margin t; MSE: beta)", "1"),
    ("rate", "closed-form effective rate (CE: gamma = sqrt((K-1) N lambda_W lambda_H); MSE: "
             "a = sqrt(K N lambda_W lambda_H)/2; paper (2.1) normalization)", "1"),
    ("solve_time", "wall time of all starts of the cell", "s"),
    ("frac_starts_at_optimum", "fraction of starts with F - F* <= 1e-8 max(1, |F*|)", "1"),
    ("start_value", "F reached by each random start", "1"),
    ("start_converged", "1 if L-BFGS-B reported convergence for the start", "1"),
]


def sweep_point(point: tuple, settings: SolverSettings, base_seed: int, mse_scale: float = 0.5,
                lam_ratio: float = 1.0) -> dict:
    """Every SWEEP_VARIABLES value of one ``point`` = (loss, model, K, n, ratio): the closed
    form and its certificate, ``settings.starts`` numerical starts, the best start's metrics."""
    from .data import cell_seed

    loss, model, K, n, r = point
    y = np.repeat(np.arange(K), n)
    lw, lh = lambdas_from_ratio(r, loss, K, n, mse_scale, lam_ratio)
    cf = closed_form(loss, model, K, n, lw, lh, mse_scale)
    Wc, Hc = cf.weights(settings.width or 2 * K)
    cc = certificate(Wc, Hc, y, lw, lh, loss, model, mse_scale)
    rng = np.random.default_rng(cell_seed(base_seed, 0, stage="upfm", loss=loss, model=model,
                                          K=K, n=n, ratio=float(r)))
    t0 = time.perf_counter()
    sols = [solve_one(y, K, lw, lh, loss, model, rng, settings, mse_scale)
            for _ in range(settings.starts)]
    dt = time.perf_counter() - t0
    vals = np.array([s.value for s in sols])
    best = sols[int(np.argmin(vals))]
    cb = certificate(best.W, best.H, y, lw, lh, loss, model, mse_scale)
    st = feature_stats(best.W, best.H, y, K, lw, lh)
    log.info("%s %s K=%d n=%d ratio=%.3g: closed %.10g best %.10g (gap %.2e) cert %.10g, "
             "%.2f s", loss, model, K, n, r, cf.value, best.value, best.value - cf.value,
             cc.lower_bound, dt)
    return {"closed_value": cf.value, "best_value": best.value,
            "cert_lb_closed": cc.lower_bound, "cert_lb_best": cb.lower_bound,
            "cert_theta_best": cb.theta,
            **{k: st[k] for k in ("nc1", "nc2_of", "nc2_etf", "feature_norm", "balance")},
            "feature_norm_closed": float(np.linalg.norm(Hc)), "lambda_W": lw, "lambda_H": lh,
            "threshold": cf.threshold, "scale": cf.scale, "rate": cf.rate, "solve_time": dt,
            "frac_starts_at_optimum": float(
                np.mean(vals - cf.value <= 1e-8 * max(1.0, abs(cf.value)))),
            "start_value": vals,
            "start_converged": np.array([int(s.converged) for s in sols], dtype=np.int8)}


def run_sweep(loss: str, K_values, n_values, ratios, settings: SolverSettings, base_seed: int,
              mse_scale: float = 0.5, lam_ratio: float = 1.0, models=MODELS) -> xr.Dataset:
    """Numerical minimizers vs closed form over (model, K, n, ratio) for one loss
    (:func:`sweep_point` at every point, SWEEP_VARIABLES).

    ratio = lambda_W lambda_H / threshold of the UPFM (so ratio = 1 is the UPFM's zero-solution
    threshold for both models; the UFM threshold sits at ratio threshold_ufm/threshold_upfm).
    Every start's value, the best start's metrics, both certificates (at the closed form and at
    the best numerical minimizer) are stored.
    """
    models = tuple(models)
    K_values, n_values, ratios = list(K_values), list(n_values), list(ratios)
    dims = ("model", "K", "n", "ratio")
    points = list(itertools.product([loss], models, K_values, n_values, ratios))
    results = map_cells(partial(sweep_point, settings=settings, base_seed=base_seed,
                                mse_scale=mse_scale, lam_ratio=lam_ratio), points,
                        label=f"upfm sweep {loss}")
    shape = (len(models), len(K_values), len(n_values), len(ratios))
    data = {}
    for name, desc, units in SWEEP_VARIABLES:
        per_start = name.startswith("start_")
        arr = np.stack([np.asarray(r[name]) for r in results])
        data[name] = (dims + ("start",) if per_start else dims,
                      arr.reshape(shape + arr.shape[1:]), {"description": desc, "units": units})
    ds = xr.Dataset(
        data,
        coords={"model": list(models), "K": K_values, "n": n_values,
                "ratio": np.asarray(ratios, dtype=float), "start": np.arange(settings.starts)},
        attrs={"loss": loss, "mse_scale": mse_scale, "lambda_W_over_lambda_H": lam_ratio,
               "ratio_definition": "lambda_W lambda_H / threshold_UPFM(loss, K, n)",
               "objective": "(1/N) sum_i loss(W h_i, y_i) + (lambda_W/2) ||W||_F^2 + "
                            "(lambda_H/2) ||H||_F^2",
               "normalization": NORMALIZATION,
               "loss_definition": ("logsumexp(z) - z_y" if loss == "ce" else
                                   f"{mse_scale} * ||z - e_y||^2"),
               "width": settings.width or "2K", "starts": settings.starts, "gtol": settings.gtol,
               "max_iter": settings.max_iter, "derivation": "reports/upfm.md"},
    )
    ds["gap_best"] = ds["best_value"] - ds["closed_value"]
    ds["gap_best"].attrs = {"description": "best numerical F minus closed-form F*", "units": "1"}
    ds["cert_gap_closed"] = ds["closed_value"] - ds["cert_lb_closed"]
    ds["cert_gap_closed"].attrs = {"description": "F* minus its certified lower bound "
                                   "(0 up to rounding: the closed form is certified optimal)",
                                   "units": "1"}
    return ds


def run_gram(K: int, n: int, ratio: float, settings: SolverSettings, base_seed: int,
             mse_scale: float = 0.5, lam_ratio: float = 1.0) -> xr.Dataset:
    """Normalized class-mean Gram matrices, numerical (best start) and closed form, for every
    (loss, model): the UPFM's orthogonal frame next to the UFM's simplex ETF."""
    from .data import cell_seed

    y = np.repeat(np.arange(K), n)
    gram = np.full((len(LOSSES), len(MODELS), 2, K, K), np.nan)
    scal = {k: np.full((len(LOSSES), len(MODELS)), np.nan)
            for k in ("nc1", "nc2_of", "nc2_etf", "gap_best", "closed_value", "lambda_W",
                      "lambda_H")}
    for a, loss in enumerate(LOSSES):
        lw, lh = lambdas_from_ratio(ratio, loss, K, n, mse_scale, lam_ratio)
        for b, model in enumerate(MODELS):
            cf = closed_form(loss, model, K, n, lw, lh, mse_scale)
            rng = np.random.default_rng(cell_seed(base_seed, 0, stage="upfm_gram", loss=loss,
                                                  model=model, K=K, n=n, ratio=float(ratio)))
            sols = [solve_one(y, K, lw, lh, loss, model, rng, settings, mse_scale)
                    for _ in range(settings.starts)]
            best = min(sols, key=lambda s: s.value)
            st = feature_stats(best.W, best.H, y, K, lw, lh)
            Wc, Hc = cf.weights(settings.width or 2 * K)
            gram[a, b, 0] = st["gram"]
            gram[a, b, 1] = feature_stats(Wc, Hc, y, K, lw, lh)["gram"]
            for k in ("nc1", "nc2_of", "nc2_etf"):
                scal[k][a, b] = st[k]
            scal["gap_best"][a, b] = best.value - cf.value
            scal["closed_value"][a, b] = cf.value
            scal["lambda_W"][a, b], scal["lambda_H"][a, b] = lw, lh
    desc = {"nc1": "NC1 of the best numerical minimizer (metrics.nc1)",
            "nc2_of": "orthogonal-frame NC2 error of the best minimizer",
            "nc2_etf": "simplex-ETF NC2 error of the best minimizer",
            "gap_best": "best numerical F minus closed-form F*",
            "closed_value": "closed-form global minimum F*",
            "lambda_W": "classifier regularization", "lambda_H": "feature regularization"}
    data = {"gram": (("loss", "model", "source", "class_i", "class_j"), gram,
                     {"description": "normalized Gram matrix Hbar^T Hbar / ||Hbar^T Hbar||_F of "
                                     "the (uncentred) class means", "units": "1"})}
    for k, v in scal.items():
        data[k] = (("loss", "model"), v, {"description": desc[k], "units": "1"})
    return xr.Dataset(data, coords={"loss": list(LOSSES), "model": list(MODELS),
                                    "source": ["numerical", "closed_form"],
                                    "class_i": np.arange(K), "class_j": np.arange(K)},
                      attrs={"K": K, "n": n, "ratio": ratio, "mse_scale": mse_scale,
                             "ratio_definition": "lambda_W lambda_H / threshold_UPFM",
                             "starts": settings.starts, "derivation": "reports/upfm.md",
                             "normalization": NORMALIZATION})
