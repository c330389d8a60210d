"""Figures 3-6 of the paper (Hong & Ling, JMLR 2026), drawn from results/paper/figN.nc.

Axes as in the paper (log-scale metric against d/n or epoch); every figure's title names the
paper figure it reproduces and the training length it shows (``length_label`` and epochs).
Top row of Figures 4-6: the paper's metrics exactly as (3.2)-(3.3) define them; bottom row: our
conventions (docs/conventions.md) and the certified gap objective - F*_UPFM (reports/upfm.md D§7).
"""

from __future__ import annotations

import textwrap

import numpy as np
import xarray as xr

from ..figures import save, setup_style
from .. import io

FIG3_REQUIRED = ["final_nc1", "final_nc1_trace", "upfm_gap", "nc_all_status"]
TRAJ_REQUIRED = ["nc1", "nc1_trace", "nc2_of", "nc2_etf", "nc3", "objective", "upfm_value"]

#: (variable, label) of the top row (paper (3.2)-(3.3)); nc2_h_paper equals nc2_of by definition
PAPER_ROW = [("nc1", "NC1 (3.2)"), ("nc2_h_paper", "NC2$_{\\bar H}$ (3.3)"),
             ("nc2_w_paper", "NC2$_W$ (3.3)"), ("nc3_paper", "NC3 (3.3)")]
OUR_ROW = [("nc1_trace", "Tr$\\Sigma_W$/Tr$\\Sigma_B$"), ("nc2", "NC2 (ours)"),
           ("nc3", "NC3 (Papyan, centred means)"), ("gap", "objective $-$ F*$_{UPFM}$")]
#: our NC2 panel: the simplex-ETF error of the centred means, except for K = 2 where that error
#: vanishes identically and the orthogonal-frame error of the uncentred means is drawn
OUR_NC2 = {True: ("nc2_of", "NC2 orthogonal frame (uncentred means)"),
           False: ("nc2_etf", "NC2 simplex ETF (centred means)")}


def length_text(ds: xr.Dataset) -> str:
    """'<length_label>: <epochs> epochs, batch <B> (<steps> steps/epoch), width <p>'."""
    a = ds.attrs
    return (f"{a['length_label']}: {int(a['epochs']):,} epochs, batch {a['batch_size']} "
            f"({a['steps_per_epoch']} SGD steps/epoch), width {a['width']}")


def plot_fig3(path_nc: str, path_png: str):
    """Paper Figure 3: final NC1 vs d/n, one line per sigma (+ our Tr ratio and UPFM gap)."""
    import matplotlib.pyplot as plt

    ds = io.read_netcdf(path_nc, required_vars=FIG3_REQUIRED)
    setup_style()
    # stacked vertically so the figure reads at the report width (<= 1400 px at the saved DPI)
    fig, axes = plt.subplots(3, 1, figsize=(8, 11))
    x = ds.d_over_n.values
    cols = plt.cm.viridis(np.linspace(0, 0.9, ds.sizes["sigma"]))
    panels = [("final_nc1", "final NC1 (3.2) — the paper's panel"),
              ("final_nc1_trace", "final Tr$\\Sigma_W$/Tr$\\Sigma_B$ (ours)"),
              ("upfm_gap", "final objective $-$ F*$_{UPFM}$ (ours; 0 iff collapsed optimum)")]
    for ax, (v, title) in zip(axes, panels):
        for c, s in zip(cols, ds.sigma.values):
            y = ds[v].sel(sigma=s).median("trial").values
            feas = (ds.nc_all_status.sel(sigma=s) == 1).all("trial").values
            ax.plot(x, np.maximum(y, 1e-12), "-", color=c, label=f"σ = {s:g}")
            ax.scatter(x[feas], np.maximum(y[feas], 1e-12), color=c, marker="o", zorder=3)
            ax.scatter(x[~feas], np.maximum(y[~feas], 1e-12), facecolor="white", edgecolor=c,
                       marker="o", zorder=3)
        ax.set_yscale("log")
        ax.set_xlabel("d / n")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("median over trials")
    axes[0].legend(fontsize=8.5, title="filled: class LP feasible", title_fontsize=8.5)
    fig.suptitle(textwrap.fill(
        f"Reproduces paper Figure 3 (K = 2, n = {ds.attrs['n']}, μ1 = −μ2 = e1, "
        f"λ_W = {ds.attrs['lambda_W']:g}, λ_H = {ds.attrs['lambda_H']:g}) — "
        f"{length_text(ds)}", 90), fontsize=10)
    fig.tight_layout()
    return save(fig, path_png)


