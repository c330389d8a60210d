"""The paper's Figures 1-2 redrawn from <results>/paper/figN.nc, with every curve.

Layout: one row per panel (Figure 1: theta = 180, 90, 30, 0 degrees; Figure 2: one panel),
first column the class-1 LP success rate (the paper's quantity), second column P(all class LPs
feasible) = P(NC) when every class was solved. Grey scale as in the paper: black 0, white 1;
sigma along x, d/n downwards (right axis d), as in the paper; the title states how the cells'
noise draws relate (config paper.figN.search). Cells with a trial not decided by a proof
(status -1 undecided or -2 infeasible within a radius) are hatched; cells with no decided trial
are hatched on a pale red ground. Curves (shallownc.paper.curves.PAPER_CURVES) are clipped to the
data range and labelled with their equations.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.patches import Patch, Rectangle

from ..figures import setup_style

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


def _heatmap(ax, p: xr.DataArray, und: xr.DataArray, n: int):
    """Grey heat map of p over (sigma along x, d/n down, as the paper) with hatched cells
    where a trial was not decided by a proof."""
    s_, dn = p.sigma.values, p.d.values / n
    xe, ye = _edges(s_), _edges(dn)
    ax.set_facecolor("#f4c7c3")  # shows through where nothing was decided (p = NaN)
    vals = p.transpose("d", "sigma").values
    mesh = ax.pcolormesh(xe, ye, vals, cmap="gray", vmin=0, vmax=1, shading="flat",
                         rasterized=True)
    u = und.transpose("d", "sigma").values
    for i, j in zip(*np.nonzero((u > 0) | ~np.isfinite(vals))):
        ax.add_patch(Rectangle((xe[j], ye[i]), xe[j + 1] - xe[j], ye[i + 1] - ye[i],
                               fill=False, hatch="///", edgecolor="#d62728", linewidth=0))
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[-1], ye[0])  # d/n grows downwards (the paper's orientation)
    return mesh


def _curves(ax, ds: xr.Dataset, labels: dict):
    """Every curve of one panel in (sigma, d/n) coordinates, clipped to the data range."""
    n = int(ds.attrs["n"])
    dlo, dhi = float(ds.d.min()), float(ds.d.max())
    slo, shi = float(ds.sigma.min()), float(ds.sigma.max())
    for name in ds.curve.values:
        name = str(name)
        kind = labels[name]["kind"]
        st = dict(STYLE.get(name, {"color": "black"}), label=labels[name]["label"])
        if kind == "sigma":
            sig = ds.sigma_max_fine.sel(curve=name).values
            d = ds.d_fine.values.astype(float)
            ok = np.isfinite(sig) & (sig > slo) & (d >= dlo) & (d <= dhi)
            if ok.sum() > 1:
                ax.plot(np.minimum(sig[ok], shi), d[ok] / n, **st)
        elif kind == "d":
            thr = float(ds.d_over_n_threshold.sel(curve=name)) * n
            if np.isfinite(thr) and dlo <= thr <= dhi:
                ax.plot([slo, shi], [thr / n, thr / n], **st)
        else:
            b = ds.boundary_d_over_n.sel(curve=name).values * n
            sig = ds.sigma.values
            ok = np.isfinite(b) & (b >= dlo) & (b <= dhi)
            if ok.sum() > 1:
                ax.plot(sig[ok], b[ok] / n, **st)


def design(ds: xr.Dataset) -> str:
    """How the cells' noise draws relate (attribute noise_design, config paper.figN.search)."""
    return str(ds.attrs.get("noise_design", "one noise draw per (d, trial), shared across "
                                              "sigma"))


def fig_paper_lp(ds: xr.Dataset, fig_name: str):
    """The figure (module docstring) from one paper figure Dataset: one row per panel (angle),
    one column per quantity; sigma along x and d/n downwards as in the paper; the key on top."""
    setup_style()
    labels = json.loads(ds.attrs["curves_json"])
    quantities = [q for q in ("class1", "all") if f"p_{q}" in ds and
                  np.isfinite(ds[f"p_{q}"].values).any()]
    panels = list(ds.panel.values)
    nr, nc = len(panels), len(quantities)
    w = 5.4 if nc == 1 else 2.95         # one map fills the width; two side by side
    fig, axes = plt.subplots(nr, nc, figsize=(w * nc + 1.5, 0.85 * w * nr + 2.2), squeeze=False,
                             layout="constrained", sharex=True, sharey=True)
    n = int(ds.attrs["n"])
    mesh = None
    for r, pan in enumerate(panels):
        for c, q in enumerate(quantities):
            ax = axes[r, c]
            sub = ds.sel(panel=pan)
            mesh = _heatmap(ax, sub[f"p_{q}"], sub[f"n_undecided_{q}"], n)
            _curves(ax, sub, labels)
            ang = float(sub.panel_angle_deg)
            head = f"θ = {ang:g}°" if np.isfinite(ang) else f"K = {ds.attrs['K']}, μ_k = e_k"
            ax.set_title(f"{head}: {TITLES[q]}", fontsize=9)
            if r == nr - 1:
                ax.set_xlabel("σ")
            if c == 0:
                ax.set_ylabel("d / n")
            if c == nc - 1:
                sec = ax.secondary_yaxis("right", functions=(lambda x: x * n, lambda x: x / n))
                sec.set_ylabel("d", fontsize=8)
            ax.grid(False)
    fig.colorbar(mesh, ax=axes, shrink=min(0.8, 2.0 / nr), aspect=25,
                 label="success rate (black 0, white 1)")
    handles, seen = [], set()
    for ax in axes.ravel():
        for h in ax.get_lines():
            if h.get_label() not in seen:
                seen.add(h.get_label())
                handles.append(h)
    handles.append(Patch(facecolor="white", hatch="///", edgecolor="#d62728",
                         label="a trial not decided by a proof (status -1/-2)"))
    trials = int(ds.attrs["trials"])
    title = (f"Paper {fig_name.replace('fig', 'Figure ')} reproduced: K = {ds.attrs['K']}, "
             f"n = {n}, {trials} trial{'s' if trials != 1 else ''} per cell;\n"
             f"{design(ds)}; σ = 0 decided exactly")
    # the title heads the key, both above the maps (a tall figure's key stays in view)
    fig.legend(handles=handles, loc="outside upper center", ncol=2, fontsize=8,
               frameon=False, title=title, title_fontsize=10)
    return fig
