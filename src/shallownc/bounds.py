"""Theory curves for NC-feasibility of Gaussian mixtures: sufficient conditions and a prediction.

Every formula here is derived in ``reports/theory.md``; the equation labels in the comments
(U0..U4, G1..G3, K1..K2, P1..P4) point there. Setting (docs/science.md §1, §4): x_ki = mu_k + sigma z_ki,
z ~ N(0, I_d), n samples per class, K classes, N = K n; M = [mu_1 .. mu_K] (d x K), r = rank M.
The class-k LP is  X_k^T w = 1,  X_j^T w <= 0 (j != k).

Curves (all for *every* class LP at once, i.e. the ``nc_all_status`` verdict):

* union bound (red, U4): for d >= n + r and
      sigma * sqrt(1 + q_F) * sqrt(2 log(K (K-1) n / delta))  <  gamma(M),
  q_F = n/(m-n+1) * F^{-1}_{n, m-n+1}(1 - delta/(2K)),  m = d - r,
  with the mean margin gamma(M) (U1 for K = 2 with an angle, U2 = s_min(M)/sqrt(K-1) in general),
  every class LP is feasible with probability >= 1 - delta.
* Gordon comparison (blue, G3): with m = d - r,
      lambda_m >= sqrt(delta_C) + sqrt(2 log(K/delta)),  delta_C = (K+1) n/2 - 1/2,
  lambda_m = E||g_m|| = sqrt(2) Gamma((m+1)/2)/Gamma(m/2); asymptotically d/n > (K+1)/2.
* kinematic comparison (blue dotted, K2): the same reduction with the exact conic kinematic
  (Crofton) formula, K * P_inf(d - r) <= delta, P_inf from the intrinsic volumes (K1).
* predicted boundary (dashed, P3-P4): the d/n where P(feasible) crosses 1/2, from Gordon's
  min-max (CGMT) applied to the Farkas alternative with the means included, plus the finite-n
  correction r - 1/2 in d; a prediction, not a bound.

Both comparison bounds and the union bound are *sound* sufficient conditions: the validation
stage (:func:`soundness`) tests them against the verified LP verdicts.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import optimize, special, stats

from . import data as D
from . import status
from .class_sizes import balanced_n
from .grid import Grid

log = logging.getLogger(__name__)

CURVE_VERSION = "1"


# ----------------------------------------------------------------------------- mean margin

def mean_margin(M: np.ndarray, angle_deg: float | None = None) -> np.ndarray:
    """Margin gamma_k(M) of every class (reports/theory.md, eq. U1-U2).

    gamma_k = sup { min_{j != k} -mu_j^T u : ||u|| = 1, u in span M, mu_k^T u >= 0 }.
    K = 2 (eq. U1): gamma_1 = ||mu_2|| if the angle is >= 90 degrees, else ||mu_2|| sin(angle)
    (and symmetrically gamma_2). K classes (eq. U2): gamma_k >= s_min(M) / sqrt(K - 1), the
    value used here (exact for orthogonal means). Zero means (pure noise) give gamma = 0.
    """
    M = np.asarray(M, float)
    d, K = M.shape
    norms = np.linalg.norm(M, axis=0)
    if np.all(norms == 0):
        return np.zeros(K)
    if K == 2:
        if np.any(norms == 0):
            return np.zeros(2)
        cos = float(M[:, 0] @ M[:, 1] / (norms[0] * norms[1]))
        cos = min(1.0, max(-1.0, cos))
        fac = 1.0 if cos <= 0 else math.sqrt(max(0.0, 1.0 - cos * cos))  # eq. U1
        return np.array([norms[1] * fac, norms[0] * fac])
    smin = np.linalg.svd(M, compute_uv=False).min() if d >= K else 0.0
    return np.full(K, smin / math.sqrt(K - 1))  # eq. U2


def grid_means(grid: Grid) -> np.ndarray:
    """Population mean matrix of a GMM grid (norms and angles do not depend on d)."""
    if grid.geometry == "random":
        raise ValueError("geometry 'random' has random means: the union bound and the "
                         "prediction need a fixed M (use the per-trial M)")
    d = max(grid.K, 2)
    if grid.geometry == "noise":
        return np.zeros((d, grid.K))
    return D.mean_matrix(grid.geometry, grid.K, d, grid.mean_norm, grid.angle_deg)


# ----------------------------------------------------------------------------- union bound

def union_q(d, n: int, rank: int, delta_f: float) -> np.ndarray:
    """Upper (1 - delta_f) quantile of ||v||^2/||u||^2 ~ n/(m-n+1) F(n, m-n+1) (eq. U3).

    m = d - rank; NaN (no bound) where m < n.
    """
    n = balanced_n(n, None, "bounds.union_q (paper Theorem 3)")
    d = np.asarray(d, float)
    m = d - rank
    dof2 = m - n + 1
    out = np.full(d.shape, np.nan)
    ok = dof2 >= 1
    out[ok] = n / dof2[ok] * stats.f.isf(delta_f, n, dof2[ok])
    return out


def union_sigma_max(d, n: int, K: int, rank: int, gamma: float, delta: float) -> np.ndarray:
    """Largest sigma certified by the union bound at dimension d (eq. U4).

    sigma < gamma / (sqrt(1 + q_F) sqrt(2 log(K (K-1) n / delta))) with half of delta spent on
    the Gaussian tails (union over K (K-1) n samples, one-sided tail <= exp(-t^2/2)/2) and half
    on the F quantile (union over the K classes). 0 where d < n + rank or gamma = 0.
    """
    n = balanced_n(n, K, "bounds.union_sigma_max (paper Theorem 3)")
    q = union_q(d, n, rank, delta / (2 * K))
    tail = math.sqrt(2 * math.log(K * (K - 1) * n / delta))  # (delta/2)/(K(K-1)n) = exp(-t^2/2)/2
    with np.errstate(invalid="ignore"):
        s = gamma / (np.sqrt(1 + q) * tail)
    return np.where(np.isfinite(s), s, 0.0)


# ----------------------------------------------------------------------- Gordon / kinematic

def stat_dim_cone(n: int, K: int) -> float:
    """Statistical dimension of C = {1^T y <= 0} x R_+^{(K-1)n} (eq. G1): (K+1)n/2 - 1/2."""
    n = balanced_n(n, K, "bounds.stat_dim_cone (reports/theory.md)")
    return (n - 0.5) + (K - 1) * n / 2.0


def gaussian_norm_mean(m) -> np.ndarray:
    """lambda_m = E||g||, g ~ N(0, I_m) = sqrt(2) Gamma((m+1)/2)/Gamma(m/2) (eq. G2)."""
    m = np.asarray(m, float)
    out = np.zeros(m.shape)
    pos = m > 0
    out[pos] = np.sqrt(2) * np.exp(special.gammaln((m[pos] + 1) / 2) - special.gammaln(m[pos] / 2))
    return out


def gordon_d_min(n: int, K: int, rank: int, delta: float) -> int:
    """Smallest d certified by the Gordon comparison (eq. G3)."""
    n = balanced_n(n, K, "bounds.gordon_d_min (reports/theory.md)")
    target = math.sqrt(stat_dim_cone(n, K)) + math.sqrt(2 * math.log(K / delta))
    m = int(max(1, math.floor(target ** 2) - 2))
    while gaussian_norm_mean(m) < target:
        m += 1
    return m + rank


def kinematic_p_infeasible(n: int, K: int, m) -> np.ndarray:
    """P(class LP of pure noise in dimension m is infeasible), exact (eq. K1).

    Crofton formula P{C cap L != 0} = 2 sum_{i odd} v_{m+i}(C) for a uniformly random subspace
    L of codimension m (the kernel of an m x N Gaussian matrix), with the intrinsic volumes of
    C = half-space(R^n) x orthant(R^{(K-1)n}): v_j = (b_{j-n} + b_{j-n+1})/2, b = Bin((K-1)n, 1/2).
    """
    n = balanced_n(n, K, "bounds.kinematic_p_infeasible (reports/theory.md)")
    mo = (K - 1) * n
    N = K * n
    j = np.arange(N + 1)

    def b(i):
        return np.where((i >= 0) & (i <= mo), stats.binom.pmf(np.clip(i, 0, mo), mo, 0.5), 0.0)

    v = 0.5 * (b(j - n) + b(j - n + 1))
    tail_odd = np.zeros(N + 3)  # tail_odd[t] = sum_{i >= t, i = t mod 2} v_i
    for t in range(N, -1, -1):
        tail_odd[t] = v[t] + tail_odd[t + 2]
    m = np.atleast_1d(np.asarray(m, int))
    out = np.where(m + 1 <= N, 2 * tail_odd[np.clip(m + 1, 0, N + 2)], 0.0)
    out = np.where(m <= 0, 1.0, out)
    return np.clip(out, 0.0, 1.0)


def kinematic_d_min(n: int, K: int, rank: int, delta: float) -> int:
    """Smallest d with K * P_inf(d - rank) <= delta (eq. K2)."""
    n = balanced_n(n, K, "bounds.kinematic_d_min (reports/theory.md)")
    m = np.arange(1, K * n + 2)
    ok = K * kinematic_p_infeasible(n, K, m) <= delta
    return int(m[np.argmax(ok)]) + rank


# ---------------------------------------------------------------------- predicted boundary

def _psi_table():
    """tau(lambda) = B/sqrt(A), psi = sqrt(A) + lambda tau, psi'(tau) = lambda (eq. P2)."""
    lam = np.linspace(-30, 7, 8000)
    Q, phi = stats.norm.sf(lam), stats.norm.pdf(lam)
    A = (1 + lam ** 2) * Q - lam * phi
    B = phi - lam * Q
    tau = B / np.sqrt(A)
    psi_ = np.sqrt(A) + lam * tau
    order = np.argsort(tau)
    return tau[order], psi_[order], lam[order]


