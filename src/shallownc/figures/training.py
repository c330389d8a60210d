"""Training figures (issue 4), read only from the NetCDF files of the training stage.

Epoch 0 (initialization) cannot sit on a log axis: curves start at epoch 1. Lines are medians
over trials/seeds, bands the min-max range.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr

from shallownc.figures import save, setup_style

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
    fig, axes = plt.subplots(len(_METRICS), len(dns), figsize=(4.2 * len(dns), 2.6 * len(_METRICS)),
                             sharex=True, squeeze=False)
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
    axes[0, -1].legend(fontsize=8, loc="lower left")
    fig.suptitle(f"Two-layer ReLU net, {ds.attrs.get('geometry')} K={ds.attrs.get('K')} "
                 f"n={ds.attrs.get('n')}, width {ds.attrs.get('widths')}, "
                 f"{ds.attrs.get('loss')}/{ds.attrs.get('reg')}", y=1.0)
    fig.tight_layout()
    return save(fig, path)


def plot_theory(ds: xr.Dataset, path):
    """Annotated confusion matrix (LP verdict vs collapsed) and final NC1 against d/n."""
    setup_style()
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1.6]})
    cm = ds["confusion"].values
    sns.heatmap(cm, annot=True, fmt="d", cmap="Blues", cbar=False, ax=a0,
                xticklabels=["collapsed", "not collapsed"],
                yticklabels=["LP feasible", "LP infeasible"])
    a0.set_title(f"agreement {ds.attrs['agreement_rate']:.0%} of {ds.attrs['n_decided']} runs\n"
                 f"(collapsed: final NC1 < {ds.attrs['collapse_threshold']:g})")
    markers = {1: "o", 0: "x", -1: "s"}
    names = {1: "LP feasible", 0: "LP infeasible", -1: "LP undecided"}
    colors = sns.color_palette("viridis", len(ds.sigma))
    rng = np.random.default_rng(0)
    for c, s in zip(colors, ds.sigma.values):
        sub = ds.sel(sigma=s)
        for st, mk in markers.items():
            m = (sub.lp_status == st).values
            if not m.any():
                continue
            x = np.broadcast_to(sub.d_over_n.values[:, None], m.shape)[m]
            x = x * np.exp(rng.uniform(-0.03, 0.03, x.shape))
            a1.scatter(x, sub.final_nc1.values[m], marker=mk, color=c, s=30,
                       label=f"σ={s:g}, {names[st]}")
    a1.axhline(ds.attrs["collapse_threshold"], color="k", ls="--", lw=1, label="threshold")
    a1.set_yscale("log")
    a1.set_xlabel("d/n")
    a1.set_ylabel(f"final NC1 (epoch {int(ds.epoch.max())})")
    a1.legend(fontsize=7, ncol=2)
    a1.set_title(f"{ds.attrs.get('geometry')} K={ds.attrs.get('K')} n={ds.attrs.get('n')}")
    fig.tight_layout()
    return save(fig, path)


def plot_three_layer(ds: xr.Dataset, path):
    """NC1 and objective vs epoch, every seed (thin) and the median (thick) per first width."""
    setup_style()
    ds = ds.sel(epoch=ds.epoch[ds.epoch >= 1])
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
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
        ax.set_xlabel("epoch")
        ax.set_ylabel(lab)
    axes[0].legend()
    fig.suptitle(f"Three-layer ReLU net, SGD (batch {ds.attrs.get('batch_size')}, momentum "
                 f"{ds.attrs.get('momentum')}), d={ds.attrs['d']}, N={ds.attrs['N']}, "
                 f"σ={ds.attrs['sigma']}, p={ds.attrs['width']}", y=1.02)
    fig.tight_layout()
    return save(fig, path)


def plot_regularization(ds: xr.Dataset, path):
    """NC1, NC2 orthogonal-frame error, objective and test error vs epoch per regularizer."""
    setup_style()
    ds = ds.sel(epoch=ds.epoch[ds.epoch >= 1])
    fig, axes = plt.subplots(1, 4, figsize=(17, 4))
    colors = sns.color_palette("deep", len(ds.variant))
    for c, v in zip(colors, ds.variant.values):
        sub = ds.sel(variant=v)
        for ax, var in zip(axes, ("nc1", "nc2_of", "loss", "test_error")):
            da = sub[var].transpose("epoch", "seed_index")
            _band(ax, ds.epoch.values, da, "seed_index", c, str(v))
    for ax, lab in zip(axes, ("NC1 (pinv)", "NC2 orth. frame err.", "data loss",
                              "test error")):
        ax.set_xscale("log")
        if lab != "test error":
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(lab)
    axes[0].legend(fontsize=8)
    lp = {1: "feasible", 0: "infeasible", -1: "undecided"}[int(ds.lp_status)]
    fig.suptitle(f"Regularizers, two-layer net, d={ds.attrs['d']} σ={ds.attrs['sigma']} "
                 f"(LP {lp})", y=1.02)
    fig.tight_layout()
    return save(fig, path)
