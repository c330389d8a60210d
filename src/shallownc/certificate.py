"""The certificate of a training run: F*, the gap, its tolerance, the verdict (issue 12, 20).

Pure functions of numbers: no training, no NetCDF, no configuration. The stage driver
(:mod:`shallownc.verdict`) trains, assembles datasets and tables, and calls these.

Derivation labels "V§x" refer to reports/training.md, section "Certified verdicts".

V§1 (lower bound). For a two-layer net f(x) = W2 relu(W1 x) the features H = relu(W1 X) are
entrywise >= 0, so (W2, H) is a feasible point of the unconstrained positive feature model
(UPFM; paper Theorem 2, reports/upfm.md D§7), and

    F_net(W1, W2) = F_UPFM(W2, relu(W1 X)) >= F* = min_{W, H >= 0} F_UPFM(W, H)

for every network, every data set, both losses. F_net and F* are evaluated by the project's
single definitions (:func:`shallownc.bridge.network_objective`, :func:`shallownc.upfm.closed_form`),
so they share the normalization of the objective (paper (2.1)) whatever it is.

V§2 (what the gap certifies). The class LP (paper (2.12), Theorem 3) decides whether some
network attains F*: status 1 (verified solution) => the collapsed minimizer exists, F* is the
network's global minimum and gap = F_net - F* >= 0 is the exact distance of the run's objective
to it; status 0 (exact infeasibility proof) => no network attains F*, inf F_net > F* (strict),
so the gap of every run stays positive and a run can never be "reached"; statuses -1
(undecided) and -2 (infeasible within a radius only) prove nothing, and such runs get their
own label.

V§3 (tolerance). gap <= tol with tol = c_tol * eps(train dtype) * F*: below it the gap is at
the resolution of the objective the trainer itself computes (float32: eps = 1.19e-7, so
c_tol = 10 gives 1.19e-6 relative), while the float64 evaluation of the gap has a rounding
error of at most m * eps64 * S (m = d + p + N, the longest accumulation; S = F_net + the sum
of the regularizers, :func:`eval_error`), 1e-13 relative at our sizes, i.e. 10^7 times smaller
than tol: a gap below tol is resolved, never a rounding artefact.

V§4 (slope test). Over the last decade of evaluation epochs [E/10, E] fit
log10 gap = a + s log10 epoch by least squares. If the gap behaved as epoch^s, one more decade
of decrease would cost a factor 10^(1/|s|) in epochs; with |s| < s_stall (default 0.1) that is
> 10^10: the run is "stalled". s <= -s_stall: "undecided" (still decreasing).
"""

from __future__ import annotations

import numpy as np

from . import bridge, upfm
from .class_sizes import balanced_n

from .status import (DIVERGED, LP_PROOF, LP_STATUSES, NO_LP_PROOF,  # noqa: F401
                     NOT_APPLICABLE, REACHED, STALLED, UNRESOLVED, VERDICT_HELP, VERDICT_NAMES,
                     ZERO_SOLUTION)
from .status import VERDICT_UNDECIDED as UNDECIDED

# Verdict codes, names and flag attributes live in the ground-floor module shallownc.status;
# the certificate decides which code a run gets.
# Relative gap levels (gap / F*) whose first-reach epochs are recorded besides the tolerance:
# "how long" at run lengths too short to reach the tolerance itself.
GAP_LEVELS = (1e-2, 1e-3, 1e-4, 1e-5)


def optimum(loss: str, K: int, n: int, lambda_W: float, lambda_H: float,
            mse_scale: float) -> float:
    """F* = global minimum of the UPFM (paper Theorem 2; upfm.closed_form, model 'upfm')."""
    n = balanced_n(n, K, "verdict.optimum (F* of paper Theorem 2)")
    return upfm.closed_form(loss, "upfm", int(K), int(n), float(lambda_W), float(lambda_H),
                            float(mse_scale)).value


def zero_solution(loss: str, K: int, n: int, lambda_W: float, lambda_H: float,
                  mse_scale: float) -> bool:
    """True when lambda_W lambda_H >= the UPFM zero-solution threshold (reports/upfm.md
    D§2-D§3, paper Theorem 2): the optimum F* is then the value of the zero network (W = 0,
    H = 0), which every width attains on any data (W1 = 0), so F* is attained whatever the
    LP status and gap <= tol means "at the zero network", not "collapsed"."""
    n = balanced_n(n, K, "verdict.zero_solution (paper Theorem 2)")
    thr = upfm.threshold(loss, "upfm", int(K), int(n), float(mse_scale))
    return float(lambda_W) * float(lambda_H) >= thr


