"""Imbalance figures (reports/imbalance.md): vanishing thresholds, per-class phase diagrams,
trained per-class feature norms across the threshold. Inputs are the stage's NetCDF datasets."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import legend_below, setup_style

# Every figure here is at most PANEL_W inches wide (~1100 px at figures.DPI with the colour
# bar): the report shows it near full size; several panels are stacked in rows.
PANEL_W = 7.6


def fig_threshold(curves: list, checks=None):
    """r*(lambda) per (k_A, k_B): UPFM minority vanishing (CE, I7) vs plain-UFM minority
    collapse (Hong & Ling 2024); the region above a curve is collapsed/vanished."""
    setup_style()
    fig, axes = plt.subplots(len(curves), 1, figsize=(PANEL_W, 4.4 * len(curves)),
                             squeeze=False, layout="constrained")
    for ax, ds in zip(axes[:, 0], curves):
        lam = ds.lam.values
        ax.plot(lam, ds.r_upfm_ce, color="C3", lw=2,
                label="UPFM (ReLU features): minority vanishes (CE, I7)")
        if ds.attrs["k_B"] >= 2:
            ax.plot(lam, ds.r_ufm_hong_ling, color="C0", ls="--", lw=2,
                    label="plain UFM + bias: minority collapse (Hong & Ling 2024)")
        if "check_spread" in ds:
            # numerical UFM checks at r = 2 (n_A = 2 n_B): filled = minority collapsed
            N = 2 * ds.attrs["n_B"] * ds.attrs["k_A"] + ds.attrs["n_B"] * ds.attrs["k_B"]
            lam_c = ds.check_factor.values * np.sqrt(ds.attrs["n_B"]) / N
            gone = ds.check_spread.values < 1e-6
            ax.plot(lam_c[gone], np.full(gone.sum(), 2.0), "o", color="C0", ms=7,
                    label="UFM + bias, L-BFGS: minority merged")
            ax.plot(lam_c[~gone], np.full((~gone).sum(), 2.0), "o", color="C0", mfc="none",
                    ms=7, label="UFM + bias, L-BFGS: minority distinct")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1, _top(ax, 1e3))
        ax.set_xlabel(r"$\lambda=\sqrt{\lambda_W\lambda_H}$")
        ax.set_ylabel(r"imbalance ratio $r=n_A/n_B$")
        ax.set_title(f"K = {ds.attrs['K']}: k_A = {ds.attrs['k_A']}, k_B = {ds.attrs['k_B']}, "
                     f"n_B = {ds.attrs['n_B']}\n(above a curve: minority gone)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    return fig


def fig_phase(ds):
    """Per-class and all-class feasibility rates of (I8) over (x, sigma), theory lines that
    carry over with n_k (I§6) where x is d/n."""
    setup_style()
    K, k_A = ds.sizes["class"], int(ds.attrs["k_A"])
    cols = [("all classes", ds.p_all), ("majority class LP", ds.p_class.isel({"class": 0})),
            ("minority class LP", ds.p_class.isel({"class": K - 1}))]
    fig, axes = plt.subplots(3, 1, figsize=(PANEL_W, 3.1 * 3 + 1.2), layout="constrained")
    x, s = ds.x.values, ds.sigma.values
    for ax, (title, p) in zip(axes, cols):
        im = ax.pcolormesh(np.arange(x.size + 1), np.arange(s.size + 1), p.values.T,
                           cmap="gray", vmin=0, vmax=1)
        labels = [f"{v:g}" for v in x]
        if ds.attrs["x_axis"] == "ratio":
            # Theorem 3(b') (d >= N: every LP feasible) and the kinematic comparison (I11, all
            # classes, 1 - delta), both derived with the class sizes, under the tick
            for i in range(x.size):
                marks = ("b'" if int(ds.d[i]) >= int(ds.N[i]) else "") + \
                    (" k" if int(ds.d[i]) >= int(ds.d_min_kin_all[i]) else "")
                labels[i] += "\n" + (marks.strip() or "-")
        ax.set_xticks(np.arange(x.size) + 0.5, labels)
        ax.set_yticks(np.arange(s.size) + 0.5, [f"{v:g}" for v in s])
        ax.set_xlabel("imbalance ratio r = n_A/n_B" if ds.attrs["x_axis"] == "ratio"
                      else "d / n_A")
        ax.set_ylabel("sigma")
        ax.set_title(title)
        und = (ds[f"undecided_{'all' if title.startswith('all') else 'class'}"])
        if "class" in und.dims:
            und = und.isel({"class": 0 if "majority" in title else K - 1})
        for (i, j), u in np.ndenumerate(und.values):
            if u > 0:
                ax.text(i + 0.5, j + 0.5, f"{int(u)}?", ha="center", va="center", color="C1")
        if ds.attrs["x_axis"] == "d_over_n":
            n_A = ds.attrs["n_A"]
            dn = ds.d.values / n_A

            def xpos(dv):
                """Column position of d = dv (linear between column centres); outside the
                plotted d range a line would be misplaced at the edge: NaN (not drawn)."""
                v = dv / n_A
                if v < dn[0] or v > dn[-1]:
                    return np.nan
                return np.interp(v, dn, np.arange(dn.size) + 0.5)
            _vline(ax, xpos(int(ds.N[0])), color="C2", lw=2, label="d = N (Thm 3(b'))")
            _vline(ax, xpos(n_A), color="C3", ls=":", lw=2, label="d = n_A (Thm 3(c'))")
            _vline(ax, xpos(int(ds.d_min_kin_all[0])), color="C0", ls="--", lw=2,
                   label="kinematic, all classes (I11)")
            if "d_half_major" in ds and not title.startswith("all"):
                key = "major" if "majority" in title else "minor"
                _vline(ax, xpos(int(ds[f"d_half_{key}"][0])), color="C1", ls="-.", lw=2,
                       label="pure-noise 50% point of this LP (I10)")
        if "verdict" in ds and title.startswith("all"):
            from ..status import REACHED
            reached = (ds.verdict == REACHED).sum("trial").values
            for (i, j), r in np.ndenumerate(reached):
                ax.text(i + 0.5, j + 0.5, f"{int(r)}/{ds.sizes['trial']}", ha="center",
                        va="center", color="C2", fontsize=9, fontweight="bold")
    fig.colorbar(im, ax=axes, shrink=0.6, label="fraction feasible (decided trials)")
    if ds.attrs["x_axis"] == "ratio":
        fig.supxlabel("under a tick: b' = d >= N (Theorem 3(b') with n_k, all LPs feasible);\n"
                      "k = kinematic comparison (I11) certifies all LPs at 1 - delta"
                      + (";\ngreen n/T: trained nets reaching the imbalanced F*" if "verdict"
                         in ds else ""), fontsize=9)
    fixed = (f"d/n_A = {ds.attrs['fixed_d_over_n']:g}" if ds.attrs["x_axis"] == "ratio"
             else f"r = {ds.attrs['fixed_ratio']:g}")
    fig.suptitle(f"{ds.attrs['panel']}: {ds.attrs['geometry']}, K = {K} (k_A = {k_A}), "
                 f"n_A = {ds.attrs['n_A']}, {fixed}\n'?': undecided trials")
    if ds.attrs["x_axis"] == "d_over_n" and any(ax.get_lines() for ax in axes):
        legend_below(fig, axes, ncol=2)
    return fig


def fig_sweep(ds):
    """Trained per-class feature norms (markers: float64 L-BFGS, and the GD-recipe arm when the
    file has it) vs the closed form (lines) across the minority threshold (lambda factor 1),
    and the gaps to the imbalanced F*."""
    setup_style()
    K = ds.sizes["class"]
    f = ds.lambda_factor.values
    fig, axes = plt.subplots(2, 1, figsize=(PANEL_W, 8.6), layout="constrained")
    ax = axes[0]
    names = ["majority" if k == 0 else ("minority" if k == K - 1 else f"class {k}")
             for k in range(K)]
    for k in range(K):
        ax.plot(f, ds.h_closed.isel({"class": k, "trial": 0}), color=f"C{k}", lw=2,
                label=f"closed form (I3), {names[k]}")
        for t in range(ds.sizes["trial"]):
            ax.plot(f, ds.h_trained.isel({"class": k, "trial": t}), "o", color=f"C{k}",
                    mfc="none", ms=7, label=f"L-BFGS, {names[k]}" if t == 0 else None)
            if "h_gd" in ds:
                ax.plot(f, ds.h_gd.isel({"class": k, "trial": t}), "x", color=f"C{k}", ms=7,
                        mew=2, label=f"GD recipe, {names[k]}" if t == 0 else None)
    ax.axvline(1.0, color="k", ls=":", label="minority threshold theta_B (I4)")
    _factor_axis(ax, f)
    ax.set_xlabel(r"$\lambda_W\lambda_H/\theta_B$")
    ax.set_ylabel("class-mean feature norm ||h̄_k||")
    ax.set_title(f"sizes {ds.attrs['sizes']}, d = {ds.attrs['d']}, sigma = {ds.attrs['sigma']}")
    ax = axes[1]
    arms = [("gap", "s-", "0.35", "L-BFGS, one line per data set")]
    if "gap_gd" in ds:
        arms.append(("gap_gd", "x--", "C4", "GD recipe, one line per data set"))
    for var, style, color, label in arms:
        g = np.maximum(ds[var].values, 1e-16)
        for t in range(ds.sizes["trial"]):
            ax.plot(f, g[:, t], style, color=color, mew=2, label=label if t == 0 else None)
    _factor_axis(ax, f)
    ax.set_yscale("log")
    ax.axvline(1.0, color="k", ls=":")
    # the verdict's tolerance rel_tol F* at each factor (imbalance.verdict), drawn as data
    ax.plot(f, ds.attrs["rel_tol"] * ds.F_star.mean("trial").values, color="C2", ls="--",
            label="verdict tolerance rel_tol F*")
    ax.set_xlabel(r"$\lambda_W\lambda_H/\theta_B$")
    ax.set_ylabel("F_net - F* (imbalanced)\nfloor 1e-16")
    ax.set_title("gap of the trained networks to the imbalanced F*")
    legend_below(fig, axes, ncol=2)
    return fig


def _factor_axis(ax, f):
    """Log x axis with plain tick labels at the swept lambda factors."""
    ax.set_xscale("log")
    shown, last = [], -np.inf
    for v in f:        # label a tick only if it is >= 35% beyond the last labelled one
        shown.append(f"{v:g}" if np.log(v) - last >= np.log(1.35) else "")
        last = np.log(v) if shown[-1] else last
    ax.set_xticks(f, shown)
    ax.minorticks_off()


def _top(ax, cap: float) -> float:
    """Upper y limit of a log panel: half a decade above the highest finite plotted value,
    at most ``cap`` (curves above it leave the panel: the region they bound is all "gone")."""
    ys = [np.asarray(ln.get_ydata(), float) for ln in ax.get_lines()]
    ys = np.concatenate([y[np.isfinite(y) & (y > 0)] for y in ys]) if ys else np.empty(0)
    return float(min(cap, 10 ** (np.log10(ys.max()) + 0.3))) if ys.size else cap


def _vline(ax, pos, **kw):
    """axvline at ``pos`` unless it is NaN (outside the plotted range: no line, no legend)."""
    if np.isfinite(pos):
        ax.axvline(pos, **kw)