def nc2w_decay_guide(ds: xr.Dataset) -> np.ndarray:
    """prod over the SGD steps before each epoch of (1 - lr_t lambda_W): the factor by which
    w_1 + w_2 shrinks for K = 2 under activation regularization (docs/conventions.md), trainer's
    step schedule (lr drops at the milestones)."""
    ep = ds.epoch.values.astype(float)
    E = float(ds.attrs["epochs"])
    ms = [float(m) for m in ds.attrs["lr_milestones"].strip("[]").split(",")]
    lr0, g, lw, spe = (float(ds.attrs[k]) for k in ("lr", "lr_gamma", "lambda_W",
                                                    "steps_per_epoch"))
    edges = [0.0] + [m * E for m in ms] + [np.inf]
    logf = np.zeros_like(ep)
    for i in range(len(edges) - 1):
        n_ep = np.clip(ep - np.ceil(edges[i]), 0, None) - np.clip(ep - np.ceil(edges[i + 1]), 0,
                                                                  None)
        logf += n_ep * spe * np.log1p(-lr0 * g ** i * lw)
    return np.exp(logf)


def _traj_panels(ds: xr.Dataset, line_dim: str, line_label, title: str, path_png: str,
                 guide: bool):
    import matplotlib.pyplot as plt

    setup_style()
    # left column the paper's metrics, right column ours; four rows, to read at the report width
    fig, axes = plt.subplots(4, 2, figsize=(10, 13), sharex=True)
    ep = ds.epoch.values
    keep = ep >= 1
    L = ds.sizes[line_dim]
    cols = plt.cm.plasma(np.linspace(0, 0.85, L))
    for row, spec in ((0, PAPER_ROW), (1, OUR_ROW)):
        for j, (v, lab) in enumerate(spec):
            ax = axes[j, row]
            if v == "nc2":
                v, lab = OUR_NC2[int(ds.attrs["K"]) == 2]
            if v == "gap":
                arr = ds["objective"] - ds["upfm_value"]
            elif v in ds:
                arr = ds[v]
            else:
                ax.text(0.5, 0.5, f"{v}\nnot recorded by this trainer", ha="center",
                        va="center", transform=ax.transAxes)
                ax.set_title(lab)
                continue
            for c, val in zip(cols, ds[line_dim].values):
                y = arr.sel({line_dim: val}).median("trial").values[keep]
                ax.plot(ep[keep], np.maximum(y, 1e-12), color=c, label=line_label(val))
            if guide and v == "nc2_w_paper":
                g = nc2w_decay_guide(ds)[keep] * float(arr.isel(epoch=0).median())
                ax.plot(ep[keep], np.maximum(g, 1e-12), "k--", lw=1,
                        label="NC2$_W$(0)·∏(1 − lr λ_W) over steps")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(lab)
            if j == len(spec) - 1:
                ax.set_xlabel("epoch")
    axes[0, 0].set_ylabel("paper's metrics (3.2)-(3.3)")
    axes[0, 1].set_ylabel("ours (docs/conventions.md)")
    axes[0, 0].legend(fontsize=8.5)
    if guide:
        axes[2, 0].legend(fontsize=8.5)
    fig.suptitle(textwrap.fill(f"{title} — {length_text(ds)}", 100), fontsize=10)
    fig.tight_layout()
    return save(fig, path_png)


def plot_fig45(path_nc: str, path_png: str):
    """Paper Figure 4 or 5 (the file's ``figure`` attribute): metrics vs epoch, one line per d."""
    ds = io.read_netcdf(path_nc, required_vars=TRAJ_REQUIRED)
    n = int(ds.attrs["n"])
    title = (f"Reproduces paper {ds.attrs['figure']} (σ = {float(ds.attrs['sigma']):g}, "
             f"K = 2, n = {n})")
    return _traj_panels(ds, "d", lambda d: f"d = {int(d)} (d/n = {int(d) / n:.2g})", title,
                        path_png, guide=True)


def plot_fig6(path_nc: str, path_png: str):
    """Paper Figure 6: three-layer, frozen first layer, real data (Fashion-MNIST as in the
    paper, or digits); metrics vs epoch per d1."""
    ds = io.read_netcdf(path_nc, required_vars=TRAJ_REQUIRED + ["feature_rank"])
    N = int(ds.attrs["N"])
    name = {"fashion_mnist": "Fashion-MNIST (the paper's data)"}.get(
        ds.attrs.get("data_source"), "scikit-learn digits (the paper: Fashion-MNIST)")
    title = (f"Reproduces paper Figure 6 with {name}, all 10 classes, {N // 10} per class, "
             f"N = {N}; first layer frozen W1 ~ N(0, 1/d1)")
    return _traj_panels(ds, "d1", lambda d1: f"d1 = {int(d1)} ({int(d1) / N:g} N)", title,
                        path_png, guide=False)
