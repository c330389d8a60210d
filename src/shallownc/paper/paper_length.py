"""The paper's Figure 3 cells at the paper's length (issue 26): committed runs beside the paper.

Inputs, both committed under ``reports/runs/fig3_paper_length/`` (its README.md says how they
were made):

* ``cells/*.nc`` -- Figure 3 runs at 10^5 epochs, one file per (recipe, d), written by
  :func:`shallownc.paper.training.run_fig3_job` (before the per-cell jobs of issue 26:
  ``run_fig3_d``, the same layout: dims d, sigma, trial, epoch) with the recipe
  name, the machine and the provenance (config, package versions, git commit) in its attributes;
* ``paper_figures.csv`` -- the curves of the paper's Figures 3-5 extracted from the vector
  graphics of its PDF (``scripts/extract_paper_figures.py``).

The comparison variable is the summed step size T = sum_t eta_t of a run (reports/paper.md
F3L§2): for K = 2 under activation regularization w_1 + w_2 shrinks by exactly (1 - eta_t
lambda_W) per SGD step, so NC2_W (3.3) falls like exp(-lambda_W T); by the linear scaling rule
(eta/B fixed, Goyal et al. 2017; Jastrzebski et al. 2017) a batch of B at step eta follows the
same gradient-flow time and SGD noise scale as a batch of cB at step c eta.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

#: final-value variables kept per cell, and their column names
FINAL_VARS = {"final_nc1": "nc1", "final_nc1_trace": "trace_ratio",
              "final_nc2_h_paper": "nc2_h", "final_nc2_w_paper": "nc2_w",
              "final_nc3_paper": "nc3"}


def summed_step(lr: float, epochs: int, steps_per_epoch: int, milestones=(), gamma=0.1,
                schedule: str = "step") -> float:
    """T = sum over SGD steps of the step size eta_t (reports/paper.md F3L§2): every epoch runs
    ``steps_per_epoch`` steps at lr x the trainer's own schedule factor
    (shallownc.training.spec.lr_factor; the paper's step schedule divides by 1/gamma at each
    milestone fraction of the epochs). Constant: T = lr E s."""
    from ..training.spec import lr_factor

    f = sum(lr_factor(schedule, e, int(epochs), tuple(milestones), gamma)
            for e in range(int(epochs)))
    return float(lr) * int(steps_per_epoch) * float(f)


def _train_cfg(ds: xr.Dataset) -> dict:
    cfg = json.loads(ds.attrs.get("config_json", "{}"))
    return cfg.get("paper", {}).get("train", {})


def cell_rows(ds: xr.Dataset, source: str = "") -> list[dict]:
    """One row per (sigma, trial) of a committed run file (module docstring)."""
    tr = _train_cfg(ds)
    a = ds.attrs
    milestones = json.loads(a["lr_milestones"]) if "lr_milestones" in a else []
    T = summed_step(a["lr"], a["epochs"], a["steps_per_epoch"], milestones,
                    float(a.get("lr_gamma", 0.1)), tr.get("lr_schedule", "step"))
    F = float(np.asarray(ds["upfm_value"]).ravel()[0])
    rows = []
    d = int(ds.d.values[0])
    for s in ds.sigma.values:
        for t in ds.trial.values:
            x = ds.sel(sigma=s, trial=t).isel(d=0)
            row = {"recipe": a.get("recipe_name", "?"), "d": d,
                   "d_over_n": float(ds.d_over_n.values[0]), "sigma": float(s), "trial": int(t),
                   "epochs": int(a["epochs"]), "width": int(a["width"]),
                   "batch_size": int(a["batch_size"]), "lr": float(a["lr"]),
                   "lambda_W": float(a["lambda_W"]), "lambda_H": float(a["lambda_H"]),
                   "init_scale": float(tr.get("init_scale", np.nan)),
                   "summed_step": T, "gap_rel": float(x["upfm_gap"]) / F,
                   "lp_status": int(x["nc_all_status"]), "diverged": int(x["diverged"]),
                   "wall_s": float(a.get("job_wall_s", a.get("wall_s", np.nan))),
                   "machine": a.get("machine", ""), "git_commit": a.get("git_commit", ""),
                   "file": source}
            row.update({col: float(x[v]) for v, col in FINAL_VARS.items()})
            rows.append(row)
    return rows


def read_cells(paths) -> pd.DataFrame:
    """All committed runs as one table (:func:`cell_rows`), sorted by recipe, sigma, d."""
    rows = []
    for p in sorted(map(str, paths)):
        with xr.open_dataset(p) as ds:
            rows += cell_rows(ds.load(), Path(p).name)
    if not rows:
        raise ValueError("no paper-length runs given")
    return pd.DataFrame(rows).sort_values(["recipe", "sigma", "d", "trial"], ignore_index=True)


def read_paper(path) -> pd.DataFrame:
    """The paper's extracted curves (scripts/extract_paper_figures.py): columns figure, metric,
    sigma, d, d_over_n, epoch (empty for Figure 3), value."""
    t = pd.read_csv(path)
    need = {"figure", "metric", "sigma", "d", "d_over_n", "epoch", "value"}
    if not need <= set(t.columns):
        raise ValueError(f"{path}: columns {sorted(need - set(t.columns))} missing")
    return t


def paper_final(paper: pd.DataFrame) -> pd.DataFrame:
    """The paper's final NC1 per (sigma, d): Figure 3's point and the last point of Figure 4
    (sigma 0.18) or 5 (sigma 1.42), columns sigma, d, paper_fig3_nc1, paper_fig45_nc1."""
    f3 = paper[(paper.figure.astype(str) == "3") & (paper.metric == "nc1")]
    f3 = f3[["sigma", "d", "value"]].rename(columns={"value": "paper_fig3_nc1"})
    f45 = paper[(paper.figure.astype(str) != "3") & (paper.metric == "nc1")].copy()
    f45["epoch"] = f45.epoch.astype(float)
    f45 = f45.sort_values("epoch").groupby(["sigma", "d"], as_index=False).tail(1)
    f45 = f45[["sigma", "d", "value"]].rename(columns={"value": "paper_fig45_nc1"})
    return f3.merge(f45, on=["sigma", "d"], how="outer")


def comparison(cells: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per (recipe, sigma, d): median over trials of our final metrics next to the paper's
    final NC1 (:func:`paper_final`)."""
    keys = ["recipe", "sigma", "d", "d_over_n", "epochs", "width", "batch_size", "lr",
            "lambda_W", "lambda_H", "init_scale", "summed_step"]
    cols = ["nc1", "trace_ratio", "nc2_h", "nc2_w", "nc3", "gap_rel", "wall_s"]
    med = cells.groupby(keys, as_index=False)[cols].median()
    lp = cells.groupby(keys, as_index=False)["lp_status"].min()
    out = med.merge(lp, on=keys)
    pf = paper_final(paper)
    out = out.merge(pf, on=["sigma", "d"], how="left")
    return out.sort_values(["sigma", "d", "summed_step", "recipe"], ignore_index=True)


