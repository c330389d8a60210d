"""Figures of the feasibility stage, read from results/feasibility/<grid>.nc.

Probabilities are over *decided* trials only (shallownc.status.probability); undecided cells are
never counted as feasible or infeasible, and their number is printed on the figure when non-zero.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from scipy import stats

from .. import status
from . import coincident_note, legend_below, legend_under, setup_style

PROB_CMAP = "rocket_r"


def _edges(values: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges around sorted centres (geometric midpoints on a log axis)."""
    v = np.log(values) if log else np.asarray(values, float)
    if len(v) == 1:
        e = np.array([v[0] - 0.5, v[0] + 0.5]) if not log else np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        mid = (v[1:] + v[:-1]) / 2
        e = np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
    return np.exp(e) if log else e


def pure_noise_line(K: int) -> float:
    """d/n = (K+1)/2: the pure-noise transition (docs/science.md §5, Gordon comparison)."""
    return (K + 1) / 2


def draw_overlays(ax, overlays: Iterable[Mapping], xlim, ylim):
    """Draw overlay polylines clipped to the plotted range; note off-range ones in the legend.

    A curve is cut to its points inside ``xlim`` x ``ylim`` (the data range), so a bound far
    to the right never stretches the axes; a curve with no point inside is drawn as a legend
    entry only, labelled with where it lies (e.g. "d/n >= 5.67, right of the plotted range").
    """
    for ov in overlays:
        x, y = np.asarray(ov["x"], float), np.asarray(ov["y"], float)
        style = dict(color=ov.get("color", "C0"), ls=ov.get("linestyle", "-"),
                     lw=ov.get("linewidth", 2))
        inside = (x >= xlim[0]) & (x <= xlim[1]) & (y >= ylim[0]) & (y <= ylim[1])
        label = ov.get("label")
        if inside.any():
            ax.plot(np.where(inside, x, np.nan), np.where(inside, y, np.nan), label=label,
                    **style)
            continue
        where = ("right of" if np.nanmin(x) > xlim[1] else "left of" if np.nanmax(x) < xlim[0]
                 else "outside")
        ax.plot([], [], label=f"{label} — {where} the plotted range", **style)


def phase_heatmap(ax, ds: xr.Dataset, var: str = "nc_all_status",
                  overlays: Iterable[Mapping] = (), contour: bool = True,
                  colorbar: bool = True, noise_line: bool = True):
    """P(var feasible) over (d/n, sigma) in real coordinates (log sigma), with overlays.

    var: ``nc_all_status`` (all classes), ``nc_status`` (a class, pooled over classes) or the
    ``sep_*`` counterparts. overlays: mappings with keys x (d/n values), y (sigma values),
    and optional label, color, linestyle, linewidth — drawn as lines on the same axes, so theory
    curves line up with the cells. The vertical line d/n = (K+1)/2 marks the pure-noise
    transition. Returns the QuadMesh.
    """
    dims = ("trial", "class") if "class" in ds[var].dims else ("trial",)
    pr = status.probability(ds[var], dims)
    p = pr.p.transpose("sigma", "d").values
    x = ds.d_over_n.values
    s = ds.sigma.values
    xe, se = _edges(x, log=False), _edges(s, log=True)
    mesh = ax.pcolormesh(xe, se, np.ma.masked_invalid(p), cmap=PROB_CMAP, vmin=0, vmax=1,
                         shading="flat")
    ax.set_yscale("log")
    if contour and p.shape[0] > 1 and p.shape[1] > 1 and np.isfinite(p).any():
        ax.contour(x, s, np.nan_to_num(p, nan=0.5), levels=[0.5], colors="white",
                   linewidths=1.2, linestyles="solid")
    K = int(ds.attrs["K"])
    if noise_line:
        ax.axvline(pure_noise_line(K), color="limegreen", lw=1.5, ls=":",
                   label=f"pure-noise transition d/n=(K+1)/2={pure_noise_line(K):g}")
    draw_overlays(ax, overlays, (xe[0], xe[-1]), (se[0], se[-1]))
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(se[0], se[-1])
    ax.set_xlabel("d / n")
    ax.set_ylabel(r"noise $\sigma$ (with $\|\mu_k\|$ = %g)" % float(ds.attrs.get("mean_norm", 1)))
    und = int(pr.n_undecided.sum())
    if und:
        ax.text(0.01, 0.01, f"{und} undecided (excluded)", transform=ax.transAxes, fontsize=8,
                color="white")
    if colorbar:
        plt.colorbar(mesh, ax=ax, label="P(feasible)")
    return mesh


def _title(ds) -> str:
    return (f"{ds.attrs['grid']}: {ds.attrs['geometry']}, K={ds.attrs['K']}, "
            f"n={ds.attrs['n']}, {ds.sizes['trial']} trials")


def fig_phase_diagram(ds: xr.Dataset, overlays: Iterable[Mapping] = ()):
    """Two panels, one above the other (readable at the report's width): P(all classes
    NC-feasible) and P(class feasible) over (d/n, sigma); the legend below the panels."""
    setup_style()
    fig, axes = plt.subplots(2, 1, figsize=(7.2, 8.4), layout="constrained", sharex=True)
    phase_heatmap(axes[0], ds, "nc_all_status", overlays)
    axes[0].set_title("P(all classes NC-feasible)  (white line: empirical 50%)")
    phase_heatmap(axes[1], ds, "nc_status", overlays)
    axes[1].set_title("P(class NC-feasible), pooled over classes")
    axes[0].set_xlabel("")
    legend_below(fig, axes[:1], ncol=1)
    fig.suptitle(_title(ds))
    return fig