_TAU, _PSI, _LAM = _psi_table()


def psi(tau) -> np.ndarray:
    """psi(tau): (1/sqrt n) max {h^T z : z >= 0, ||z|| = 1, 1^T z = tau sqrt n} (eq. P2).

    Tabulated through the threshold parametrisation z = (h - lambda)_+; psi(0) = psi(1) = 0.
    """
    t = np.clip(tau, 0, 1)
    return np.interp(t, np.concatenate([[0.0], _TAU, [1.0]]),
                     np.concatenate([[0.0], _PSI, [0.0]]))


def psi_prime(tau) -> np.ndarray:
    """psi'(tau) = lambda(tau) (envelope theorem, eq. P2)."""
    return np.interp(np.clip(tau, _TAU[0], _TAU[-1]), _TAU, _LAM)


def _objective(x, k: int, gram: np.ndarray, inv_s2: float):
    """-F and its gradient, F = L^2 - s^T G s / sigma^2 (eq. P3), x = (p, u, tau).

    (a, b) = p/||p||; s_k = -u a; s_j = tau_j b_j (j != k);
    L = a sqrt(1 - u^2) + sum_j b_j psi(tau_j).
    """
    K = gram.shape[0]
    p = x[:K]
    nrm = np.linalg.norm(p)
    q = p / nrm
    a, b = q[0], q[1:]
    u = x[K]
    tau = x[K + 1:]
    others = [j for j in range(K) if j != k]
    s = np.empty(K)
    s[k] = -u * a
    s[others] = tau * b
    root = math.sqrt(max(1 - u * u, 1e-300))
    ps = psi(tau)
    L = a * root + float(b @ ps)
    Gs = gram @ s * inv_s2
    F = L * L - float(s @ Gs)
    g_ab = np.empty(K)
    g_ab[0] = 2 * L * root + 2 * Gs[k] * u
    g_ab[1:] = 2 * L * ps - 2 * Gs[others] * tau
    g_p = (g_ab - q * (q @ g_ab)) / nrm
    g_u = -2 * L * a * u / root + 2 * Gs[k] * a
    g_tau = 2 * L * b * psi_prime(tau) - 2 * Gs[others] * b
    return -F, -np.concatenate([g_p, [g_u], g_tau])


