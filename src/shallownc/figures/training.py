"""Training figures (issue 4), read only from the NetCDF files of the training stage.

Epoch 0 (initialization) cannot sit on a log axis: curves start at epoch 1. Lines are medians
over trials/seeds, bands the min-max range.
"""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr

from shallownc.figures import legend_below, save, setup_style

_METRICS = (("nc1", "NC1 (pinv)"), ("nc1_trace", r"Tr$\Sigma_W$/Tr$\Sigma_B$"),
            ("nc2_of", "NC2 orth. frame err."), ("nc3", "NC3"), ("objective", "objective"))


def _band(ax, epochs, da, dim, color, label):
    """Median line and min-max band of da (epoch, dim) over dim."""
    med, lo, hi = (da.median(dim), da.min(dim), da.max(dim))
    ax.plot(epochs, med, color=color, label=label, lw=1.6)
    ax.fill_between(epochs, lo, hi, color=color, alpha=0.2, lw=0)


def plot_dynamics(ds: xr.Dataset, path):
    """Rows: metrics; columns: d/n values; one colour per sigma (median over trials)."""
    setup_style()
    ds = ds.sel(epoch=ds.epoch[ds.epoch >= 1])
    dns = ds.d_over_n.values
    fig, axes = plt.subplots(len(_METRICS), len(dns), figsize=(4.4 * len(dns), 2.7 * len(_METRICS)),
                             sharex=True, sharey="row", squeeze=False, layout="constrained")
    colors = sns.color_palette("viridis", len(ds.sigma))
    for j, dn in enumerate(dns):
        sub = ds.sel(d_over_n=dn)
        p_feas = float((sub.lp_status == 1).mean())
        for i, (var, lab) in enumerate(_METRICS):
            ax = axes[i, j]
            for c, s in zip(colors, ds.sigma.values):
                da = sub[var].sel(sigma=s).transpose("epoch", "trial")
                _band(ax, ds.epoch.values, da.where(da > 0), "trial", c, f"σ={s:g}")
            ax.set_xscale("log")
            ax.set_yscale("log")
            if j == 0:
                ax.set_ylabel(lab)
            if i == 0:
                ax.set_title(f"d/n={dn:g} (d={int(sub.d)}), LP feasible in {p_feas:.0%}")
            if i == len(_METRICS) - 1:
                ax.set_xlabel("epoch")
    legend_below(fig, axes[0], ncol=min(len(ds.sigma), 4))
    fig.suptitle(f"Two-layer ReLU net, {ds.attrs.get('geometry')} K={ds.attrs.get('K')} "
                 f"n={ds.attrs.get('n')}, width {_widths(ds)}, "
                 f"{ds.attrs.get('loss')}/{ds.attrs.get('reg')};\nshared y axis per row "
                 "(feasible vs infeasible d)")
    return save(fig, path)


def _widths(ds) -> str:
    """Hidden widths as text: the attribute is a JSON list ("[64]" -> "64", "[64, 32]")."""
    w = ds.attrs.get("widths")
    try:
        w = json.loads(w) if isinstance(w, str) else w
    except ValueError:
        return str(w)
    w = np.atleast_1d(w).tolist()
    return " x ".join(str(int(v)) for v in w)


def _lambda_label(v: str) -> str:
    """Variant names of the training stage ("feature lW=0.01 lH=0.001", "weight_decay l=1e-3")
    written with lambda: "feature λ_W=0.01 λ_H=0.001", "weight decay λ=1e-3"."""
    v = re.sub(r"\bl([WH])=", r"λ_\1=", str(v))
    return re.sub(r"\bl=", "λ=", v).replace("weight_decay", "weight decay")


OVERLAP_RTOL = 0.05  # median curves closer than this (relative) are drawn on top of another