def tidy_probabilities(ds: xr.Dataset, pairs: Mapping[str, str]) -> pd.DataFrame:
    """Long table (d_over_n, sigma, quantity, p, n) of P(feasible) for several variables."""
    rows = []
    for label, var in pairs.items():
        dims = ("trial", "class") if "class" in ds[var].dims else ("trial",)
        pr = status.probability(ds[var], dims)
        df = pr.to_dataframe().reset_index()
        df["d_over_n"] = df["d"] / ds.attrs["n"]
        df["quantity"] = label
        rows.append(df)
    return pd.concat(rows, ignore_index=True)


def fig_separability(datasets: list[xr.Dataset]):
    """P(separable) vs P(NC-feasible), all classes, against d/n; one panel per grid (stacked).

    One distinct (qualitative) colour per sigma, line style per quantity; the legend sits
    under each panel, off the curves.
    """
    setup_style()
    fig, axes = plt.subplots(len(datasets), 1, figsize=(7.4, 4.8 * len(datasets)),
                             squeeze=False, layout="constrained")
    for ax, ds in zip(axes[:, 0], datasets):
        df = tidy_probabilities(ds, {"separable (all classes)": "sep_all_status",
                                     "NC-feasible (all classes)": "nc_all_status"})
        df["noise σ"] = df["sigma"].map(lambda s: f"{s:g}")
        palette = sns.color_palette("tab10" if df["noise σ"].nunique() <= 10 else "husl",
                                    df["noise σ"].nunique())
        sns.lineplot(df, x="d_over_n", y="p", hue="noise σ", style="quantity", markers=True,
                     dashes={"separable (all classes)": (2, 2),
                             "NC-feasible (all classes)": ""}, ax=ax, palette=palette)
        note = coincident_note(df, "d_over_n", "p", ["quantity", "noise σ"])
        ax.set_title(_title(ds) + (f"\n{note}" if note else ""), fontsize=10 if note else None)
        ax.set_xlabel("d / n")
        ax.set_ylabel("probability (decided trials)")
        ax.set_ylim(-0.03, 1.03)
        sns.move_legend(ax, "upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                        frameon=False, title=None)
    return fig


def wilson(k: np.ndarray, n: np.ndarray, conf: float = 0.95):
    """Wilson score interval of a binomial proportion k/n."""
    z = stats.norm.ppf(0.5 + conf / 2)
    n = np.maximum(n, 1)
    p = k / n
    den = 1 + z**2 / n
    c = (p + z**2 / (2 * n)) / den
    h = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return c - h, c + h


def fig_pure_noise(datasets: list[xr.Dataset]):
    """P(class feasible) vs d/n for pure noise, one curve per K (Wilson 95% band), with the
    (K+1)/2 lines of the pure-noise transition (reports/theory.md G3); legend below."""
    setup_style()
    fig, ax = plt.subplots(figsize=(7.4, 5.4), layout="constrained")
    for i, ds in enumerate(sorted(datasets, key=lambda d: d.attrs["K"])):
        K = int(ds.attrs["K"])
        st = ds.nc_status.isel(sigma=0)
        dec = (st != -1).sum(("trial", "class")).values
        feas = (st == 1).sum(("trial", "class")).values
        x = ds.d_over_n.values
        p = feas / np.maximum(dec, 1)
        lo, hi = wilson(feas, dec)
        col = f"C{i}"
        ax.plot(x, p, "o-", color=col, label=f"K={K}, n={ds.attrs['n']} "
                f"({ds.sizes['trial']} trials x K classes)")
        ax.fill_between(x, lo, hi, color=col, alpha=0.2)
        ax.axvline(pure_noise_line(K), color=col, ls=":", lw=1.5,
                   label=f"K={K}: pure-noise transition d/n = (K+1)/2 = {pure_noise_line(K):g}")
    ax.axhline(0.5, color="0.5", lw=0.8, label="P = 1/2")
    ax.set_xlabel("d / n")
    ax.set_ylabel("P(class NC-feasible)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("Pure noise (all means zero): class-LP feasibility")
    legend_under(ax, ncol=1)
    return fig


def fig_real_data(ds: xr.Dataset):
    """Digits: P(class / all classes feasible) and P(separable) vs projection dimension d."""
    setup_style()
    df = tidy_probabilities(ds, {"NC-feasible (all classes)": "nc_all_status",
                                 "NC-feasible (class)": "nc_status",
                                 "separable (all classes)": "sep_all_status"})
    fig, ax = plt.subplots(figsize=(7.4, 5.2), layout="constrained")
    sns.lineplot(df, x="d", y="p", hue="quantity", style="quantity", markers=True, ax=ax)
    sns.move_legend(ax, "upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False,
                    title=None)
    n, N = int(ds.attrs["n"]), int(ds.attrs["N"])
    ax.axvline(n, color="0.4", ls=":", lw=1)
    ax.text(n, 0.5, " d = n", fontsize=8)
    if N <= ds.d.values.max():
        ax.axvline(N, color="0.4", ls="--", lw=1)
        ax.text(N, 0.6, " d = N", fontsize=8)
    ax.set_xlabel("projection dimension d (64 = raw pixels)")
    ax.set_ylabel("probability")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"Digits {ds.attrs.get('classes', '')}: n={n} per class, "
                 f"{ds.sizes['trial']} subsamples")
    return fig