def _paper_curve(paper: pd.DataFrame, metric: str, sigma: float, d: int):
    c = paper[(paper.figure.astype(str) != "3") & (paper.metric == metric)
              & np.isclose(paper.sigma, sigma) & (paper.d == d)].copy()
    c["epoch"] = c.epoch.astype(float)
    return c.sort_values("epoch")


def _recipe_styles(recipes):
    import matplotlib.pyplot as plt

    cols = plt.cm.tab10(np.arange(len(recipes)) % 10)
    return {r: c for r, c in zip(recipes, cols)}


def _final_panel(ax, table, paper, sigma, styles):
    pf = paper_final(paper)
    pf = pf[np.isclose(pf.sigma, sigma)].sort_values("d")
    ax.plot(pf.d / 300, pf.paper_fig3_nc1, "k:", marker="s", label="paper Fig. 3 (its caption: 10^6 epochs)")
    ax.plot(pf.d / 300, pf.paper_fig45_nc1, "--", color="0.5", marker="D", ms=4,
            label=f"paper Fig. {4 if sigma < 1 else 5}, last point (10^5 epochs)")
    for r, g in table[np.isclose(table.sigma, sigma)].groupby("recipe"):
        g = g.sort_values("d")
        ax.plot(g.d_over_n, g.nc1, "-o", color=styles[r], label=r)
    ax.set_yscale("log")
    ax.set_xlabel("d / n")
    ax.set_ylabel("final NC1 (3.2)")
    ax.set_title(f"σ = {sigma:g}: final NC1 after 10^5 epochs", fontsize=9)


def _trajectory_panel(ax, runs, paper, metric, sigma, d, styles):
    c = _paper_curve(paper, metric, sigma, d)
    if len(c):
        c = c[c.value > 0]                      # zeros (float32) cannot be drawn on a log axis
        ax.plot(c.epoch, c.value, "o", color="0.35", ms=3,
                label=f"paper Fig. {4 if sigma < 1 else 5}, d = {d} (sampled every 1,000 epochs)")
    for r, ds in runs.items():
        if d not in ds.d.values or not np.isclose(ds.sigma.values, sigma).any():
            continue
        x = ds.sel(d=d).sel(sigma=sigma, method="nearest").median("trial")
        ax.plot(ds.epoch.values, np.maximum(x[metric].values, 1e-12), color=styles[r], label=r)
    ax.set_yscale("log")
    ax.set_xscale("log")          # the paper's NC2_W is at its float32 floor by epoch 1000
    ax.set_xlim(1, 1.5e5)
    ax.set_xlabel("epoch (log axis; the paper's figures use a linear one)")
    name = {"nc1": "NC1 (3.2)", "nc2_w_paper": "NC2_W (3.3)", "nc2_h_paper": "NC2_H̄ (3.3)",
            "nc3_paper": "NC3 (3.3)"}[metric]
    ax.set_ylabel(name)
    ax.set_title(f"{name} along epochs, σ = {sigma:g}, d = {d}", fontsize=9)


