"""Certified verdict: did training reach the collapsed global minimizer? (issue 12)

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

import json

import numpy as np
import xarray as xr

from . import bridge, upfm
from . import status as S
from .class_sizes import balanced_n, dimension
from .normalization import trainer_lambda_factor, trainer_lambdas
# Verdict codes, names and flag attributes live in the ground-floor module shallownc.status
# (readers such as figures import them from there); re-exported here under these names.
from .status import (DIVERGED, LP_PROOF, LP_STATUSES, NO_LP_PROOF,  # noqa: F401
                     NOT_APPLICABLE, REACHED, STALLED, UNRESOLVED, VERDICT_HELP, VERDICT_NAMES)
from .status import VERDICT_UNDECIDED as UNDECIDED
from .status import verdict_flag_attrs as flag_attrs  # noqa: F401

# Relative gap levels (gap / F*) whose first-reach epochs are recorded besides the tolerance:
# "how long" at run lengths too short to reach the tolerance itself.
GAP_LEVELS = (1e-2, 1e-3, 1e-4, 1e-5)


def optimum(loss: str, K: int, n: int, lambda_W: float, lambda_H: float,
            mse_scale: float) -> float:
    """F* = global minimum of the UPFM (paper Theorem 2; upfm.closed_form, model 'upfm')."""
    n = balanced_n(n, K, "verdict.optimum (F* of paper Theorem 2)")
    return upfm.closed_form(loss, "upfm", int(K), int(n), float(lambda_W), float(lambda_H),
                            float(mse_scale)).value


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
    bad = np.isfinite(g) & (g < -abs(floor))
    if bad.any():
        raise ValueError(f"F_net < F* by {-g[bad].min():.3e} (> rounding bound {floor:.1e}): "
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
             diverged: bool = False) -> int:
    """Verdict code of one run (V§2-V§4; codes VERDICT_NAMES).

    Order: diverged; no LP proof (-1, -2); gap <= tol (reached if LP feasible, else
    infeasible_below_tolerance: an LP-infeasible run is never reached); slope test.
    """
    lp_status = int(lp_status)
    if lp_status not in LP_STATUSES:
        raise ValueError(f"unknown LP status {lp_status}; allowed {LP_STATUSES}")
    if diverged or not np.isfinite(gap_final):
        return DIVERGED
    if lp_status not in LP_PROOF:
        return NO_LP_PROOF
    if gap_final <= tol:
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
           size: tuple[int, int, int]) -> dict:
    """Gap trajectory, final gap, tail slope, first reach epoch and verdict of R runs.

    epoch (E,), objective (R, E) = F_net at each evaluation (float64), lp_status, F_star,
    diverged, tol (R,); size = (d, p, N) for the rounding bound (V§3, :func:`eval_error`;
    the regularizers are <= F_net, so S <= 2 F_net).
    """
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
        out["reach_epoch"][r] = first_reach(epoch, g, tol[r]) if int(lp_status[r]) == 1 else -1
        out["verdict"][r] = classify(lp_status[r], gfin, s, tol[r], stall_slope,
                                     bool(diverged[r]))
        out["level_epoch"][r] = [first_reach(epoch, g, lev * F_star[r]) for lev in GAP_LEVELS]
    return out


VAR_ATTRS = {
    "gap": ("objective gap to the UPFM optimum", "F_net(epoch) - F*, float64 (V§1)", "1"),
    "gap_final": ("final objective gap", "gap at the last finite evaluation", "1"),
    "rel_gap_final": ("final relative gap", "gap_final / F*", "1"),
    "tail_slope": ("log-log slope of the gap over the last decade",
                   "least-squares slope of log10 gap vs log10 epoch on [E/10, E] (V§4)", "1"),
    "reach_epoch": ("epoch at which the gap first fell below the tolerance",
                    "first evaluation epoch with gap <= tol; -1: never (or LP not feasible)",
                    "epoch"),
    "F_star": ("UPFM optimum F*", "upfm.closed_form value (paper Theorem 2)", "1"),
    "tolerance": ("gap tolerance", "tol = factor eps(train dtype) F* (V§3)", "1"),
    "lp_status": ("class-LP status of the training data",
                  "feasibility codes: 1 feasible (verified), 0 infeasible (exact proof), "
                  "-1 undecided, -2 infeasible within a radius only", "1"),
}


def assessment_vars(dims: tuple, res: dict, F_star, tol, lp) -> dict:
    """NetCDF data variables (dims + ('epoch',) for the trajectory) of :func:`assess`."""
    def var(name, dd, val):
        ln, desc, units = VAR_ATTRS[name]
        return (dd, val, {"long_name": ln, "description": desc, "units": units})

    out = {k: var(k, dims, res[k]) for k in ("gap_final", "rel_gap_final", "tail_slope",
                                             "reach_epoch")}
    out["gap"] = var("gap", (*dims, "epoch"), res["gap"])
    out["level_epoch"] = ((*dims, "gap_level"), res["level_epoch"], {
        "long_name": "epoch at which gap / F* first fell below the level", "units": "epoch",
        "description": "first evaluation epoch with gap <= level F*; -1: never (any LP "
                       "status: for LP-infeasible runs a level is no verdict)"})
    out["F_star"] = var("F_star", dims, np.asarray(F_star, dtype=np.float64))
    out["tolerance"] = var("tolerance", dims, np.asarray(tol, dtype=np.float64))
    lp_attrs = VAR_ATTRS["lp_status"]
    out["lp_status"] = (dims, np.asarray(lp, dtype=np.int8),
                        {"long_name": lp_attrs[0], "description": lp_attrs[1], "units": "1",
                         "flag_values": np.asarray(LP_STATUSES, dtype=np.int8),
                         "flag_meanings": " ".join(S.STATUS_NAMES[c] for c in LP_STATUSES)})
    out["verdict"] = (dims, res["verdict"], flag_attrs("certified training verdict"))
    return out


def verdict_of_trajectories(ds: xr.Dataset, run_dims: tuple, mse_scale: float,
                            tol_factor: float, stall_slope: float) -> xr.Dataset:
    """Verdicts of a training result with dims (*run_dims, epoch) (e.g. training's theory).

    Needs ``objective``, ``diverged``, ``lp_status`` and per-run ``lambda_W``/``lambda_H``
    coordinates, attributes loss, reg, dtype, K, N, n, widths (shallownc.training output).
    """
    if ds.attrs.get("reg") != "feature":
        raise ValueError(f"the UPFM bound needs reg='feature', got {ds.attrs.get('reg')!r}")
    norm = str(ds.attrs.get("normalization", ""))
    if not norm.startswith("paper (2.1)"):
        raise ValueError("training result without the paper (2.1) normalization attribute "
                         f"(got {norm!r}): its objective cannot be compared with F*; re-run it")
    # no weights are stored here: the recorded objective is trusted as F_net (the study jobs,
    # which keep the weights, re-evaluate it: check_objective)
    st = ds.stack(run=list(run_dims))
    K, n = int(ds.attrs["K"]), int(ds.attrs["n"])
    # the trajectory's lambdas are the trainer's; F* takes paper (2.1) lambdas
    f = trainer_lambda_factor()
    lam_W = np.broadcast_to(st["lambda_W"].values, st.sizes["run"]).astype(float) / f
    lam_H = np.broadcast_to(st["lambda_H"].values, st.sizes["run"]).astype(float) / f
    Fs = np.array([optimum(ds.attrs["loss"], K, n, a, b, mse_scale)
                   for a, b in zip(lam_W, lam_H)])
    tol = np.array([tolerance(F, ds.attrs["dtype"], tol_factor) for F in Fs])
    p = int(max(json.loads(ds.attrs["widths"])))
    d = int(np.max(ds["d"].values)) if "d" in ds.coords else int(ds.attrs["d"])
    obj = st["objective"].transpose("run", "epoch").values
    lp = st["lp_status"].values
    res = assess(ds["epoch"].values, obj, lp, Fs, st["diverged"].values, tol, stall_slope,
                 (d, p, int(ds.attrs["N"])))
    out = xr.Dataset(assessment_vars(("run",), res, Fs, tol, lp),
                     coords={"run": st["run"], "epoch": ds["epoch"],
                             "gap_level": ("gap_level", list(GAP_LEVELS),
                                           {"long_name": "relative gap level", "units": "1",
                                            "description": "gap / F*"})})
    out["final_nc1"] = ("run", st["final_nc1"].values,
                        {"long_name": "final NC1", "description": "training final_nc1",
                         "units": "1"})
    out = out.unstack("run")
    out.attrs.update(tol_factor=float(tol_factor), stall_slope=float(stall_slope),
                     derivation="reports/training.md, Certified verdicts (V§1-V§5)",
                     objective_definition=ds.attrs.get("objective_definition", ""))
    return out


# ------------------------------------------------------------------------------- the study

TRAIN_KEYS = ("width", "loss", "reg", "lambda_W", "lambda_H", "lr", "epochs", "init_scale",
              "batch_size", "momentum", "lr_schedule", "lr_milestones", "lr_gamma", "n_eval")


def train_kwargs(train_cfg: dict) -> dict:
    """Keyword arguments of shallownc.training.train from a validated ``verdict`` train block
    (batch_size 0 = full batch)."""
    unknown = set(train_cfg) - set(TRAIN_KEYS)
    if unknown:
        raise ValueError(f"unknown train setting(s) {sorted(unknown)}; allowed {TRAIN_KEYS}")
    missing = {"width", "loss", "reg", "lambda_W", "lambda_H"} - set(train_cfg)
    if missing:
        raise ValueError(f"train block lacks {sorted(missing)} (the verdict schema fills them)")
    kw = {k: train_cfg[k] for k in TRAIN_KEYS if k in train_cfg}
    kw["widths"] = (int(kw.pop("width")),)
    bs = int(kw.pop("batch_size", 0))
    kw["batch_size"] = None if bs == 0 else bs
    if "lr_milestones" in kw:
        kw["lr_milestones"] = tuple(float(m) for m in kw["lr_milestones"])
    return kw


def _draw(data_cfg: dict, d: int, sigma: float, base_seed: int, trial: int):
    from . import training as T

    X, y, _, _, _ = T.draw_train_test({**data_cfg, "n_test": 1}, d, sigma, base_seed, trial)
    return X, y


def check_objective(W1, W2, X, y, lam_W, lam_H, loss, mse_scale, recorded) -> float:
    """F_net recomputed from the final weights (V§1) must equal the trainer's record.

    Both are float64 evaluations of the same weights; a relative difference above 1e-9 means
    the trainer and the UPFM code define different objectives, and raises.
    """
    F = network_objective(W1, W2, X, y, lam_W, lam_H, loss, mse_scale)
    if np.isfinite(recorded) and abs(F - recorded) > 1e-9 * max(1.0, abs(F)):
        raise ValueError(f"trainer objective {recorded!r} != UPFM-normalized F_net {F!r} "
                         "at the same weights: the two stages disagree on the objective")
    return F


def train_cells(cells, d: int, data_cfg: dict, train_cfg: dict, run_cfg: dict,
                base_seed: int, mse_scale: float, tol_factor: float, stall_slope: float,
                activity: float, solver_cfg: dict | None, name: str) -> xr.Dataset:
    """Train one run per (sigma, trial) cell at input dimension d; assess every run.

    Data: training.draw_cell (the study's data set of the cell); network seed: data.cell_seed
    of (base seed, 'verdict', d, sigma, trial), the same for every variant of a cell, so
    variants differ only in the setting they change. Returns dims (run, epoch), (run, kind),
    (run, class) with run coordinates sigma, trial.
    """
    from . import training as T
    from .data import cell_seed

    K = int(data_cfg["K"])
    Xs, ys, lps, seeds = [], [], [], []
    for s, t in cells:
        X, y = _draw(data_cfg, d, s, base_seed, t)
        Xs.append(X), ys.append(y), lps.append(T.lp_status(X, y, solver_cfg))
        seeds.append(cell_seed(base_seed, t, purpose="network", experiment="verdict", d=d,
                               sigma=float(s)) % (2 ** 63))
    kw = train_kwargs(train_cfg)
    lw0, lh0 = float(kw.pop("lambda_W")), float(kw.pop("lambda_H"))
    tw, th = trainer_lambdas(lw0, lh0)     # paper (2.1) lambdas in the trainer's convention
    res = T.train(np.stack(Xs), np.stack(ys), seeds=seeds, name=name, lambda_W=tw,
                  lambda_H=th, **kw, **run_cfg)
    tr = res.trajectory
    R, reg, loss = len(cells), kw["reg"], kw["loss"]
    n, N = int(data_cfg["n"]), K * int(data_cfg["n"])
    W1, W2 = res.weights[0], res.weights[-1]
    counts = np.zeros((R, K + 2), dtype=np.int64)
    excl = np.zeros((R, K), dtype=np.int8)
    for r in range(R):
        H = bridge.relu_features(W1[r], Xs[r])
        c, e, _ = activation_pattern(H, ys[r], K, activity)
        counts[r], excl[r] = c, e
    lw, lh = np.full(R, lw0), np.full(R, lh0)
    if reg == "feature":
        Fs = np.array([optimum(loss, K, n, lw[r], lh[r], mse_scale) for r in range(R)])
        for r in range(R):
            if not res.diverged[r]:
                check_objective(W1[r], W2[r], Xs[r], ys[r], lw[r], lh[r], loss, mse_scale,
                                float(tr["final_objective"].values[r]))
        tol = np.array([tolerance(F, run_cfg["dtype"], tol_factor) for F in Fs])
        a = assess(tr["epoch"].values, tr["objective"].values, lps, Fs, res.diverged, tol,
                   stall_slope, (d, kw["widths"][0], N))
    else:
        Fs = tol = np.full(R, np.nan)
        E = tr.sizes["epoch"]
        a = {"gap": np.full((R, E), np.nan), "verdict": np.where(
            res.diverged, DIVERGED, NOT_APPLICABLE).astype(np.int8),
            **{k: np.full(R, np.nan) for k in ("gap_final", "rel_gap_final", "tail_slope")},
            "reach_epoch": np.full(R, -1, dtype=np.int64),
            "level_epoch": np.full((R, len(GAP_LEVELS)), -1, dtype=np.int64)}
    ds = _cells_dataset(tr, res, a, Fs, tol, lps, counts, excl, cells, K, W1, W2)
    ds.attrs["lambda_W"], ds.attrs["lambda_H"] = lw0, lh0
    return ds


def _cells_dataset(tr, res, a, Fs, tol, lps, counts, excl, cells, K, W1, W2) -> xr.Dataset:
    """Per-run NetCDF variables of :func:`train_cells` (dims run, epoch, kind, class)."""
    ds = xr.Dataset(assessment_vars(("run",), a, Fs, tol, lps))
    obj = tr["objective"].values
    for k, ln in (("objective", "objective F_net"), ("loss", "data term"),
                  ("nc1", "NC1"), ("nc1_trace", "Tr(Sigma_W)/Tr(Sigma_B)"),
                  ("feature_norm", "feature RMS norm")):
        ds[k] = (("run", "epoch"), tr[k].values,
                 {"long_name": ln, "description": tr[k].attrs.get("description", ""),
                  "units": "1"})
    ds["final_nc1"] = (("run",), tr["final_nc1"].values, {
        "long_name": "final NC1", "units": "1",
        "description": "last finite NC1 (metrics.nc1; the state before divergence)"})
    ds["pattern_count"] = (("run", "kind"), counts, {
        "long_name": "neurons by activation pattern", "units": "1",
        "description": "final features: neurons active (h > activity_threshold max H) on "
                       "class k only, on several classes, on none (verdict.activation_pattern, "
                       "V§5)"})
    ds["exclusive_neuron"] = (("run", "class"), excl, {
        "long_name": "class has an exclusive neuron", "units": "1",
        "description": "1 if some neuron is active on every sample of the class and on no "
                       "other sample (the collapsed minimizer's pattern, V§5)"})
    ds["collapsed_pattern"] = (("run",), excl.all(axis=1).astype(np.int8), {
        "long_name": "every class has an exclusive neuron", "units": "1",
        "description": "1 if exclusive_neuron holds for every class"})
    ds["diverged"] = (("run",), res.diverged.astype(np.int8), {
        "long_name": "run diverged", "units": "1",
        "description": "objective NaN/inf or above the trainer's blow-up level"})
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.nanmax(obj, axis=1) / obj[:, 0]
    ds["objective_growth"] = (("run",), ratio, {
        "long_name": "max objective over its initial value", "units": "1",
        "description": "max_epoch F(epoch) / F(0): > 1 means the objective rose (explosion "
                       "test for reg = none)"})
    wn = np.sqrt((W1 ** 2).sum(axis=(1, 2)) + (W2 ** 2).sum(axis=(1, 2)))
    ds["weight_norm"] = (("run",), wn, {
        "long_name": "final weight norm", "units": "1",
        "description": "sqrt(||W1||_F^2 + ||W2||_F^2) of the final (last good) weights"})
    ds = ds.assign_coords(
        run=np.arange(len(cells)), epoch=("epoch", tr["epoch"].values, {
            "long_name": "epoch", "units": "epoch", "description": "passes over the data"}),
        gap_level=("gap_level", list(GAP_LEVELS), {"long_name": "relative gap level",
                                                   "units": "1", "description": "gap / F*"}),
        kind=("kind", pattern_names(K), {"long_name": "activation pattern kind",
                                         "units": "1", "description": "see pattern_count"}),
        **{"class": ("class", np.arange(1, K + 1), {"long_name": "class", "units": "1",
                                                     "description": "class index"})},
        sigma=("run", [float(s) for s, _ in cells], {
            "long_name": "noise level sigma", "units": "1", "description": "x = mu_k + sigma z"}),
        trial=("run", [int(t) for _, t in cells], {
            "long_name": "trial", "units": "1", "description": "data set / seed index"}))
    ds.attrs.update({k: tr.attrs[k] for k in ("loss", "reg", "epochs", "dtype", "batch_size",
                                              "momentum", "lr_schedule", "K", "N", "d")})
    ds.attrs["objective_definition"] = tr.attrs.get("objective_definition", "")
    ds.attrs["lr"], ds.attrs["init_scale"] = (float(tr["lr"].values[0]),
                                              float(tr["init_scale"].values[0]))
    ds.attrs["width"] = int(W1.shape[1])
    return ds


def unstack_cells(ds: xr.Dataset) -> xr.Dataset:
    """(run, ...) -> (sigma, trial, ...)."""
    return ds.set_index(run=["sigma", "trial"]).unstack("run")


def _settings(vcfg: dict) -> dict:
    return dict(mse_scale=float(vcfg["mse_scale"]), tol_factor=float(vcfg["tolerance_factor"]),
                stall_slope=float(vcfg["stall_slope"]),
                activity=float(vcfg["activity_threshold"]))


def run_config(vcfg: dict) -> dict:
    """Trainer settings (device, dtype, checkpoints, logging) of the ``verdict`` section."""
    return {k: vcfg[k] for k in ("device", "dtype", "checkpoint_dir", "checkpoint_every_s",
                                 "log_every_s")}


def grid_job(vcfg: dict, d_over_n: float, base_seed: int, solver_cfg=None) -> xr.Dataset:
    """The study's base recipe on every (sigma, trial) at one d/n: dims (d_over_n, sigma,
    trial, ...)."""
    st = vcfg["study"]
    data = st["data"]
    d = dimension(d_over_n, data["n"])
    if d < 1:
        raise ValueError(f"d_over_n = {d_over_n} gives d = {d} < 1 for n = {data['n']}")
    cells = [(float(s), t) for s in st["sigma"] for t in range(st["trials"])]
    ds = train_cells(cells, d, data, st["train"], run_config(vcfg), base_seed,
                     solver_cfg=solver_cfg, name=f"verdict_d{d}", **_settings(vcfg))
    return unstack_cells(ds).expand_dims(d_over_n=[float(d_over_n)]).assign_coords(
        d=("d_over_n", [d], {"long_name": "input dimension", "units": "1",
                             "description": "d = round(d_over_n n)"}))


def variant_job(vcfg: dict, variant: dict, base_seed: int, solver_cfg=None) -> xr.Dataset:
    """One variant (name + overrides of the base train block) on the variant cells:
    dims (variant, d_over_n, sigma, trial, ...)."""
    st = vcfg["study"]
    data, vc = st["data"], st["variants"]
    over = {k: v for k, v in variant.items() if k != "name"}
    tcfg = {**st["train"], **over}
    parts = []
    for r in vc["d_over_n"]:
        d = dimension(r, data["n"])
        cells = [(float(s), t) for s in vc["sigma"] for t in range(st["trials"])]
        ds = train_cells(cells, d, data, tcfg, run_config(vcfg), base_seed,
                         solver_cfg=solver_cfg, name=f"verdict_{variant['name']}_d{d}",
                         **_settings(vcfg))
        parts.append(unstack_cells(ds).expand_dims(d_over_n=[float(r)]))
    out = xr.concat(parts, dim="d_over_n", data_vars="all", coords="different",
                    compat="equals", join="outer", combine_attrs="drop_conflicts")
    out = out.expand_dims(variant=[variant["name"]])
    out.attrs["variant_settings"] = json.dumps(over, sort_keys=True)
    return out


def combine(parts: list, dim: str) -> xr.Dataset:
    """Concatenate job results along ``dim`` (epochs outer-joined: variants may differ).

    String labels of ``dim`` are cast to object first: NetCDF reads them as fixed-width
    strings, and concatenating would cut longer names to the first file's width.
    """
    parts = [p.assign_coords({dim: p[dim].values.astype(object)})
             if p[dim].dtype.kind in "US" else p for p in parts]
    return xr.concat(parts, dim=dim, data_vars="all", coords="different", compat="equals",
                     join="outer", combine_attrs="drop_conflicts")


def summary_table(ds: xr.Dataset) -> xr.Dataset:
    """Counts ``table`` (lp_status, verdict) of every run of ``ds`` (V§2)."""
    t = verdict_table(ds["lp_status"].values, ds["verdict"].values)
    codes = sorted(VERDICT_NAMES)
    return xr.Dataset(
        {"table": (("lp", "verdict_name"), t, {
            "long_name": "runs by LP status and verdict", "units": "1",
            "description": "number of runs; rows: LP status 1 feasible, 0 infeasible, "
                           "-1 undecided, -2 infeasible within radius"})},
        coords={"lp": ("lp", list(LP_STATUSES), {"long_name": "LP status", "units": "1",
                                                  "description": "feasibility codes"}),
                "verdict_name": ("verdict_name", [VERDICT_NAMES[c] for c in codes],
                                 {"long_name": "verdict", "units": "1",
                                  "description": "verdict.VERDICT_NAMES"})})


def table_frame(ds: xr.Dataset):
    """The LP status x verdict counts of ``ds['table']`` as a pandas DataFrame (CSV/report)."""
    import pandas as pd

    t = ds["table"]
    df = pd.DataFrame(t.values, columns=[str(v) for v in ds["verdict_name"].values])
    df.insert(0, "lp_status", [f"{int(s)} {S.STATUS_NAMES[int(s)]}" for s in ds["lp"].values])
    return df


def cell_frame(study: xr.Dataset):
    """Per (d/n, sigma) cell of the study: runs, LP feasible, reached / stalled / undecided /
    other counts, median final gap/F*, median tail slope, runs with the collapsed pattern."""
    import pandas as pd

    rows = []
    for r in study["d_over_n"].values:
        for s in study["sigma"].values:
            c = study.sel(d_over_n=r, sigma=s)
            v, lp = c["verdict"].values.ravel(), c["lp_status"].values.ravel()
            rows.append({"d_over_n": float(r), "sigma": float(s), "runs": v.size,
                         "lp_feasible": int((lp == 1).sum()),
                         "reached": int((v == REACHED).sum()),
                         "stalled": int((v == STALLED).sum()),
                         "undecided": int((v == UNDECIDED).sum()),
                         "other": int((~np.isin(v, (REACHED, STALLED, UNDECIDED))).sum()),
                         "median_rel_gap": float(np.nanmedian(c["rel_gap_final"].values))
                         if np.isfinite(c["rel_gap_final"].values).any() else np.nan,
                         "median_tail_slope": float(np.nanmedian(c["tail_slope"].values))
                         if np.isfinite(c["tail_slope"].values).any() else np.nan,
                         "collapsed_pattern": int(c["collapsed_pattern"].sum())})
    return pd.DataFrame(rows)
