"""The verdict stage: train, certify, assemble NetCDF and report tables (issue 12, 20).

The certificate itself (F*, gap, tolerance, slope test, verdict codes, activation
patterns; derivations V§1-V§5 in reports/training.md, "Certified verdicts") lives in
:mod:`shallownc.certificate`, a pure module; its public names are re-exported here. This
module is the driver: the study's training sweep (:func:`train_cells`), the NetCDF
variables of an assessment, the verdicts of the training stage's theory trajectories
(:func:`verdict_of_trajectories`) and the LP status x verdict tables.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from . import bridge
from . import stability as SB
from . import status as S
from .certificate import (DIVERGED, GAP_LEVELS, LP_PROOF, LP_STATUSES,  # noqa: F401
                          NO_LP_PROOF, NOT_APPLICABLE, REACHED, STALLED, UNDECIDED,
                          UNRESOLVED, VERDICT_HELP, VERDICT_NAMES, activation_pattern, assess,
                          classify, eval_error, first_reach, gap_trajectory, network_objective,
                          optimum, pattern_names, tail_slope, tolerance, verdict_table,
                          zero_solution)
from .class_sizes import dimension
from .normalization import trainer_mse_scale
from .status import verdict_flag_attrs as flag_attrs  # noqa: F401
from .training.recipe import train_kwargs


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


def verdict_of_trajectories(ds: xr.Dataset, run_dims: tuple, tol_factor: float,
                            stall_slope: float) -> xr.Dataset:
    """Verdicts of a training result with dims (*run_dims, epoch) (e.g. training's theory).

    Needs ``objective``, ``diverged``, ``lp_status`` and per-run ``lambda_W``/``lambda_H``
    coordinates, attributes loss, reg, dtype, K, N, n, widths (shallownc.training output).
    The MSE scale of F* is the trainer's (normalization.trainer_mse_scale), not a setting.
    """
    if ds.attrs.get("reg") != "feature":
        raise ValueError(f"the UPFM bound needs reg='feature', got {ds.attrs.get('reg')!r}")
    norm = str(ds.attrs.get("normalization", ""))
    if not norm.startswith("paper (2.1)"):
        raise ValueError("training result without the paper (2.1) normalization attribute "
                         f"(got {norm!r}): its objective cannot be compared with F*; re-run it")
    _check_homogeneous_net(int(ds.attrs.get("bias", 0)),
                           int(max(json.loads(ds.attrs["widths"]))), int(ds.attrs["K"]))
    # no weights are stored here: the recorded objective is trusted as F_net (the study jobs,
    # which keep the weights, re-evaluate it: check_objective)
    st = ds.stack(run=list(run_dims))
    K, n = int(ds.attrs["K"]), int(ds.attrs["n"])
    # the trainer minimizes (2.1) itself (shallownc.objective): its lambdas are F*'s
    lam_W = np.broadcast_to(st["lambda_W"].values, st.sizes["run"]).astype(float)
    lam_H = np.broadcast_to(st["lambda_H"].values, st.sizes["run"]).astype(float)
    mse_scale = trainer_mse_scale()
    Fs = np.array([optimum(ds.attrs["loss"], K, n, a, b, mse_scale)
                   for a, b in zip(lam_W, lam_H)])
    zero = [zero_solution(ds.attrs["loss"], K, n, a, b, mse_scale)
            for a, b in zip(lam_W, lam_H)]
    tol = np.array([tolerance(F, ds.attrs["dtype"], tol_factor) for F in Fs])
    p = int(max(json.loads(ds.attrs["widths"])))
    d = int(np.max(ds["d"].values)) if "d" in ds.coords else int(ds.attrs["d"])
    obj = st["objective"].transpose("run", "epoch").values
    lp = st["lp_status"].values
    res = assess(ds["epoch"].values, obj, lp, Fs, st["diverged"].values, tol, stall_slope,
                 (d, p, int(ds.attrs["N"])), zero)
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


def _check_homogeneous_net(bias: int, width: int, K: int) -> None:
    """The certificate's bound F_net >= F* (V§1) is for the bias-free two-layer net
    W2 relu(W1 x) (a biased net is not a UPFM point and can go below F*), and F* is attained
    by some network only with width p >= K (one neuron per class; reports/upfm.md D§7)."""
    if bias:
        raise ValueError("a net with biases is not the homogeneous net W2 relu(W1 x) the UPFM "
                         "bound F_net >= F* holds for (V§1): no certified verdict; train with "
                         "bias: false")
    if width < K:
        raise ValueError(f"width p = {width} < K = {K}: no network of this width attains the "
                         "UPFM optimum F* (its minimizer has one neuron per class): a gap to "
                         "F* would certify nothing; use width >= K")


# ------------------------------------------------------------------------------- the study

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
                base_seed: int, tol_factor: float, stall_slope: float,
                activity: float, solver_cfg: dict | None, name: str,
                stability: dict | None = None, eta_fraction: float = 0.0) -> xr.Dataset:
    """Train one run per (sigma, trial) cell at input dimension d; assess every run.

    ``stability`` (the verdict.stability block; None: no stability diagnostics): with
    reg = feature, the sharpness of each LP-feasible data set's collapsed minimizer is
    computed first (:func:`stability_before`), the learning rates follow the S§3 rule with
    ``eta_fraction`` (stability.study_learning_rates), and after training every end point is
    diagnosed and 'stalled' / 'undecided' replaced by the labels of stability.unreached_label
    (:func:`stability_after`).

    ``train_cfg`` is a validated recipe ($defs/train_recipe) and ``run_cfg`` the verdict
    section (its $defs/train_runtime keys: device, dtype, checkpoints, logging).

    The sweep is training.cells (draw_cells, then train_drawn once the step size is known).
    Data: training.draw_train_test (the study's data set of the cell); network seed:
    training.cells.network_seed of (base seed, 'verdict', d, sigma, trial), the same for
    every variant of a cell, so variants differ only in the setting they change. Returns dims (run, epoch), (run, kind),
    (run, class) with run coordinates sigma, trial.
    """
    from .training.cells import draw_cells, train_drawn

    K = int(data_cfg["K"])
    data = draw_cells([{"d": d, "sigma": float(s), "trial": t} for s, t in cells],
                      lambda c: _draw(data_cfg, c["d"], c["sigma"], base_seed, c["trial"]),
                      base_seed=base_seed, experiment="verdict",
                      lp=lambda X, y, _c: _lp_solutions(X, y, solver_cfg))
    Xs, ys, lps, wss = data.X, data.y, list(data.lp_status), [v[1] for v in data.lp]
    kw = train_kwargs(train_cfg, run_cfg)
    mse_scale = trainer_mse_scale()        # F* of an MSE run: the trainer's own scale
    if kw["reg"] == "feature":
        _check_homogeneous_net(int(kw.get("bias", False)), int(kw["widths"][-1]), K)
    lw0, lh0 = float(kw["lambda_W"]), float(kw["lambda_H"])   # paper (2.1), as trained
    sb = None
    if stability is not None and kw["reg"] == "feature":
        sb = stability_before(Xs, ys, wss, lps, K, int(data_cfg["n"]), lw0, lh0, kw,
                              mse_scale, stability, eta_fraction, base_seed)
        kw["lr"] = sb["lr_used"]
    res = train_drawn(data, train_cfg, run_cfg, name=name, lr=kw["lr"]).result
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
        zero = [zero_solution(loss, K, n, lw[r], lh[r], mse_scale) for r in range(R)]
        a = assess(tr["epoch"].values, tr["objective"].values, lps, Fs, res.diverged, tol,
                   stall_slope, (d, kw["widths"][0], N), zero)
        if sb is not None:
            stability_after(sb, a, W1, W2, Xs, ys, lps, Fs, tol, lw0, lh0, kw, mse_scale,
                            stall_slope, stability, base_seed, res.diverged)
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
    if sb is not None:
        _stability_vars(ds, sb)
    return ds


def _cells_dataset(tr, res, a, Fs, tol, lps, counts, excl, cells, K, W1, W2) -> xr.Dataset:
    """Per-run NetCDF variables of :func:`train_cells` (dims run, epoch, kind, class)."""
    ds = xr.Dataset(assessment_vars(("run",), a, Fs, tol, lps))
    obj = tr["objective"].values
    for k, ln in (("objective", "objective F_net"), ("loss", "data term"),
                  ("nc1", "NC1"), ("nc1_trace", "Tr(Sigma_W)/Tr(Sigma_B)"),
                  ("feature_norm", "feature RMS norm"),
                  ("nc0", "NC0 ||sum_k w_k|| (Zhao et al. 2026)")):
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
                                              "momentum", "lr_schedule", "K", "N", "d",
                                              "optimizer", "adamw_decay")})
    ds.attrs["objective_definition"] = tr.attrs.get("objective_definition", "")
    ds.attrs["lr"], ds.attrs["init_scale"] = (float(tr["lr"].values[0]),
                                              float(tr["init_scale"].values[0]))
    ds.attrs["width"] = int(W1.shape[1])
    return ds


def unstack_cells(ds: xr.Dataset) -> xr.Dataset:
    """(run, ...) -> (sigma, trial, ...)."""
    return ds.set_index(run=["sigma", "trial"]).unstack("run")


def _settings(vcfg: dict) -> dict:
    return dict(tol_factor=float(vcfg["tolerance_factor"]),
                stall_slope=float(vcfg["stall_slope"]),
                activity=float(vcfg["activity_threshold"]), stability=vcfg.get("stability"))


def grid_job(vcfg: dict, d_over_n: float, base_seed: int, solver_cfg=None) -> xr.Dataset:
    """The study's base recipe on every (sigma, trial) at one d/n: dims (d_over_n, sigma,
    trial, ...)."""
    st = vcfg["study"]
    data = st["data"]
    d = dimension(d_over_n, data["n"])
    if d < 1:
        raise ValueError(f"d_over_n = {d_over_n} gives d = {d} < 1 for n = {data['n']}")
    cells = [(float(s), t) for s in st["sigma"] for t in range(st["trials"])]
    ds = train_cells(cells, d, data, st["train"], vcfg, base_seed,
                     solver_cfg=solver_cfg, name=f"verdict_d{d}",
                     eta_fraction=float(st.get("eta_fraction", 0.0)), **_settings(vcfg))
    return unstack_cells(ds).expand_dims(d_over_n=[float(d_over_n)]).assign_coords(
        d=("d_over_n", [d], {"long_name": "input dimension", "units": "1",
                             "description": "d = round(d_over_n n)"}))


def variant_job(vcfg: dict, variant: dict, base_seed: int, solver_cfg=None) -> xr.Dataset:
    """One variant (name + overrides of the base train block) on the variant cells:
    dims (variant, d_over_n, sigma, trial, ...)."""
    st = vcfg["study"]
    vc = st["variants"]
    over = {k: v for k, v in variant.items() if k not in ("name", *VARIANT_NOT_TRAIN)}
    data = {**st["data"], **{k: variant[k] for k in VARIANT_DATA if k in variant}}
    eta = float(variant.get("eta_fraction", st.get("eta_fraction", 0.0)))
    tcfg = {**st["train"], **over}
    parts = []
    for r in vc["d_over_n"]:
        d = dimension(r, data["n"])
        cells = [(float(s), t) for s in vc["sigma"] for t in range(st["trials"])]
        ds = train_cells(cells, d, data, tcfg, vcfg, base_seed,
                         solver_cfg=solver_cfg, name=f"verdict_{variant['name']}_d{d}",
                         eta_fraction=eta, **_settings(vcfg))
        parts.append(unstack_cells(ds).expand_dims(d_over_n=[float(r)]))
    out = xr.concat(parts, dim="d_over_n", data_vars="all", coords="different",
                    compat="equals", join="outer", combine_attrs="drop_conflicts")
    out = out.expand_dims(variant=[variant["name"]])
    out.attrs["variant_settings"] = json.dumps(
        {k: v for k, v in variant.items() if k != "name"}, sort_keys=True)
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


def _median(c, name):
    if name not in c:
        return np.nan
    v = c[name].values
    return float(np.nanmedian(v)) if np.isfinite(v).any() else np.nan


def cell_frame(study: xr.Dataset):
    """Per (d/n, sigma) cell of the study: runs, LP feasible, the count of every verdict that
    occurs, medians of the final gap/F*, tail slope, lambda_max, eta*, lr, relative gradient,
    blocked entries, and runs with the collapsed pattern."""
    import pandas as pd

    present = sorted(int(c) for c in np.unique(study["verdict"].values))
    rows = []
    for r in study["d_over_n"].values:
        for s in study["sigma"].values:
            c = study.sel(d_over_n=r, sigma=s)
            v, lp = c["verdict"].values.ravel(), c["lp_status"].values.ravel()
            row = {"d_over_n": float(r), "sigma": float(s), "runs": v.size,
                   "lp_feasible": int((lp == 1).sum())}
            row.update({VERDICT_NAMES[k]: int((v == k).sum()) for k in present})
            row.update({f"median_{k}": _median(c, k) for k in (
                "rel_gap_final", "tail_slope", "lambda_max", "eta_star", "lr_used",
                "rel_gradient", "blocked_entries")})
            row["collapsed_pattern"] = int(c["collapsed_pattern"].sum())
            rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------- stability of the study (issue 23)

VARIANT_DATA = ("K", "geometry")                   # variant keys that change the data
VARIANT_NOT_TRAIN = (*VARIANT_DATA, "eta_fraction")  # variant keys outside the train recipe


def _lp_solutions(X, y, solver_cfg):
    """(all-classes LP status, verified solutions w_k or None) of one data set (V§2)."""
    from . import feasibility as FZ

    nc, _ = FZ.solve_classes(X, y, FZ.SolverOptions.from_config(solver_cfg),
                             separability=False)
    st = FZ.all_classes_status([v.status for v in nc])
    return st, ([v.w for v in nc] if st == FZ.FEASIBLE else None)


def stability_before(Xs, ys, wss, lps, K: int, n: int, lam_W: float, lam_H: float, kw: dict,
                     mse_scale: float, stab_cfg: dict, eta_fraction: float,
                     seed: int) -> dict:
    """Per run: stability.DATA_SET_VARS of its data set (NaN where the LP is not feasible),
    the learning rate of the S§3 rule (``lr_used``, ``lr_rule``) and the run's step limit."""
    st = SB.Settings.from_config(stab_cfg)
    R = len(Xs)
    out = {k: np.full(R, np.nan) for k in SB.DATA_SET_VARS}
    for r in range(R):
        if lps[r] != S.FEASIBLE:
            continue
        v = SB.data_set_stability(Xs[r], ys[r], wss[r], K, n, lam_W, lam_H, kw["loss"],
                                  mse_scale, kw["widths"][0], st, seed,
                                  int(stab_cfg["alternatives"]),
                                  int(stab_cfg["split_copies"]))
        for k, x in v.items():
            out[k][r] = x
    out["lr_used"], out["lr_rule"] = SB.study_learning_rates(
        out["lambda_max"], eta_fraction, kw["optimizer"], kw["momentum"], kw["batch_size"],
        kw["lr"])
    out["step_limit"] = np.array([SB.step_limit(v, kw["optimizer"], kw["momentum"],
                                                kw["batch_size"]) for v in out["lambda_max"]])
    return out


def stability_after(sb: dict, a: dict, W1, W2, Xs, ys, lps, Fs, tol, lam_W: float,
                    lam_H: float, kw: dict, mse_scale: float, stall_slope: float,
                    stab_cfg: dict, seed: int, diverged) -> None:
    """End-point diagnostics (stability.END_POINT_VARS) into ``sb`` and the S§3/S§5 labels
    into a['verdict'] (stability.relabel), with the learning rate at the last epoch."""
    from .training.spec import lr_factor

    st = SB.Settings.from_config(stab_cfg)
    diag = SB.end_points(W1, W2, Xs, ys, lam_W, lam_H, kw["loss"], mse_scale, Fs, st, seed,
                         diverged)
    sb.update(diag)
    E = int(kw["epochs"])
    sb["lr_end"] = np.asarray(sb["lr_used"]) * lr_factor(
        kw["lr_schedule"], E - 1, E, kw["lr_milestones"], kw["lr_gamma"])
    a["verdict"] = SB.relabel(a["verdict"], lps, a["gap_final"], tol, a["tail_slope"],
                              stall_slope, sb["lr_end"], sb["step_limit"], diag,
                              st.stationary_gradient)


_STABILITY_ATTRS = {
    **SB.DATA_SET_VARS, **SB.END_POINT_VARS,
    "lr_used": ("learning rate of the run", "base lr (see attribute lr_rule)"),
    "lr_end": ("learning rate at the last epoch", "lr_used x the schedule factor"),
    "step_limit": ("step limit of the collapsed minimizer",
                   "2(1 + momentum)/lambda_max for sgd (S§3); NaN: Adam/AdamW or no "
                   "collapsed minimizer"),
}


def _stability_vars(ds: xr.Dataset, sb: dict) -> None:
    """Add the stability variables (dims run) and the lr rule to ``ds`` in place."""
    for k, (ln, desc) in _STABILITY_ATTRS.items():
        if k in sb:
            ds[k] = (("run",), np.asarray(sb[k], dtype=np.float64),
                     {"long_name": ln, "description": desc,
                      "units": "1" if k not in ("polish_iterations",) else "iterations"})
    ds.attrs["lr_rule"] = sb["lr_rule"]


def recipe_frame(recipes: dict):
    """Per recipe (name -> Dataset with verdict, lp_status): runs, LP-feasible and
    LP-infeasible runs, and the LP-feasible runs by outcome (stability.outcome_counts)."""
    import pandas as pd

    return pd.DataFrame([{"recipe": name, **SB.outcome_counts(ds)}
                         for name, ds in recipes.items()])