def _coinciding(ds, dim: str, variables, rtol: float = OVERLAP_RTOL,
                over: str = "seed_index") -> dict:
    """{label: earlier label it lies on top of} for entries of ``dim`` whose median curves
    (over ``over``) equal an earlier entry's within ``rtol`` (relative) in every variable."""
    out = {}
    vals = list(ds[dim].values)
    for j, b in enumerate(vals):
        for a in vals[:j]:
            same = True
            for var in variables:
                x = ds[var].sel({dim: a}).median(over).values
                y = ds[var].sel({dim: b}).median(over).values
                scale = np.nanmax(np.abs(x)) if np.isfinite(x).any() else 1.0
                if not np.allclose(x, y, rtol=rtol, atol=1e-3 * rtol * scale, equal_nan=True):
                    same = False
                    break
            if same:
                out[b] = a
                break
    return out


def plot_three_layer(ds: xr.Dataset, path):
    """NC1 and objective vs epoch, every seed (thin) and the median (thick) per first width."""
    setup_style()
    ds = ds.sel(epoch=ds.epoch[ds.epoch >= 1])
    fig, axes = plt.subplots(3, 1, figsize=(7.6, 10.5), sharex=True, layout="constrained")
    colors = sns.color_palette("deep", len(ds.first_width))
    for c, w in zip(colors, ds.first_width.values):
        sub = ds.sel(first_width=w)
        for ax, var in zip(axes, ("nc1", "objective", "test_error")):
            for s in sub.seed_index.values:
                ax.plot(ds.epoch, sub[var].sel(seed_index=s), color=c, lw=0.6, alpha=0.5)
            ax.plot(ds.epoch, sub[var].median("seed_index"), color=c, lw=2,
                    label=f"d1={w}" + (" (≥N)" if w >= ds.attrs["N"] else " (<N)"))
    for ax, lab in zip(axes, ("NC1 (pinv)", "objective (full batch)", "test error")):
        ax.set_xscale("log")
        if lab != "test error":
            ax.set_yscale("log")
        ax.set_ylabel(lab)
    axes[-1].set_xlabel("epoch")
    legend_below(fig, axes[:1], ncol=len(ds.first_width))
    fig.suptitle(f"Three-layer ReLU net, SGD (batch {ds.attrs.get('batch_size')}, momentum "
                 f"{ds.attrs.get('momentum')}),\nd={ds.attrs['d']}, N={ds.attrs['N']}, "
                 f"σ={ds.attrs['sigma']}, p={ds.attrs['width']}; thin: each seed, thick: median")
    return save(fig, path)


def plot_regularization(ds: xr.Dataset, path):
    """NC1, NC2 orthogonal-frame error, objective and test error vs epoch per regularizer
    (2 x 2 panels); variants whose curves coincide are named in the legend."""
    setup_style()
    ds = ds.sel(epoch=ds.epoch[ds.epoch >= 1])
    fig, axes = plt.subplots(2, 2, figsize=(8.2, 7.8), sharex=True, layout="constrained")
    axes = axes.ravel()
    colors = sns.color_palette("deep", len(ds.variant))
    plotted = ("nc1", "nc2_of", "loss", "test_error")
    on_top = _coinciding(ds, "variant", plotted)
    styles = ("-", "--", ":", "-.")
    for k, (c, v) in enumerate(zip(colors, ds.variant.values)):
        sub = ds.sel(variant=v)
        label = _lambda_label(v)
        if v in on_top:
            label += (f" (on top of {_lambda_label(on_top[v])}: within "
                      f"{OVERLAP_RTOL:.0%} at every epoch)")
        for ax, var in zip(axes, plotted):
            da = sub[var].transpose("epoch", "seed_index")
            _band(ax, ds.epoch.values, da, "seed_index", c, label)
            ax.lines[-1].set_linestyle(styles[k % len(styles)])
    for ax, lab in zip(axes, ("NC1 (pinv)", "NC2 orth. frame err.", "data loss",
                              "test error")):
        ax.set_xscale("log")
        if lab != "test error":
            ax.set_yscale("log")
        ax.set_ylabel(lab)
    for ax in axes[2:]:
        ax.set_xlabel("epoch")
    legend_below(fig, axes[:1], ncol=1)
    lp = {1: "feasible", 0: "infeasible", -1: "undecided"}.get(int(ds.lp_status), "undecided")
    fig.suptitle(f"Regularizers, two-layer net, d={ds.attrs['d']} σ={ds.attrs['sigma']} "
                 f"(class LP {lp});\nlines: median over seeds, bands: min-max")
    return save(fig, path)