def plot(paths, paper_csv, path_png: str, d_traj: int = 600):
    """Our paper-length cells beside the paper's Figures 3-5 (module docstring): final NC1 vs
    d/n per recipe for sigma 0.18 and 1.42 with the paper's points, then NC1 and NC2_W along
    epochs at d = ``d_traj`` with the paper's curves."""
    import matplotlib.pyplot as plt

    from ..figures import legend_below, save, setup_style

    cells = read_cells(paths)
    paper = read_paper(paper_csv)
    table = comparison(cells, paper)
    runs = {}
    for p in sorted(map(str, paths)):
        with xr.open_dataset(p) as ds:
            ds = ds.load()
        r = ds.attrs.get("recipe_name", "?")
        runs[r] = ds if r not in runs else xr.concat([runs[r], ds], dim="d",
                                                      data_vars="minimal", coords="minimal",
                                                      compat="override", join="outer")
    recipes = sorted(runs, key=lambda r: table[table.recipe == r].summed_step.min())
    styles = _recipe_styles(recipes)
    setup_style()
    fig, axes = plt.subplots(3, 2, figsize=(10.4, 12.5), layout="constrained")
    for j, s in enumerate((0.18, 1.42)):
        _final_panel(axes[0, j], table, paper, s, styles)
        _trajectory_panel(axes[1, j], runs, paper, "nc1", s, d_traj, styles)
        _trajectory_panel(axes[2, j], runs, paper, "nc2_w_paper", s, d_traj, styles)
    fig.suptitle("Paper Figures 3-5 cells at the paper's length (10^5 epochs), our recipes "
                 "beside the paper's curves (extracted from its PDF)", fontsize=10)
    legend_below(fig, axes.ravel(), ncol=2)
    save(fig, path_png)
    return table


def summed_step_curve(ds: xr.Dataset) -> np.ndarray:
    """T(e) = sum of the step sizes of the SGD steps before each evaluation epoch e of a run
    file (:func:`summed_step` over the first e epochs of its schedule)."""
    from ..training.spec import lr_factor

    a = ds.attrs
    E, s, lr = int(a["epochs"]), int(a["steps_per_epoch"]), float(a["lr"])
    ms = tuple(json.loads(a["lr_milestones"])) if "lr_milestones" in a else ()
    sched = _train_cfg(ds).get("lr_schedule", "step")
    f = np.cumsum([0.0] + [lr_factor(sched, e, E, ms, float(a.get("lr_gamma", 0.1)))
                           for e in range(E)])
    return lr * s * f[ds.epoch.values.astype(int)]


def implied_batch(T_ours, nc1_ours, paper_epochs, paper_nc1, lr: float, N: int, epochs: int,
                  milestones=(1 / 3, 2 / 3), gamma: float = 0.1) -> np.ndarray:
    """The batch size at which the paper's NC1 curve would follow ours in summed step
    (reports/paper.md F3L§4): for each paper point (e, v), T_v = the summed step at which our
    running-minimum NC1 first reaches v (log-linear interpolation; NaN if never), and
    B = lr N F(e) / T_v with F(e) = sum_{e' < e} lr_factor(e') -- i.e. the batch whose
    (N/B) steps per epoch at the paper's lr give T_v after e epochs (T = sum of step sizes,
    valid where our runs depend on T alone: F3L§3)."""
    from ..training.spec import lr_factor

    T = np.asarray(T_ours, float)
    v = np.minimum.accumulate(np.asarray(nc1_ours, float))
    F = np.cumsum([0.0] + [lr_factor("step", e, epochs, tuple(milestones), gamma)
                           for e in range(int(epochs))])
    out = []
    for e, target in zip(np.asarray(paper_epochs, int), np.asarray(paper_nc1, float)):
        hit = np.flatnonzero(v <= target)
        if not hit.size or hit[0] == 0 or e < 1:
            out.append(np.nan)
            continue
        i = hit[0]
        lt = np.interp(np.log(target), np.log([v[i], v[i - 1]]),
                       np.log([max(T[i], 1e-300), max(T[i - 1], 1e-300)]))
        out.append(lr * N * F[min(int(e), int(epochs))] / np.exp(lt))
    return np.asarray(out)
