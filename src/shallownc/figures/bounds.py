"""Figures of the theory stage (reports/theory.md), drawn only from NetCDF results.

* phase diagrams with the union bound (red), the Gordon bound (blue), the kinematic
  comparison (blue dotted) and the predicted boundary (dashed) over the verified P(feasible);
* pure noise: P(feasible) vs d/n with the exact kinematic curve and the bounds;
* random features: P(feasible) vs the first-layer width d1 with the reference widths.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from .. import status
from . import legend_below, legend_under, log_ticks_at, setup_style
from .feasibility import _edges, phase_heatmap, wilson

RED, BLUE, PRED = "#d62728", "#1f77b4", "black"


def _yerr(p, lo, hi):
    """Error bar lengths of a Wilson interval (clipped at 0 against rounding at p = 0, 1)."""
    return [np.maximum(p - lo, 0), np.maximum(hi - p, 0)]


def overlays(curves: xr.Dataset, sigma_range) -> list[dict]:
    """Theory curves as (d/n, sigma) polylines for phase_heatmap (reports/theory.md)."""
    lo, hi = sigma_range
    out = []
    x = curves.d_curve_over_n.values
    smax = curves.union_sigma_max.values
    ok = smax > 0
    if ok.any():
        # the certified region is sigma < sigma_max(d): its boundary drawn as a curve
        out.append({"x": x[ok], "y": smax[ok], "color": RED, "linewidth": 2.2,
                    "label": f"union bound (U4), δ={curves.attrs['delta']:g}"})
    ys = [lo, hi]
    dG = float(curves.attrs["gordon_d_over_n"])
    out.append({"x": [dG, dG], "y": ys, "color": BLUE, "linewidth": 2.2,
                "label": f"Gordon comparison (G3): d/n ≥ {dG:.2f}"})
    dK = float(curves.attrs["kinematic_d_over_n"])
    out.append({"x": [dK, dK], "y": ys, "color": BLUE, "linestyle": ":", "linewidth": 2.2,
                "label": f"kinematic comparison (K2): d/n ≥ {dK:.2f}"})
    sc = curves.sigma_curve.values
    m = (sc >= lo) & (sc <= hi)
    out.append({"x": curves.predicted_d_over_n_curve.values[m], "y": sc[m], "color": PRED,
                "linestyle": "--", "linewidth": 2.0, "label": "predicted 50% boundary (P4)"})
    return out


def fig_phase_bounds(feas: xr.Dataset, curves: xr.Dataset):
    """P(all classes feasible) over (d/n, sigma) with every theory curve and a legend."""
    setup_style()
    fig, ax = plt.subplots(figsize=(8.4, 6.4), layout="constrained")
    s = feas.sigma.values
    se = _edges(s, log=True)
    lo, hi = se[0], se[-1]  # the heatmap's cell edges: overlays are cut to this range
    ovs = overlays(curves, (lo, hi))
    phase_heatmap(ax, feas, "nc_all_status", ovs, noise_line=False)
    legend_below(fig, [ax], ncol=2)
    ax.set_title(f"{feas.attrs['grid']}: {feas.attrs['geometry']}, K={feas.attrs['K']}, "
                 f"n={feas.attrs['n']}, {feas.sizes['trial']} trials\n"
                 "P(all classes NC-feasible); white line: empirical 50%")
    return fig


def _vline_or_note(ax, x: float, xlim, label: str, **style):
    """A vertical reference line inside ``xlim``, else a legend entry saying where it lies."""
    if xlim[0] <= x <= xlim[1]:
        ax.axvline(x, label=label, **style)
    else:
        side = "right" if x > xlim[1] else "left"
        ax.plot([], [], label=f"{label} — {side} of the plotted range", **style)


def fig_pure_noise_bounds(pairs: list[tuple[xr.Dataset, xr.Dataset]]):
    """Pure noise: verified P(all classes feasible) with Wilson intervals vs the theory.

    The x range is that of the verified cells; theory curves are cut to it and a bound
    outside it (often the Gordon line) is named in the legend with its position.
    """
    setup_style()
    fig, axes = plt.subplots(len(pairs), 1, figsize=(7.4, 4.6 * len(pairs)),
                             layout="constrained", squeeze=False)
    for ax, (feas, curves) in zip(axes[:, 0], pairs):
        pr = status.probability(feas.nc_all_status.isel(sigma=0))
        k = (pr.p * pr.n_decided).values
        nd = pr.n_decided.values
        lo, hi = wilson(k, nd)
        x = feas.d_over_n.values
        pad = 0.05 * max(x.max() - x.min(), 0.5)
        xlim = (x.min() - pad, x.max() + pad)
        ax.errorbar(x, pr.p.values, yerr=_yerr(pr.p.values, lo, hi), fmt="o",
                    color="0.2", label="verified LP (Wilson 95%)")
        cx = curves.d_over_n.values
        m = (cx >= xlim[0]) & (cx <= xlim[1])
        ax.plot(cx[m], curves.kinematic_p_all_lower.values[m], color=BLUE, ls=":",
                label="1 − K·P_inf (K1–K2, lower bound)")
        ax.plot(cx[m], curves.kinematic_p_class.values[m] ** int(curves.attrs["K"]),
                color=BLUE, alpha=0.5, label="P_class^K (independence heuristic)")
        dG, dK = float(curves.attrs["gordon_d_over_n"]), float(curves.attrs["kinematic_d_over_n"])
        _vline_or_note(ax, dG, xlim, f"Gordon (G3): d/n ≥ {dG:.2f}, δ={curves.attrs['delta']:g}",
                       color=BLUE, lw=2)
        _vline_or_note(ax, dK, xlim, f"kinematic (K2): d/n ≥ {dK:.2f}", color=BLUE, lw=2,
                       ls=":")
        dP = float(curves.predicted_d_over_n.values[0])
        _vline_or_note(ax, dP, xlim, f"predicted 50% (P4): d/n = {dP:.2f}", color=PRED,
                       ls="--")
        delta = float(curves.attrs["delta"])
        ax.axhline(1 - delta, color="0.45", lw=1, ls="-.",
                   label=f"1 − δ = {1 - delta:g}: probability the bounds guarantee")
        ax.set_xlabel("d / n")
        ax.set_ylabel("P(all classes NC-feasible)")
        ax.set_xlim(*xlim)
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(f"pure noise K={feas.attrs['K']}, n={feas.attrs['n']}, "
                     f"{feas.sizes['trial']} trials per d")
        legend_under(ax, ncol=2)
    return fig


def fig_random_features(datasets: list[xr.Dataset]):
    """P(all classes feasible on relu(W1 X)) vs d1, with n log n, N log N and our widths.

    One panel per setting, stacked; the x axis is logarithmic, labelled at the widths run,
    limited to them, and a reference width outside that range is named in the legend.
    """
    setup_style()
    fig, axes = plt.subplots(len(datasets), 1, figsize=(7.4, 5.0 * len(datasets)),
                             layout="constrained", squeeze=False)
    for ax, ds in zip(axes[:, 0], datasets):
        pr = status.probability(ds.nc_all_status)
        k = (pr.p * pr.n_decided).values
        lo, hi = wilson(k, pr.n_decided.values)
        d1 = ds.d1.values
        ax.errorbar(d1, pr.p.values, yerr=_yerr(pr.p.values, lo, hi), fmt="o-",
                    color="0.2", label="verified LP on relu(W1 X)")
        full = (ds.feature_rank == ds.attrs["N"]).mean("trial").values
        ax.plot(d1, full, color="0.5", ls="-.", label="P(rank H = N)")
        ax.set_xscale("log")
        pad = (d1.max() / d1.min()) ** 0.05
        xlim = (d1.min() / pad, d1.max() * pad)
        refs = [("ref_stat_dim", "δ(C)=(K+1)n/2−½ (R3)", PRED, "--"),
                ("ref_N", "N (R1)", "C2", "-"),
                ("ref_rank_width", "rank width (R2)", "C2", ":"),
                ("ref_n_log_n", "n log n", "C4", "-"),
                ("ref_N_log_N", "N log N", "C1", "-")]
        for key, lab, col, ls in refs:
            _vline_or_note(ax, float(ds.attrs[key]), xlim, f"{lab} = {ds.attrs[key]:.0f}",
                           color=col, ls=ls, lw=1.6)
        e = ds.attrs.get("empirical_d1_50", np.nan)
        if np.isfinite(e):
            ax.plot([e], [0.5], marker="*", ms=14, color=RED, ls="none",
                    label=f"empirical 50%: d1 = {e:.1f}")
        ax.set_xlim(*xlim)
        log_ticks_at(ax.xaxis, d1)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("first-layer width d1 (log scale)")
        ax.set_ylabel("P(all classes NC-feasible)")
        ax.set_title(f"{ds.attrs['setting']}: {ds.attrs['geometry']}, K={ds.attrs['K']}, "
                     f"n={ds.attrs['n']}, d={ds.attrs['d']}, σ={ds.attrs['sigma']:g}")
        legend_under(ax, ncol=2)
    return fig
