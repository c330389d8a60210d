"""Figures of the certified verdicts (issue 12), read only from results/verdict/*.nc.

Verdict codes and names come from shallownc.verdict (VERDICT_NAMES); relative gaps are
gap / F*, the tolerance line is tol / F* (reports/training.md, Certified verdicts V§3).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr

from shallownc import verdict as V
from shallownc.figures import save, setup_style

_LP_LABEL = {1: "LP feasible (1)", 0: "LP infeasible (0)", -1: "LP undecided (-1)",
             -2: "LP inf. in radius (-2)"}
_MARK = {V.REACHED: "o", V.STALLED: "x", V.UNDECIDED: "v", V.NO_LP_PROOF: "s",
         V.DIVERGED: "*", V.UNRESOLVED: "D", V.NOT_APPLICABLE: "."}


def _table_ax(ax, ds: xr.Dataset, title: str):
    """Annotated heat map of ds['table'] (lp x verdict_name)."""
    t = ds["table"].values
    sns.heatmap(t, annot=True, fmt="d", cbar=False, cmap="Blues", ax=ax,
                xticklabels=list(ds["verdict_name"].values),
                yticklabels=[_LP_LABEL[int(s)] for s in ds["lp"].values])
    ax.set_title(f"{title}: {int(t.sum())} runs")
    ax.tick_params(axis="x", rotation=35)


def plot_table(study: xr.Dataset, path, theory: xr.Dataset | None = None):
    """LP status x verdict counts: the training stage's theory experiment and the study."""
    setup_style()
    parts = ([(theory, "training theory experiment")] if theory is not None else []) \
        + [(study, "verdict study grid")]
    fig, axes = plt.subplots(1, len(parts), figsize=(7.5 * len(parts), 3.8), squeeze=False)
    for ax, (ds, title) in zip(axes[0], parts):
        _table_ax(ax, ds, title)
    fig.tight_layout()
    return save(fig, path)


def _per_sigma(ax, ds, values, ylabel, colors, logy=False):
    for c, s in zip(colors, ds.sigma.values):
        ax.plot(ds.d_over_n.values, values.sel(sigma=s), "o-", color=c, label=f"σ={s:g}")
    ax.set_xlabel("d/n")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")


def plot_study(ds: xr.Dataset, path):
    """Share reached, time to reach, final relative gap, activation patterns (vs sigma, d/n)."""
    setup_style()
    colors = sns.color_palette("viridis", ds.sizes["sigma"])
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    reached = (ds["verdict"] == V.REACHED)
    _per_sigma(axes[0, 0], ds, reached.mean("trial"), "share of runs reached", colors)
    for c, s in zip(colors, ds.sigma.values):
        axes[0, 0].plot(ds.d_over_n.values, (ds["lp_status"] == 1).sel(sigma=s).mean("trial"),
                        ":", color=c, lw=1)
    axes[0, 0].set_title("reached (solid) and LP feasible (dotted)")
    axes[0, 0].set_ylim(-0.05, 1.05)
    axes[0, 0].legend(fontsize=8)
    _time_ax(axes[0, 1], ds, reached, colors)
    ax = axes[1, 0]
    rel = ds["rel_gap_final"]
    for i, (c, s) in enumerate(zip(colors, ds.sigma.values)):
        for code, m in _MARK.items():
            sel = rel.sel(sigma=s).where(ds["verdict"].sel(sigma=s) == code)
            x = np.broadcast_to(ds.d_over_n.values[:, None], sel.shape) * (1 + 0.01 * (i - 1.5))
            if np.isfinite(sel.values).any():
                ax.scatter(x.ravel(), sel.values.ravel(), marker=m, color=c, s=28)
    tol_rel = float((ds["tolerance"] / ds["F_star"]).max())
    ax.axhline(tol_rel, color="k", ls="--", lw=1, label=f"tol/F* = {tol_rel:.2g}")
    ax.set_yscale("log")
    ax.set_xlabel("d/n")
    ax.set_ylabel("final gap / F*")
    ax.legend(handles=[plt.Line2D([], [], marker=m, ls="", color="k",
                                  label=V.VERDICT_NAMES[code]) for code, m in _MARK.items()
                       if (ds["verdict"] == code).any()] + [ax.lines[0]], fontsize=8)
    ax.set_title("final relative gap (marker: verdict, colour: σ)")
    _patterns_ax(axes[1, 1], ds)
    fig.suptitle(_recipe(ds), y=1.0)
    fig.tight_layout()
    return save(fig, path)


def _time_ax(ax, ds, reached, colors, level=1e-3):
    """Median epoch of first gap <= tol (reached runs, solid) and of gap/F* <= level (LP
    feasible runs that got there, dashed); empty panel says so."""
    lev = ds["level_epoch"].sel(gap_level=level)
    hit_lev = (lev >= 0) & (ds["lp_status"] == 1)
    any_line = False
    for c, s in zip(colors, ds.sigma.values):
        for da, m, ls in ((ds["reach_epoch"].where(reached), reached, "-"),
                          (lev.where(hit_lev), hit_lev, "--")):
            y = da.sel(sigma=s).median("trial")
            if np.isfinite(y.values).any():
                ax.plot(ds.d_over_n.values, y, "o" + ls, color=c, lw=1.2)
                any_line = True
    if any_line:
        ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "no run reached the tolerance\nnor gap/F* <= %g" % level,
                ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("d/n")
    ax.set_ylabel("epoch (median over trials)")
    ax.set_title(f"first gap <= tol (solid), gap/F* <= {level:g} (dashed; LP feasible)")