def network_objective(W1, W2, X, y, lambda_W: float, lambda_H: float, loss: str,
                      mse_scale: float) -> float:
    """F_net(W1, W2) = F_UPFM(W2, relu(W1 X)) in float64 (V§1; bridge.network_objective)."""
    return bridge.network_objective(W1, W2, X, y, lambda_W, lambda_H, loss, mse_scale)


def eval_error(F_net, reg_sum, d: int, p: int, N: int):
    """A-priori float64 rounding bound of a computed gap (V§3): (d + p + N) eps64 (F_net + reg).

    The longest accumulation has m = d + p + N terms (W1 x: d, W2 h: p, the mean over N);
    the standard bound gamma_m ~ m eps64 per accumulated magnitude (Higham, Thm 3.1).
    """
    return (d + p + N) * np.finfo(np.float64).eps * (np.abs(F_net) + np.abs(reg_sum))


def tolerance(F_star: float, dtype: str, factor: float) -> float:
    """tol = factor * eps(dtype) * F* (V§3)."""
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    if not (np.isfinite(F_star) and F_star > 0):
        raise ValueError(f"F* must be positive and finite, got {F_star!r}")
    if not factor > 0:
        raise ValueError(f"tolerance factor must be > 0, got {factor!r}")
    return float(factor * np.finfo(np.dtype(dtype)).eps * F_star)


def gap_trajectory(objective, F_star: float, floor: float = 0.0) -> np.ndarray:
    """gap(epoch) = F_net(epoch) - F* (V§1), with values >= -floor clipped at 0.

    A gap below -floor (the rounding bound) contradicts V§1: it means F_net and F* are not
    the same objective (e.g. two normalizations), and raises.
    """
    g = np.asarray(objective, dtype=np.float64) - float(F_star)
    floor = np.abs(np.asarray(floor, dtype=np.float64))      # a scalar or one per epoch
    bad = np.isfinite(g) & (g < -floor)
    if bad.any():
        bound = float(np.max(np.broadcast_to(floor, g.shape)[bad]))
        raise ValueError(f"F_net < F* by {-g[bad].min():.3e} (> rounding bound {bound:.1e}): "
                         "the network objective and the UPFM optimum use different "
                         "objectives (normalization?), V§1 violated")
    return np.where(np.isfinite(g), np.maximum(g, 0.0), np.nan)


def tail_slope(epoch, gap, floor: float, decade: float = 10.0) -> float:
    """Least-squares slope s of log10 max(gap, floor) vs log10 epoch on [E/decade, E] (V§4).

    E = the last epoch with a finite gap; NaN if fewer than 3 such epochs (no test possible).
    """
    e = np.asarray(epoch, dtype=np.float64)
    g = np.asarray(gap, dtype=np.float64)
    ok = np.isfinite(g) & (e > 0)
    if not ok.any():
        return float("nan")
    E = e[ok].max()
    sel = ok & (e >= E / decade)
    if sel.sum() < 3:
        return float("nan")
    lg = np.log10(np.maximum(g[sel], max(floor, np.finfo(np.float64).tiny)))
    return float(np.polyfit(np.log10(e[sel]), lg, 1)[0])


def first_reach(epoch, gap, tol: float) -> int:
    """First evaluation epoch with gap <= tol, -1 if none."""
    g = np.asarray(gap, dtype=np.float64)
    hit = np.flatnonzero(np.isfinite(g) & (g <= tol))
    return int(np.asarray(epoch)[hit[0]]) if hit.size else -1


def classify(lp_status: int, gap_final: float, slope: float, tol: float, stall_slope: float,
             diverged: bool = False, zero: bool = False) -> int:
    """Verdict code of one run (V§2-V§4; codes VERDICT_NAMES).

    Order: diverged; above the zero-solution threshold (``zero``, :func:`zero_solution`: F* is
    attained by the zero network whatever the LP status) gap <= tol is zero_solution, else
    the slope test; no LP proof (-1, -2); gap <= tol (reached if LP feasible, else
    infeasible_below_tolerance: an LP-infeasible run is never reached); slope test.
    """
    lp_status = int(lp_status)
    if lp_status not in LP_STATUSES:
        raise ValueError(f"unknown LP status {lp_status}; allowed {LP_STATUSES}")
    if diverged or not np.isfinite(gap_final):
        return DIVERGED
    if zero:
        if gap_final <= tol:
            return ZERO_SOLUTION
    elif lp_status not in LP_PROOF:
        return NO_LP_PROOF
    elif gap_final <= tol:
        return REACHED if lp_status == 1 else UNRESOLVED
    if np.isfinite(slope) and slope > -stall_slope:
        return STALLED
    return UNDECIDED