def _symmetric(gram: np.ndarray) -> bool:
    """All classes equivalent (equal norms, equal pairwise inner products)."""
    K = gram.shape[0]
    off = gram[~np.eye(K, dtype=bool)]
    return bool(np.allclose(np.diag(gram), gram[0, 0]) and np.allclose(off, off[0]))


def predicted_asymptotic(M: np.ndarray, sigma: float, starts: int = 8, seed: int = 0,
                         x0s=()) -> tuple[float, list]:
    """Asymptotic prediction phi = lim d*/n of all class LPs at noise sigma (eq. P3).

    phi = max_k max [sqrt(a^2 - s_k^2) + sum_j b_j psi(s_j/b_j)]^2 - s^T M^T M s / sigma^2
    over a^2 + sum_j b_j^2 = 1, -a <= s_k <= 0, 0 <= s_j <= b_j; pure noise gives (K+1)/2,
    sigma -> 0 gives 1. Non-concave: multistart from the two limiting solutions (a = 1, and
    the pure-noise optimum), from ``x0s`` (e.g. the optimum at a neighbouring sigma) and random
    points. Returns (phi, optimisers per class).
    """
    M = np.asarray(M, float)
    K = M.shape[1]
    if not np.any(M):
        return (K + 1) / 2, []  # pure noise: a = 1/sqrt((K+1)/2), tau_j = 0.5642 (eq. P3)
    gram = M.T @ M
    inv_s2 = 0.0 if np.isinf(sigma) else 1.0 / sigma ** 2
    rng = np.random.default_rng(seed)
    classes = [0] if _symmetric(gram) else range(K)
    bounds = [(1e-9, 1.0)] * K + [(0.0, 1 - 1e-9)] + [(1e-9, 1.0)] * (K - 1)
    best_all, xs = -np.inf, []
    for k in classes:
        inits = [np.concatenate([[1.0], np.full(K - 1, 1e-3), [0.0], np.full(K - 1, 0.01)]),
                 np.concatenate([[1.0], np.full(K - 1, 1 / math.sqrt(2)), [0.0],
                                 np.full(K - 1, 0.5642)])]
        inits += [np.asarray(x, float) for x in x0s]
        inits += [rng.uniform(0.02, 1, 2 * K) for _ in range(max(0, starts - len(inits)))]
        best, bx = -np.inf, None
        for x0 in inits:
            res = optimize.minimize(_objective, np.clip(x0, 1e-9, 1 - 1e-9),
                                    args=(k, gram, inv_s2), jac=True, method="L-BFGS-B",
                                    bounds=bounds)
            if -res.fun > best:
                best, bx = -res.fun, res.x
        xs.append(bx)
        best_all = max(best_all, best)
    return float(best_all), xs