def _patterns_ax(ax, ds):
    """Mean neuron counts per activation kind, reached vs not reached runs, per sigma."""
    kinds = list(ds["kind"].values)
    rows, labels = [], []
    for s in ds.sigma.values:
        sub = ds.sel(sigma=s)
        for name, m in (("reached", sub["verdict"] == V.REACHED),
                        ("not reached", sub["verdict"] != V.REACHED)):
            if int(m.sum()) == 0:
                continue
            pc = sub["pattern_count"].where(m).mean(("d_over_n", "trial"))
            cp = float(sub["collapsed_pattern"].where(m).mean())
            rows.append(pc.values)
            labels.append(f"σ={s:g} {name}\n({int(m.sum())} runs, excl. {cp:.0%})")
    rows = np.asarray(rows)
    left = np.zeros(len(rows))
    pal = sns.color_palette("Set2", len(kinds))
    for j, k in enumerate(kinds):
        ax.barh(np.arange(len(rows)), rows[:, j], left=left, color=pal[j], label=k)
        left += rows[:, j]
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=7)
    ax.set_xlabel("neurons (mean over runs)")
    ax.set_title("activation patterns; excl.: share with an exclusive neuron per class")
    ax.legend(fontsize=7, loc="lower right")


def _recipe(ds):
    a = ds.attrs
    return (f"{a.get('loss')}/{a.get('reg')}, λ_W={a.get('lambda_W'):g}, λ_H={a.get('lambda_H'):g},"
            f" width {a.get('width')}, lr {a.get('lr'):g} ({a.get('lr_schedule')}), batch "
            f"{'full' if int(a.get('batch_size', -1)) < 0 else a.get('batch_size')}, "
            f"{a.get('epochs')} epochs, {a.get('dtype')}")


def plot_gaps(ds: xr.Dataset, path):
    """gap / F* vs epoch, one panel per sigma, colour = d/n, every trial; tolerance dashed."""
    setup_style()
    ds = ds.sel(epoch=ds.epoch[ds.epoch >= 1])
    ns = ds.sizes["sigma"]
    fig, axes = plt.subplots(1, ns, figsize=(3.8 * ns, 3.4), sharey=True, squeeze=False)
    colors = sns.color_palette("rocket", ds.sizes["d_over_n"])
    rel = ds["gap"] / ds["F_star"]
    tol_rel = float((ds["tolerance"] / ds["F_star"]).max())
    for ax, s in zip(axes[0], ds.sigma.values):
        for c, r in zip(colors, ds.d_over_n.values):
            for t in ds.trial.values:
                y = rel.sel(sigma=s, d_over_n=r, trial=t)
                ax.plot(ds.epoch.values, y.where(y > 0), color=c, lw=1,
                        label=f"d/n={r:g}" if t == ds.trial.values[0] else None)
        ax.axhline(tol_rel, color="k", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"σ={s:g}")
        ax.set_xlabel("epoch")
    axes[0, 0].set_ylabel("(F_net − F*) / F*")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return save(fig, path)


def plot_variants(ds: xr.Dataset, path):
    """Per variant: verdict counts, final relative gap, final NC1, objective growth."""
    setup_style()
    names = list(ds.variant.values)
    x = np.arange(len(names))
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    ax = axes[0, 0]
    bottom = np.zeros(len(names))
    pal = sns.color_palette("tab10", len(V.VERDICT_NAMES))
    for code, name in V.VERDICT_NAMES.items():
        cnt = np.array([int((ds["verdict"].sel(variant=v) == code).sum()) for v in names])
        if cnt.any():
            ax.bar(x, cnt, bottom=bottom, color=pal[code], label=name)
            bottom += cnt
    ax.set_ylabel("runs")
    ax.legend(fontsize=7)
    ax.set_title("verdicts per variant")
    for ax, var, lab in ((axes[0, 1], "rel_gap_final", "final gap / F*"),
                         (axes[1, 0], "final_nc1", "final NC1"),
                         (axes[1, 1], "weight_norm", "final ||(W1, W2)||")):
        for i, v in enumerate(names):
            sub = ds.sel(variant=v)
            vals = sub[var]
            for j, s in enumerate(sub.sigma.values):
                y = vals.sel(sigma=s).values.ravel()
                ax.scatter(np.full(y.size, i + 0.1 * (j - 0.5)), y, s=18,
                           color=sns.color_palette("viridis", sub.sizes["sigma"])[j],
                           label=f"σ={s:g}" if i == 0 else None)
        ax.set_yscale("log")
        ax.set_ylabel(lab)
    axes[0, 1].legend(fontsize=7)
    for ax in axes[1]:
        ax.set_xticks(x, names, rotation=40, ha="right")
    fig.tight_layout()
    return save(fig, path)
