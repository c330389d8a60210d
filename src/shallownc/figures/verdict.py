"""Figures of the certified verdicts (issue 12), read only from results/verdict/*.nc.

Verdict codes and names come from shallownc.verdict (VERDICT_NAMES); relative gaps are
gap / F*, the tolerance line is tol / F* (reports/training.md, Certified verdicts V§3).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr
from matplotlib.ticker import FuncFormatter

from shallownc import status as V
from shallownc.status import STATUS_NAMES
from shallownc.figures import LEGEND_FONT, save, setup_style

_LP_LABEL = {c: f"LP {n.replace('_', ' ')} ({c})" for c, n in STATUS_NAMES.items()}
_MARK = {V.REACHED: "o", V.STALLED: "x", V.VERDICT_UNDECIDED: "v", V.NO_LP_PROOF: "s",
         V.UNSTABLE_STEP: "^", V.OSCILLATING: "P", V.STATIONARY_NOT_GLOBAL: "X",
         V.STILL_MOVING: "<",
         V.DIVERGED: "*", V.UNRESOLVED: "D", V.NOT_APPLICABLE: ".", V.ZERO_SOLUTION: "8"}
WIDTH_IN = 8.0       # panel column width: <= hygiene.MAX_WIDTH_PX at figures.DPI with labels
LOG_PAD = 0.1        # decades of padding beyond the data on a log y axis, at least
LOG_PAD_SHARE = 0.06  # ... this share of the data's span in decades (markers stay whole)
TOL_REACH = 0.4      # decades: a tolerance line this close to the data widens the limits


def _log_limits(ax, values, ref: float | None = None, ref_label: str = "tol/F*"):
    """Set a log y axis to the positive finite ``values`` plus LOG_PAD decades (in log space).

    A reference level ``ref`` within TOL_REACH decades of the data widens the limits and is
    drawn dashed; one further away is not drawn. Returns the legend handle of the reference
    (the dashed line, or an empty entry naming the level and the side it lies on), else None.
    """
    v = np.asarray(values, float).ravel()
    v = np.log10(v[np.isfinite(v) & (v > 0)])
    ax.set_yscale("log")
    if not len(v):
        return None
    lo, hi = float(v.min()), float(v.max())
    handle = None
    if ref is not None and ref > 0:
        r = float(np.log10(ref))
        if lo - TOL_REACH <= r <= hi + TOL_REACH:
            lo, hi = min(lo, r), max(hi, r)
            handle = ax.axhline(ref, color="k", ls="--", lw=1, label=f"{ref_label} = {ref:.2g}")
        else:
            side = "below" if r < lo else "above"
            handle = plt.Line2D([], [], ls="", label=f"{ref_label} = {ref:.2g}\n({side} the "
                                "axis range)")
    pad = max(LOG_PAD, LOG_PAD_SHARE * (hi - lo))
    ax.set_ylim(10 ** (lo - pad), 10 ** (hi + pad))
    if hi - lo < 1:  # less than a decade: plain labels on the minor ticks too
        fmt = FuncFormatter(lambda t, _pos: f"{t:.3g}")
        ax.yaxis.set_major_formatter(fmt)
        ax.yaxis.set_minor_formatter(fmt)
    return handle


def _table_ax(ax, ds: xr.Dataset, title: str):
    """Annotated heat map of ds['table'] (lp x verdict_name)."""
    t = ds["table"].values
    sns.heatmap(t, annot=True, fmt="d", cbar=False, cmap="Blues", ax=ax,
                xticklabels=list(ds["verdict_name"].values),
                yticklabels=[_LP_LABEL[int(s)] for s in ds["lp"].values])
    ax.set_title(f"{title}: {int(t.sum())} runs")
    ax.set_xticklabels(ax.get_xticklabels(), rotation=40, ha="right")


def plot_table(study: xr.Dataset, path, theory: xr.Dataset | None = None):
    """LP status x verdict counts: the training stage's theory experiment and the study."""
    setup_style()
    parts = ([(theory, "training theory experiment")] if theory is not None else []) \
        + [(study, "verdict study grid")]
    fig, axes = plt.subplots(len(parts), 1, figsize=(WIDTH_IN, 2.4 * len(parts) + 1.6),
                             sharex=True, squeeze=False, layout="constrained")
    for ax, (ds, title) in zip(axes[:, 0], parts):
        _table_ax(ax, ds, title)
    for ax in axes[:-1, 0]:
        ax.tick_params(axis="x", labelbottom=False)
    return save(fig, path)