def verdict_table(lp_status, verdict) -> np.ndarray:
    """Counts (len(LP_STATUSES), len(VERDICT_NAMES)): rows LP status 1, 0, -1, -2."""
    lp = np.asarray(lp_status).ravel()
    v = np.asarray(verdict).ravel()
    return np.array([[int(((lp == s) & (v == c)).sum()) for c in sorted(VERDICT_NAMES)]
                     for s in LP_STATUSES], dtype=np.int64)


# --------------------------------------------------------------------- activation patterns

def pattern_names(K: int) -> list[str]:
    """Neuron kinds: active on class k only (k = 1..K), on several classes, on none."""
    return [f"class{k + 1}_only" for k in range(K)] + ["several", "none"]


def activation_pattern(H, y, K: int, rel: float):
    """(counts, exclusive, share) of a feature matrix H (p x N) >= 0 (V§5).

    Neuron j is active on sample i when h_ji > rel * max(H): an entry below it carries less
    than rel^2 of the largest entry's share of the regularizer (lambda_H/2)||H||^2 (rel = 1e-3:
    1e-6, the scale of the gap tolerance), so decaying remnants are not counted as active.
    share[j, k] = fraction of class-k samples on which neuron j is active. counts: number of
    neurons active on class k only (k = 1..K), on several classes, on none (dead).
    exclusive[k]: some neuron is active on every class-k sample and on no other sample — the
    activation pattern of the collapsed minimizer (a verified LP solution w_k, paper (2.12)).
    """
    H = np.asarray(H, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if H.ndim != 2 or H.shape[1] != y.size:
        raise ValueError(f"H must be p x N with N = {y.size} labels, got {H.shape}")
    if not 0 <= rel < 1:
        raise ValueError(f"relative activity threshold must be in [0, 1), got {rel!r}")
    act = H > rel * H.max() if H.size and H.max() > 0 else np.zeros(H.shape, dtype=bool)
    share = np.stack([act[:, y == k].mean(axis=1) for k in range(K)], axis=1)   # (p, K)
    on = share > 0
    n_on = on.sum(axis=1)
    counts = np.array([int(((n_on == 1) & on[:, k]).sum()) for k in range(K)]
                      + [int((n_on > 1).sum()), int((n_on == 0).sum())], dtype=np.int64)
    exclusive = np.array([bool(((share[:, k] == 1.0) & (n_on == 1)).any()) for k in range(K)])
    return counts, exclusive, share


# ----------------------------------------------------------------------- per-run assessment

def assess(epoch, objective, lp_status, F_star, diverged, tol, stall_slope: float,
           size: tuple[int, int, int], zero=None) -> dict:
    """Gap trajectory, final gap, tail slope, first reach epoch and verdict of R runs.

    epoch (E,), objective (R, E) = F_net at each evaluation (float64), lp_status, F_star,
    diverged, tol (R,); size = (d, p, N) for the rounding bound (V§3, :func:`eval_error`;
    the regularizers are <= F_net, so S <= 2 F_net); zero (R,) bool: lambdas at or above the
    zero-solution threshold (:func:`zero_solution`; None: none are). The reach epoch is
    recorded where F* is attained: LP feasible, or a zero solution.
    """
    zero = np.zeros(len(F_star), dtype=bool) if zero is None else np.asarray(zero, bool)
    obj = np.atleast_2d(np.asarray(objective, dtype=np.float64))
    R = obj.shape[0]
    out = {k: np.full(R, np.nan) for k in ("gap_final", "rel_gap_final", "tail_slope")}
    out["gap"] = np.full(obj.shape, np.nan)
    out["reach_epoch"] = np.full(R, -1, dtype=np.int64)
    out["verdict"] = np.zeros(R, dtype=np.int8)
    out["level_epoch"] = np.full((R, len(GAP_LEVELS)), -1, dtype=np.int64)
    d, p, N = size
    for r in range(R):
        floor = eval_error(obj[r], obj[r], d, p, N)
        g = gap_trajectory(obj[r], F_star[r], floor)
        fin = np.flatnonzero(np.isfinite(g))
        gfin = g[fin[-1]] if fin.size else np.nan
        fl = float(np.nanmax(floor)) if np.isfinite(floor).any() else 0.0
        s = tail_slope(epoch, g, fl)
        out["gap"][r] = g
        out["gap_final"][r], out["rel_gap_final"][r] = gfin, gfin / F_star[r]
        out["tail_slope"][r] = s
        attained = int(lp_status[r]) == 1 or zero[r]
        out["reach_epoch"][r] = first_reach(epoch, g, tol[r]) if attained else -1
        out["verdict"][r] = classify(lp_status[r], gfin, s, tol[r], stall_slope,
                                     bool(diverged[r]), bool(zero[r]))
        out["level_epoch"][r] = [first_reach(epoch, g, lev * F_star[r]) for lev in GAP_LEVELS]
    return out