def predicted_d_over_n(M: np.ndarray, sigma, n: int, starts: int = 8) -> np.ndarray:
    """Predicted 50% boundary d*/n with the finite-n correction (eq. P4).

    d* = n phi(sigma) + r - 1/2, r = rank M: at sigma -> 0 the noise in the r mean directions
    is cancelled by the means (d* = n + r - 1/2), at pure noise d* = delta(C) = (K+1)n/2 - 1/2
    exactly. ``sigma`` may be an array; consecutive values are warm-started.
    """
    n = balanced_n(n, None, "bounds.predicted_d_over_n (reports/theory.md)")
    M = np.asarray(M, float)
    rank = int(np.linalg.matrix_rank(M)) if np.any(M) else 0
    sig = np.atleast_1d(np.asarray(sigma, float))
    order = np.argsort(sig)
    out = np.empty(len(sig))
    prev = ()
    for i in order:
        phi, xs = predicted_asymptotic(M, sig[i], starts, x0s=prev)
        prev = xs[:1] if len(xs) == 1 else ()
        out[i] = phi + (rank - 0.5) / n
    return out


# --------------------------------------------------------------------------------- curves

@dataclass(frozen=True)
class BoundOptions:
    delta: float = 0.05
    sigma_points: int = 61
    prediction_starts: int = 8


ASSUMPTIONS = {
    "union_bound": "x = mu_k + sigma z, z ~ N(0, I_d) i.i.d.; M fixed with rank r; d >= n + r; "
                   "strict inequality of reports/theory.md eq. U4",
    "gordon": "Gaussian noise with any fixed M (the means are never used: w is restricted to "
              "span(M)^perp); reports/theory.md eq. G3",
    "kinematic": "as gordon, with the exact conic kinematic formula; reports/theory.md eq. K2",
    "predicted": "asymptotic (n, d -> infinity, d/n fixed) CGMT prediction, reports/theory.md "
                 "eq. P3; not a bound",
}


