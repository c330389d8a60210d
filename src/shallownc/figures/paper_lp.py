"""The paper's Figures 1-2 redrawn from <results>/paper/figN.nc, with every curve.

Layout: one column per panel (Figure 1: theta = 180, 90, 30, 0 degrees; Figure 2: one panel),
first row the class-1 LP success rate (the paper's quantity), second row P(all class LPs
feasible) = P(NC) when every class was solved. Grey scale as in the paper: black 0, white 1;
x = d (top axis d/n), y = sigma increasing upwards. Cells with a trial not decided by a proof
(status -1 undecided or -2 infeasible within a radius) are hatched; cells with no decided trial
are hatched on a pale red ground. Curves (shallownc.bounds.PAPER_CURVES) are clipped to the
data range and labelled with their equations.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.patches import Patch, Rectangle

from . import setup_style

STYLE = {
    "paper_red_drawn": {"color": "#d62728", "linestyle": "-", "linewidth": 2.2},
    "paper_blue_drawn": {"color": "#1f77b4", "linestyle": "--", "linewidth": 2.2},
    "paper_thm4_4_8": {"color": "#ff7f0e", "linestyle": ":", "linewidth": 2.2},
    "paper_thm5a_2_16": {"color": "#ff7f0e", "linestyle": "-.", "linewidth": 1.8},
    "paper_thm5b_2_17": {"color": "#17becf", "linestyle": ":", "linewidth": 2.2},
    "paper_thm3b": {"color": "#9467bd", "linestyle": "-", "linewidth": 1.2},
    "ours_union": {"color": "#2ca02c", "linestyle": "-", "linewidth": 2.0},
    "ours_kinematic": {"color": "#2ca02c", "linestyle": "--", "linewidth": 2.0},
    "ours_predicted": {"color": "#e377c2", "linestyle": "--", "linewidth": 2.2},
}
TITLES = {"class1": "class-1 LP success rate (paper)", "all": "P(all classes) = P(NC) (ours)"}


def _edges(v: np.ndarray) -> np.ndarray:
    """Cell edges around equally or unequally spaced centres."""
    v = np.asarray(v, float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])


def _heatmap(ax, p: xr.DataArray, und: xr.DataArray):
    """Grey heat map of p(d, sigma) with hatched undecided cells."""
    d, s = p.d.values, p.sigma.values
    xe, ye = _edges(d), _edges(s)
    ax.set_facecolor("#f4c7c3")  # shows through where nothing was decided (p = NaN)
    mesh = ax.pcolormesh(xe, ye, p.transpose("sigma", "d").values, cmap="gray", vmin=0, vmax=1,
                         shading="flat", rasterized=True)
    u = und.transpose("sigma", "d").values
    for j, i in zip(*np.nonzero((u > 0) | ~np.isfinite(p.transpose("sigma", "d").values))):
        ax.add_patch(Rectangle((xe[i], ye[j]), xe[i + 1] - xe[i], ye[j + 1] - ye[j],
                               fill=False, hatch="///", edgecolor="#d62728", linewidth=0))
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    return mesh


def _curves(ax, ds: xr.Dataset, labels: dict):
    """Every curve of one panel, clipped to the data range (d, sigma)."""
    n = int(ds.attrs["n"])
    dlo, dhi = float(ds.d.min()), float(ds.d.max())
    slo, shi = float(ds.sigma.min()), float(ds.sigma.max())
    for name in ds.curve.values:
        name = str(name)
        kind = labels[name]["kind"]
        st = dict(STYLE.get(name, {"color": "black"}), label=labels[name]["label"])
        if kind == "sigma":
            y = ds.sigma_max_fine.sel(curve=name).values
            x = ds.d_fine.values.astype(float)
            ok = np.isfinite(y) & (y > slo) & (x >= dlo) & (x <= dhi)
            if ok.sum() > 1:
                ax.plot(x[ok], np.minimum(y[ok], shi), **st)
        elif kind == "d":
            thr = float(ds.d_over_n_threshold.sel(curve=name)) * n
            if np.isfinite(thr) and dlo <= thr <= dhi:
                ax.plot([thr, thr], [slo, shi], **st)
        else:
            b = ds.boundary_d_over_n.sel(curve=name).values * n
            s = ds.sigma.values
            ok = np.isfinite(b) & (b >= dlo) & (b <= dhi)
            if ok.sum() > 1:
                ax.plot(b[ok], s[ok], **st)


def fig_paper_lp(ds: xr.Dataset, fig_name: str):
    """The figure (module docstring) from one paper figure Dataset."""
    setup_style()
    labels = json.loads(ds.attrs["curves_json"])
    quantities = [q for q in ("class1", "all") if f"p_{q}" in ds and
                  np.isfinite(ds[f"p_{q}"].values).any()]
    panels = list(ds.panel.values)
    nr, nc = len(quantities), len(panels)
    fig, axes = plt.subplots(nr, nc, figsize=(3.6 * nc + 0.8, 3.3 * nr + 1.6), squeeze=False,
                             constrained_layout=True, sharex=True, sharey=True)
    n = int(ds.attrs["n"])
    mesh = None
    for r, q in enumerate(quantities):
        for c, pan in enumerate(panels):
            ax = axes[r, c]
            sub = ds.sel(panel=pan)
            mesh = _heatmap(ax, sub[f"p_{q}"], sub[f"n_undecided_{q}"])
            _curves(ax, sub, labels)
            ang = float(sub.panel_angle_deg)
            head = f"θ = {ang:g}°" if np.isfinite(ang) else f"K = {ds.attrs['K']}, μ_k = e_k"
            ax.set_title(f"{head}\n{TITLES[q]}", fontsize=9)
            if r == nr - 1:
                ax.set_xlabel("d")
            if c == 0:
                ax.set_ylabel("σ")
            if r == 0:
                sec = ax.secondary_xaxis("top", functions=(lambda x: x / n, lambda x: x * n))
                sec.set_xlabel("d / n", fontsize=8)
            ax.grid(False)
    fig.colorbar(mesh, ax=axes, shrink=0.8, label="success rate (black 0, white 1)")
    handles, seen = [], set()
    for ax in axes.ravel():
        for h in ax.get_lines():
            if h.get_label() not in seen:
                seen.add(h.get_label())
                handles.append(h)
    handles.append(Patch(facecolor="white", hatch="///", edgecolor="#d62728",
                         label="a trial not decided by a proof (status -1/-2)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8,
               frameon=False)
    fig.suptitle(f"Paper {fig_name.replace('fig', 'Figure ')} reproduced: K = {ds.attrs['K']}, "
                 f"n = {n}, {int(ds.attrs['trials'])} trial"
                 f"{'s' if int(ds.attrs['trials']) != 1 else ''} per cell "
                 f"(common noise across σ; σ = 0 decided exactly)", fontsize=10)
    return fig