def _per_sigma(ax, ds, values, ylabel, colors, logy=False):
    for c, s in zip(colors, ds.sigma.values):
        ax.plot(ds.d_over_n.values, values.sel(sigma=s), "o-", color=c, label=f"σ={s:g}")
    ax.set_xlabel("d/n")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")


def plot_study(ds: xr.Dataset, path):
    """Share reached, time to reach, final relative gap, activation patterns (vs sigma, d/n),
    stacked in one column."""
    setup_style()
    colors = sns.color_palette("viridis", ds.sizes["sigma"])
    fig, axes = plt.subplots(4, 1, figsize=(WIDTH_IN, 17), layout="constrained",
                             gridspec_kw={"height_ratios": [1, 1, 1.1, 1]})
    reached = (ds["verdict"] == V.REACHED)
    _per_sigma(axes[0], ds, reached.mean("trial"), "share of runs reached", colors)
    for c, s in zip(colors, ds.sigma.values):
        axes[0].plot(ds.d_over_n.values, (ds["lp_status"] == 1).sel(sigma=s).mean("trial"),
                     ":", color=c, lw=1)
    axes[0].set_title("reached (solid) and LP feasible (dotted)")
    axes[0].set_ylim(-0.05, 1.05)
    axes[0].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    _time_ax(axes[1], ds, reached, colors)
    _final_gap_ax(axes[2], ds, colors)
    _patterns_ax(axes[3], ds)
    fig.suptitle(_recipe(ds))
    return save(fig, path)


def _final_gap_ax(ax, ds, colors):
    """Final gap / F* per run against d/n: marker = verdict, colour = sigma; tol/F* dashed."""
    rel = ds["rel_gap_final"]
    for i, (c, s) in enumerate(zip(colors, ds.sigma.values)):
        for code, m in _MARK.items():
            sel = rel.sel(sigma=s).where(ds["verdict"].sel(sigma=s) == code)
            x = np.broadcast_to(ds.d_over_n.values[:, None], sel.shape) * (1 + 0.01 * (i - 1.5))
            if np.isfinite(sel.values).any():
                ax.scatter(x.ravel(), sel.values.ravel(), marker=m, color=c, s=28)
    tol_rel = float((ds["tolerance"] / ds["F_star"]).max())
    handles = [plt.Line2D([], [], marker=m, ls="", color="k", label=V.VERDICT_NAMES[code])
               for code, m in _MARK.items() if (ds["verdict"] == code).any()]
    handles.append(_log_limits(ax, rel.values, tol_rel))
    ax.set_xlabel("d/n")
    ax.set_ylabel("final gap / F*")
    ax.legend(handles=[h for h in handles if h is not None], loc="center left",
              bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title("final relative gap (marker: verdict, colour: σ)")


def _time_ax(ax, ds, reached, colors, level=1e-3):
    """Median epoch of first gap <= tol (reached runs, solid) and of gap/F* <= level (LP
    feasible runs that got there, dashed); empty panel says so."""
    lev = ds["level_epoch"].sel(gap_level=level)
    hit_lev = (lev >= 0) & (ds["lp_status"] == 1)
    drawn = []
    for c, s in zip(colors, ds.sigma.values):
        for da, ls in ((ds["reach_epoch"].where(reached), "-"), (lev.where(hit_lev), "--")):
            y = da.sel(sigma=s).median("trial")
            if np.isfinite(y.values).any():
                ax.plot(ds.d_over_n.values, y, "o" + ls, color=c, lw=1.2)
                drawn.append(y.values)
    if drawn:
        _log_limits(ax, np.concatenate(drawn))
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
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=LEGEND_FONT)
    ax.set_xlabel("neurons (mean over runs)")
    ax.set_title("activation patterns\n(excl.: share of runs with an exclusive neuron per class)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)


def _setting(ds, key: str) -> str:
    """A training setting as text: the global attribute, else the range of the per-run
    coordinate (io.write_netcdf drops a global attribute that a coordinate contradicts)."""
    if key in ds.attrs:
        return f"{ds.attrs[key]:g}"
    if key in ds.coords:
        v = np.unique(np.asarray(ds[key].values, float))
        return f"{v[0]:g}" if v.size == 1 else f"{v.min():g}–{v.max():g}"
    return "?"


def _recipe(ds):
    a = ds.attrs
    lr = (f"lr {a['lr']:g}" if "lr" in a else
          "lr " + str(a.get("lr_rule", "per run")).split(";")[0].replace(" of each run's", ""))
    return (f"{a.get('loss')}/{a.get('reg')}, λ_W={_setting(ds, 'lambda_W')}, "
            f"λ_H={_setting(ds, 'lambda_H')},\nwidth {a.get('width')}, {lr} "
            f"({a.get('lr_schedule')}), batch "
            f"{'full' if int(a.get('batch_size', -1)) < 0 else a.get('batch_size')}, "
            f"{a.get('epochs')} epochs, {a.get('dtype')}")


def plot_gaps(ds: xr.Dataset, path):
    """gap / F* vs epoch, one panel per sigma (stacked, shared axes), colour = d/n, every
    trial; the tolerance tol/F* dashed where it lies near the data, else named in the legend."""
    setup_style()
    ds = ds.sel(epoch=ds.epoch[ds.epoch >= 1])
    ns = ds.sizes["sigma"]
    fig, axes = plt.subplots(ns, 1, figsize=(WIDTH_IN, 2.9 * ns + 0.9), sharex=True,
                             sharey=True, squeeze=False, layout="constrained")
    colors = sns.color_palette("rocket", ds.sizes["d_over_n"])
    rel = ds["gap"] / ds["F_star"]
    tol_rel = float((ds["tolerance"] / ds["F_star"]).max())
    for ax, s in zip(axes[:, 0], ds.sigma.values):
        for c, r in zip(colors, ds.d_over_n.values):
            for t in ds.trial.values:
                y = rel.sel(sigma=s, d_over_n=r, trial=t)
                ax.plot(ds.epoch.values, y.where(y > 0), color=c, lw=1,
                        label=f"d/n={r:g}" if t == ds.trial.values[0] else None)
        ref = _log_limits(ax, rel.values, tol_rel)
        ax.set_xscale("log")
        ax.set_title(f"σ={s:g}")
        ax.set_ylabel("(F_net − F*) / F*")
    axes[-1, 0].set_xlabel("epoch")
    handles = axes[0, 0].get_legend_handles_labels()[0]
    if ref is not None and ref.get_label() not in {h.get_label() for h in handles}:
        handles.append(ref)  # (one entry per label: every panel draws its own tol line)
    axes[0, 0].legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5),
                      frameon=False)
    return save(fig, path)