def grid_curves(grid: Grid, opts: BoundOptions, d_values=None) -> xr.Dataset:
    """All curves of one GMM grid (kind phase or pure_noise) as a Dataset.

    Dimensions: ``d`` (the grid's d values), ``sigma`` (grid values), ``sigma_curve`` (a fine
    log grid for drawing) and ``d_curve`` (every integer d up to twice the grid's largest).
    """
    if grid.source != "gmm":
        raise ValueError(f"grid {grid.name!r} is not a Gaussian mixture: no theory curves")
    M = grid_means(grid)
    K, n = grid.K, grid.n
    rank = int(np.linalg.matrix_rank(M)) if np.any(M) else 0
    gamma = float(mean_margin(M).min())
    delta = opts.delta
    d_grid = np.asarray(grid.d if d_values is None else d_values, int)
    sig_grid = np.asarray(grid.sigma, float)
    d_curve = np.arange(1, 2 * int(d_grid.max()) + 1)
    smax_curve = union_sigma_max(d_curve, n, K, rank, gamma, delta)
    smax_grid = union_sigma_max(d_grid, n, K, rank, gamma, delta)
    dG = gordon_d_min(n, K, rank, delta)
    dK = kinematic_d_min(n, K, rank, delta)
    lo = min(sig_grid.min(), 1e-3) / 3
    hi = max(sig_grid.max(), 10.0) * 3
    sig_curve = np.geomspace(lo, hi, opts.sigma_points)
    pred_curve = predicted_d_over_n(M, sig_curve, n, opts.prediction_starts)
    pred_grid = predicted_d_over_n(M, sig_grid, n, opts.prediction_starts)
    p_inf = kinematic_p_infeasible(n, K, d_grid - rank)
    union_cert = smax_grid[:, None] > sig_grid[None, :]
    gordon_cert = np.repeat((d_grid >= dG)[:, None], len(sig_grid), 1)
    kin_cert = np.repeat((d_grid >= dK)[:, None], len(sig_grid), 1)
    u = {"units": "1"}
    ds = xr.Dataset(
        {
            "union_sigma_max": (("d_curve",), smax_curve, {"units": "same as sigma",
                "description": "largest sigma certified by the union bound at d "
                               "(reports/theory.md eq. U4); 0: nothing certified"}),
            "union_certified": (("d", "sigma"), union_cert.astype(np.int8), {**u,
                "description": "1 if the union bound (eq. U4) certifies P(all class LPs "
                               "feasible) >= 1 - delta in this cell"}),
            "gordon_certified": (("d", "sigma"), gordon_cert.astype(np.int8), {**u,
                "description": "1 if the Gordon comparison (eq. G3) certifies the cell"}),
            "kinematic_certified": (("d", "sigma"), kin_cert.astype(np.int8), {**u,
                "description": "1 if the kinematic comparison (eq. K2) certifies the cell"}),
            "kinematic_p_all_lower": (("d",), np.clip(1 - K * p_inf, 0, 1), {**u,
                "description": "lower bound 1 - K P_inf(d - r) on P(all class LPs feasible) "
                               "(eq. K1-K2); exact per class for pure noise"}),
            "kinematic_p_class": (("d",), 1 - p_inf, {**u,
                "description": "P(one class LP feasible) of the noise-only LP in d - r "
                               "dimensions (eq. K1); exact for pure noise"}),
            "predicted_d_over_n_curve": (("sigma_curve",), pred_curve, {**u,
                "description": "predicted d/n where P(all feasible) = 1/2 (eq. P3)"}),
            "predicted_d_over_n": (("sigma",), pred_grid, {**u,
                "description": "predicted d/n where P(all feasible) = 1/2 at the grid sigma "
                               "(eq. P3)"}),
        },
        coords={
            "d": ("d", d_grid, {"description": "input dimension", "units": "1"}),
            "sigma": ("sigma", sig_grid, {"description": "noise standard deviation",
                                          "units": "same as x"}),
            "d_curve": ("d_curve", d_curve, {"description": "input dimension (fine)",
                                             "units": "1"}),
            "sigma_curve": ("sigma_curve", sig_curve, {"description": "noise sd (fine, log)",
                                                       "units": "same as x"}),
        },
    )
    ds = ds.assign_coords(d_over_n=("d", d_grid / n, {"description": "d / n", "units": "1"}),
                          d_curve_over_n=("d_curve", d_curve / n,
                                          {"description": "d / n (fine)", "units": "1"}))
    ds.attrs.update({
        "grid": grid.name, "kind": grid.kind, "geometry": grid.geometry, "K": K, "n": n,
        "N": K * n, "mean_norm": float(grid.mean_norm), "angle_deg": float(grid.angle_deg),
        "rank_M": rank, "gamma": gamma, "delta": delta,
        "gordon_d_min": dG, "gordon_d_over_n": dG / n,
        "kinematic_d_min": dK, "kinematic_d_over_n": dK / n,
        "stat_dim_cone": stat_dim_cone(n, K),
        "asymptotic_threshold_d_over_n": (K + 1) / 2,
        "union_d_min": int(d_curve[np.argmax(smax_curve > 0)]) if np.any(smax_curve > 0) else -1,
        "curve_version": CURVE_VERSION,
        **{f"assumptions_{k}": v for k, v in ASSUMPTIONS.items()},
    })
    return ds


# -------------------------------------------------------------------- comparison with data

