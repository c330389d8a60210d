"""Figures of the generalization stage (read only from results/generalization/<name>.nc).

Panels (reports/generalization.md, docs/science.md §8):
(a, b, ...) test error versus SNR = ||mu||/sigma at the chosen d/n values: the best NC test
    error (its exact bracket [L*, U*], mean over the trials whose training set is NC-feasible),
    the lower bound of those same training sets (E5) and its mean-field value, the Bayes error,
    trained networks (mean +- standard error over trials; filled markers when every net
    collapsed, NC1 below the threshold); the fraction of NC-feasible training sets on a twin
    axis, with a vertical marker where it first reaches 1/2.
(last) the same over d/n at the low SNR: NC happens everywhere to the right of the
    pure-noise threshold while the error stays above the bound.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from . import legend_below, save, setup_style
from .. import io
from ..class_sizes import dimension

REQUIRED = ["best_nc_error_lower", "best_nc_error_upper", "nc_all_status", "bound_meanfield",
            "bound_instance",
            "bayes_error", "trained", "trained_test_error", "trained_collapsed"]


def summarize(ds: xr.Dataset, dim: str, sel: dict) -> dict:
    """Means over trials along ``dim`` at ``sel`` (one value of the other grid coordinate)."""
    sub = ds.sel(sel)
    nc = sub["nc_all_status"] == 1
    decided = sub["nc_all_status"] >= 0
    out = {"x": sub[dim].values,
           "p_nc": (nc.sum("trial") / decided.sum("trial")).values,
           "lower": sub["best_nc_error_lower"].where(nc).mean("trial").values,
           "upper": sub["best_nc_error_upper"].where(nc).mean("trial").values,
           "bound": sub["bound_instance"].where(nc).mean("trial").values,
           "meanfield": sub["bound_meanfield"].values,
           "bayes": sub["bayes_error"].mean("trial").values}
    tr = sub["trained"] == 1
    e = sub["trained_test_error"].where(tr)
    cnt = tr.sum("trial")
    out["trained_mean"] = e.mean("trial").values
    out["trained_se"] = (e.std("trial", ddof=1) / np.sqrt(cnt.where(cnt > 1))).values
    out["trained_all_collapsed"] = (sub["trained_collapsed"].where(tr).min("trial") == 1).values
    out["trained_any"] = (cnt > 0).values
    return out


def _panel(ax, s: dict, xlabel: str, logx: bool, title: str):
    import matplotlib.pyplot as plt  # noqa: F401  (backend chosen in figures/__init__)

    x = s["x"]
    ok = np.isfinite(s["lower"])
    ax.fill_between(x[ok], s["lower"][ok], s["upper"][ok], color="C0", alpha=0.25, lw=0)
    ax.plot(x[ok], s["lower"][ok], "o-", color="C0", label="best NC error, lower end L*")
    ax.plot(x[ok], s["upper"][ok], "s--", color="C0", ms=4,
            label="best NC error, upper end U* (explicit NC net)")
    ax.plot(x[ok], s["bound"][ok], "^-", color="k", lw=1.5, ms=4,
            label="NC lower bound of the same training sets (E5)")
    ax.plot(x, s["meanfield"], "--", color="k", lw=0.9,
            label="mean-field bound max(Phi(-snr sqrt(1-(n-1)/d)), Bayes)")
    ax.plot(x, s["bayes"], ":", color="0.4", label="Bayes error")
    tm = s["trained_any"] & np.isfinite(s["trained_mean"])
    if tm.any():
        col = s["trained_all_collapsed"][tm]
        se = np.nan_to_num(s["trained_se"][tm])
        ax.errorbar(x[tm], s["trained_mean"][tm], yerr=se, fmt="none", ecolor="C3", capsize=2)
        ax.scatter(x[tm][col], s["trained_mean"][tm][col], marker="D", color="C3", zorder=3,
                   label="trained nets (all collapsed)")
        ax.scatter(x[tm][~col], s["trained_mean"][tm][~col], marker="D", facecolor="white",
                   edgecolor="C3", zorder=3, label="trained nets (not all collapsed)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test error (ties count as errors)")
    ax.set_ylim(-0.01, 0.6)
    if logx:
        from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(x))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(ScalarFormatter())
    ax2 = ax.twinx()
    ax2.step(x, s["p_nc"], where="mid", color="C2", alpha=0.7, lw=1.2)
    ax2.set_ylim(-0.02, 1.02)
    ax2.set_ylabel("P(training set NC-feasible)", color="C2")
    ax2.tick_params(axis="y", colors="C2")
    ax2.grid(False)
    _half_marker(ax, x, s["p_nc"])
    ax.set_title(title)
    return ax


def _half_marker(ax, x, p_nc):
    """Where P(NC-feasible) first reaches 1/2: a dashed line where the green step rises
    (midway between grid points, as ``step(where="mid")`` draws it), never on the axis edge;
    when it holds from the first point on, the legend says so instead."""
    half = np.flatnonzero(p_nc >= 0.5)
    if not half.size:
        ax.plot([], [], color="C2", ls="--", lw=1, label="P(NC feasible) < 1/2 everywhere shown")
        return
    i = int(half[0])
    if i == 0:
        ax.plot([], [], color="C2", ls="--", lw=1,
                label="P(NC feasible) >= 1/2 from the first point shown")
        return
    mid = (float(x[i - 1]) + float(x[i])) / 2  # step(where="mid") rises here, log axis too
    ax.axvline(mid, color="C2", ls="--", lw=1, label="P(NC feasible) reaches 1/2 here")


def choose_panels(ds: xr.Dataset) -> tuple[list, float]:
    """(d/n values of the SNR panels, snr of the d/n panel) from the attributes, or by the
    rule of the schema (smallest d/n fully NC-feasible at the largest SNR, and the largest)."""
    dns = [float(v) for v in json.loads(ds.attrs.get("panel_d_over_n", "[]"))]
    if not dns:
        full = (ds["nc_all_status"].isel(snr=-1) == 1).all("trial").values
        vals = ds.d_over_n.values
        dns = sorted({float(vals[np.flatnonzero(full)[0]]) if full.any() else float(vals[0]),
                      float(vals[-1])})
    snr = float(ds.attrs.get("low_snr", 0) or 0) or float(ds.snr.values.min())
    return dns, snr


def plot_experiment(path_nc, path_png):
    """Figure of one experiment: one panel over SNR per chosen d/n, one over d/n."""
    import matplotlib.pyplot as plt

    ds = io.read_netcdf(path_nc, required_vars=REQUIRED,
                        required_dims=["snr", "d_over_n", "trial"])
    setup_style()
    dns, snr = choose_panels(ds)
    n = int(ds.attrs["n"])
    geo = ds.attrs["geometry"] + (f" {ds.attrs['angle_deg']:g} deg"
                                  if ds.attrs["geometry"] == "angle" else "")
    npan = len(dns) + 1
    fig, axes = plt.subplots(npan, 1, figsize=(8.6, 4.4 * npan + 1.2), layout="constrained")
    for p, dn in enumerate(dns):
        a = summarize(ds, "snr", {"d_over_n": dn})
        _panel(axes[p], a, "SNR = ||mu|| / sigma", True,
               f"({chr(97 + p)}) d/n = {dn:g} (d = {dimension(dn, n)}), n = {n}, {geo}")
    b = summarize(ds, "d_over_n", {"snr": snr})
    _panel(axes[-1], b, "d / n", False,
           f"({chr(97 + npan - 1)}) low SNR ||mu||/sigma = {snr:g}, n = {n}, {geo}")
    axes[-1].axvline(1.5, color="0.6", lw=0.8, ls="-.",
                     label="pure-noise NC threshold d/n = (K+1)/2 = 1.5")
    legend_below(fig, axes, ncol=2)
    T = ds.sizes["trial"]
    fig.suptitle(f"Neural collapse vs test error ({ds.attrs.get('experiment', '')}, "
                 f"{T} training sets per cell;\nNC error averaged over NC-feasible ones; "
                 "green: P(training set NC-feasible), right axis)")
    return save(fig, path_png)