def plot_variants(ds: xr.Dataset, path):
    """Per variant: verdict counts, final relative gap, final NC1, weight norm (stacked)."""
    setup_style()
    names = list(ds.variant.values)
    x = np.arange(len(names))
    fig, axes = plt.subplots(4, 1, figsize=(WIDTH_IN, 13), sharex=True, layout="constrained")
    ax = axes[0]
    bottom = np.zeros(len(names))
    pal = sns.color_palette("tab10", len(V.VERDICT_NAMES))
    for code, name in V.VERDICT_NAMES.items():
        cnt = np.array([int((ds["verdict"].sel(variant=v) == code).sum()) for v in names])
        if cnt.any():
            ax.bar(x, cnt, bottom=bottom, color=pal[code], label=name)
            bottom += cnt
    ax.set_ylabel("runs")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title("verdicts per variant")
    sig_colors = sns.color_palette("viridis", ds.sizes["sigma"])
    for ax, var, lab in ((axes[1], "rel_gap_final", "final gap / F*"),
                         (axes[2], "final_nc1", "final NC1"),
                         (axes[3], "weight_norm", "final ||(W1, W2)||")):
        for i, v in enumerate(names):
            vals = ds[var].sel(variant=v)
            for j, s in enumerate(ds.sigma.values):
                y = vals.sel(sigma=s).values.ravel()
                ax.scatter(np.full(y.size, i + 0.1 * (j - 0.5)), y, s=18, color=sig_colors[j],
                           label=f"σ={s:g}" if i == 0 else None)
        _log_limits(ax, ds[var].values)
        ax.set_ylabel(lab)
    axes[-1].set_xlim(-0.6, len(names) - 0.4)  # the first and last variant's points whole
    axes[1].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    axes[-1].set_xticks(x, names, rotation=30, ha="right")
    return save(fig, path)