def empirical_contour(p: np.ndarray, x: np.ndarray, level: float = 0.5) -> float:
    """First crossing of ``level`` by p(x) from below, linear interpolation; NaN if none."""
    p = np.asarray(p, float)
    x = np.asarray(x, float)
    ok = np.isfinite(p)
    p, x = p[ok], x[ok]
    if len(p) == 0:
        return float("nan")
    if p[0] >= level:
        return float("nan")  # already above at the smallest d: below the grid
    for i in range(1, len(p)):
        if p[i] >= level:
            return float(x[i - 1] + (level - p[i - 1]) / (p[i] - p[i - 1]) * (x[i] - x[i - 1]))
    return float("nan")


def binomial_floor(trials: int, delta: float, alpha: float) -> int:
    """Smallest feasible count consistent with p >= 1 - delta at one-sided level alpha."""
    return int(stats.binom.ppf(alpha, trials, 1 - delta))


def soundness(curves: xr.Dataset, feas: xr.Dataset, alpha: float = 1e-3) -> xr.Dataset:
    """Test every certified cell: feasible count >= the binomial floor of 1 - delta.

    The level alpha is Bonferroni-corrected over the certified cells of the grid. Undecided
    trials are dropped (counted in n_undecided) — never counted as feasible.
    """
    pr = status.probability(feas["nc_all_status"])
    pr = pr.sel(d=curves.d, sigma=curves.sigma)
    delta = float(curves.attrs["delta"])
    out = {}
    for name in ("union", "gordon", "kinematic"):
        cert = curves[f"{name}_certified"] == 1
        ncert = int(cert.sum())
        a = alpha / max(1, ncert)
        nf = (pr.p.fillna(0) * pr.n_decided).round()
        floor = xr.DataArray(stats.binom.ppf(a, pr.n_decided.values, 1 - delta),
                             dims=pr.n_decided.dims, coords=pr.n_decided.coords)
        ok = xr.where(cert, nf >= floor, True)
        out[f"{name}_sound"] = ok.astype(np.int8)
        out[f"{name}_sound"].attrs = {"units": "1", "description":
            f"1 unless the {name} bound certifies this cell and the verified feasible count is "
            f"below the one-sided binomial floor of 1 - delta (level {alpha} Bonferroni)"}
    out["p_all"] = pr.p
    out["p_all"].attrs = {"units": "1", "description": "empirical P(all class LPs feasible)"}
    out["n_decided"] = pr.n_decided
    out["n_decided"].attrs = {"units": "1", "description": "decided trials"}
    return xr.Dataset(out)


def summarize(curves: xr.Dataset, feas: xr.Dataset, level: float = 0.95) -> dict:
    """Capture share of the empirically feasible region and the boundary gap (report table)."""
    pr = status.probability(feas["nc_all_status"]).sel(d=curves.d, sigma=curves.sigma)
    p = pr.p.values
    feasible = p >= level
    red = curves.union_certified.values == 1
    blue = curves.gordon_certified.values == 1
    kin = curves.kinematic_certified.values == 1
    nfeas = int(feasible.sum())

    def share(mask):
        return float((mask & feasible).sum() / nfeas) if nfeas else float("nan")

    x = curves.d_over_n.values
    gaps = []
    emp = []
    for si in range(curves.sizes["sigma"]):
        e = empirical_contour(p[:, si], x)
        emp.append(e)
        gaps.append(abs(float(curves.predicted_d_over_n.values[si]) - e))
    gaps = np.array(gaps)
    fin = np.isfinite(gaps)
    return {
        "grid": curves.attrs["grid"], "K": int(curves.attrs["K"]), "n": int(curves.attrs["n"]),
        "geometry": curves.attrs["geometry"], "delta": float(curves.attrs["delta"]),
        "feasible_cells": nfeas,
        "capture_red": share(red), "capture_blue": share(blue),
        "capture_red_or_blue": share(red | blue),
        "capture_red_or_kinematic": share(red | kin),
        "max_gap_d_over_n": float(gaps[fin].max()) if fin.any() else float("nan"),
        "mean_gap_d_over_n": float(gaps[fin].mean()) if fin.any() else float("nan"),
        "sigmas_with_contour": int(fin.sum()), "sigmas": int(len(gaps)),
        "empirical_contour": [round(v, 4) if np.isfinite(v) else None for v in emp],
        "predicted": [round(float(v), 4) for v in curves.predicted_d_over_n.values],
        "gordon_d_over_n": float(curves.attrs["gordon_d_over_n"]),
        "kinematic_d_over_n": float(curves.attrs["kinematic_d_over_n"]),
    }
