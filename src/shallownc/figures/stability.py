"""Figures of the stability study (issue 23; reports/training.md §5), from NetCDF only.

plot_sharpness_map: lambda_max of the collapsed minimizer's Hessian (stability S§1-S§4) and
eta* = 2/lambda_max per (d/n, sigma) cell, median over trials; cells without a collapsed
minimizer (no LP-feasible data set) are marked. plot_recipes: per recipe, the runs split by
LP status and verdict (reached / unstable step / oscillating / stationary not global / still
moving / other); codes and names from shallownc.status.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr

from shallownc.status import OUTCOMES, outcome_counts
from shallownc.figures import LEGEND_FONT, save, setup_style

WIDTH_IN = 8.0


def _cell_median(da: xr.DataArray) -> xr.DataArray:
    return da.median("trial", skipna=True).transpose("d_over_n", "sigma")


def _heat(ax, da: xr.DataArray, title: str, fmt: str, cmap: str):
    vals = da.values
    sns.heatmap(np.ma.masked_invalid(vals), annot=True, fmt=fmt, cmap=cmap, ax=ax,
                mask=~np.isfinite(vals), cbar=False, annot_kws={"fontsize": LEGEND_FONT},
                xticklabels=[f"{s:g}" for s in da.sigma.values],
                yticklabels=[f"{r:g}" for r in da.d_over_n.values])
    for i, j in zip(*np.nonzero(~np.isfinite(vals))):
        ax.text(j + 0.5, i + 0.5, "no LP-\nfeasible set", ha="center", va="center",
                fontsize=LEGEND_FONT - 1, color="0.4")
    ax.set_xlabel("σ")
    ax.set_ylabel("d/n")
    ax.set_title(title)
    ax.grid(False)
    ax.invert_yaxis()


def plot_sharpness_map(study: xr.Dataset, path):
    """lambda_max (median over LP-feasible trials) and eta* = 2/lambda_max per cell."""
    setup_style()
    fig, axes = plt.subplots(2, 1, figsize=(WIDTH_IN, 9.5), layout="constrained")
    lam = _cell_median(study["lambda_max"])
    _heat(axes[0], lam, "sharpness λ_max at the collapsed minimizer (median over trials)",
          ".3g", "rocket_r")
    eta = _cell_median(study["eta_star"])
    _heat(axes[1], eta, "largest stable GD step η* = 2/λ_max (median over trials)", ".3g",
          "mako")
    return save(fig, path)


def plot_recipes(recipes: dict, path):
    """Stacked bars, one per recipe (name -> Dataset with verdict, lp_status): LP-feasible
    runs by outcome, then LP-infeasible runs (never reached) and the rest."""
    setup_style()
    names = list(recipes)
    counts = [outcome_counts(recipes[n]) for n in names]
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.45 * len(names) + 2.2), layout="constrained")
    left = np.zeros(len(names))
    pal = sns.color_palette("tab10", len(OUTCOMES) + 2)
    for i, key in enumerate((*OUTCOMES, "other_feasible", "lp_infeasible")):
        c = np.array([k[key] for k in counts], dtype=float)
        if c.any():
            label = {"other_feasible": "LP feasible, other (diverged / n.a.)",
                     "lp_infeasible": "LP infeasible (no collapsed minimizer)"}.get(
                key, f"LP feasible, {key.replace('_', ' ')}")
            ax.barh(np.arange(len(names)), c, left=left, color=pal[i], label=label,
                    hatch="//" if key == "lp_infeasible" else None)
            left += c
    ax.set_yticks(np.arange(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("runs")
    ax.set_title("where the collapsed minimizer exists (LP) and whether training reaches it")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    return save(fig, path)
