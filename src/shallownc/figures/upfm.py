"""UPFM figures (reports/upfm.md): Gram matrices, closed form vs numerical sweep, the bridge.

Every function takes datasets read from the NetCDF results and returns a matplotlib figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import coincident_note, legend_under, log_ticks_at, setup_style

FLOOR = 1e-15  # |gap| below this is machine precision for values ~ 1: drawn at the floor
FLOOR_LABEL = f"below {FLOOR:g} (float64 rounding): drawn at {FLOOR:g}"


def fig_gram(ds):
    """Normalized class-mean Gram matrices: one row per (loss, model), columns numerical and
    closed form (a tall layout that reads at the report's width)."""
    setup_style()
    losses, models, sources = list(ds.loss.values), list(ds.model.values), list(ds.source.values)
    K = ds.sizes["class_i"]
    rows = [(loss, model) for loss in losses for model in models]
    fig, axes = plt.subplots(len(rows), len(sources),
                             figsize=(3.4 * len(sources) + 0.4, 3.2 * len(rows) + 0.6),
                             squeeze=False, layout="constrained")
    vmax = 1.0 / np.sqrt(K) * 1.05
    for r, (loss, model) in enumerate(rows):
        for c, src in enumerate(sources):
            ax = axes[r, c]
            G = ds.gram.sel(loss=loss, model=model, source=src).values
            sns.heatmap(G, ax=ax, vmin=-vmax, vmax=vmax, cmap="RdBu_r", annot=K <= 5,
                        fmt=".2f", cbar=False, square=True, annot_kws={"size": 10})
            title = f"{loss.upper()} {model.upper()} ({src.replace('_', ' ')})"
            if src == "numerical":
                title += (f"\nNC2 orth {float(ds.nc2_of.sel(loss=loss, model=model)):.1e}, "
                          f"ETF {float(ds.nc2_etf.sel(loss=loss, model=model)):.1e}")
            ax.set_title(title)
            ax.set_xlabel("class")
            ax.set_ylabel("class")
    fig.suptitle(f"Gram of class means / Frobenius norm, K={ds.attrs['K']}, n={ds.attrs['n']},"
                 f"\nλ_W λ_H = {ds.attrs['ratio']} x UPFM threshold")
    return fig


def _sweep_frame(ds) -> pd.DataFrame:
    cols = ["closed_value", "best_value", "gap_best", "cert_gap_closed", "feature_norm",
            "feature_norm_closed", "frac_starts_at_optimum", "threshold", "lambda_W", "lambda_H"]
    df = ds[cols].to_dataframe().reset_index()
    df["|best - closed|"] = np.maximum(np.abs(df["gap_best"]), FLOOR)
    df["|F* - certified bound|"] = np.maximum(np.abs(df["cert_gap_closed"]), FLOOR)
    df["model"] = df["model"].str.upper()
    df["K, n"] = [f"K={k}, n={n}" for k, n in zip(df["K"], df["n"])]
    return df


def _floor_band(ax, values):
    """Log axis from just below FLOOR; the band under FLOOR marks machine precision."""
    ax.set_yscale("log")
    top = max(float(np.nanmax(values)), FLOOR) * 3
    ax.set_ylim(FLOOR / 3, top)
    ax.axhspan(FLOOR / 3, FLOOR, color="0.85", zorder=0, label=FLOOR_LABEL)


def _collapsed_note(df, y: str, series=("K, n", "model")) -> str:
    """Says how many series coincide entirely at the floor (drawn on top of each other)."""
    g = df.groupby(list(series))[y]
    at_floor = int(sum((v <= FLOOR).all() for _, v in g))
    if at_floor <= 1:
        return ""
    head = "all" if at_floor == g.ngroups else f"{at_floor} of"
    return f"{head} {g.ngroups} series below {FLOOR:g} (on top of each other)"


def fig_sweep(ds):
    """Closed form vs numerical minimizers over lambda_W lambda_H / threshold, K and n (2 x 2).

    Gaps below :data:`FLOOR` are machine precision and drawn on the floor band; a panel says
    how many series lie there on top of each other. One legend below the panels.
    """
    setup_style()
    df = _sweep_frame(ds)
    fig, axes = plt.subplots(2, 2, figsize=(8.2, 8.4), layout="constrained", sharex=True)
    axes = axes.ravel()
    kw = dict(data=df, x="ratio", hue="K, n", style="model", markers=True, dashes=True)
    sns.lineplot(y="closed_value", ax=axes[0], legend=False, **kw)
    axes[0].scatter(df["ratio"], df["best_value"], s=40, facecolors="none", edgecolors="k",
                    linewidths=0.6, label="numerical best (circles)", zorder=3)
    axes[0].set_ylabel("objective (lines: closed form F*)")
    for ax, col, lab in ((axes[1], "|best - closed|", "|best numerical F − F*|"),
                         (axes[2], "|F* - certified bound|", "F* − certified lower bound")):
        sns.lineplot(y=col, ax=ax, legend=False, **kw)
        _floor_band(ax, df[col])
        ax.set_ylabel(lab)
        note = _collapsed_note(df, col)
        if note:
            ax.set_title(note, fontsize=9)
    sns.lineplot(y="feature_norm", ax=axes[3], **kw)
    axes[3].scatter(df["ratio"], df["feature_norm_closed"], marker="x", color="k", s=20,
                    label="closed form ||H||_F", zorder=3)
    axes[3].set_ylabel("||H||_F of the best numerical minimizer")
    for ax, col in ((axes[0], "closed_value"), (axes[3], "feature_norm")):
        note = coincident_note(df, "ratio", col, ["K, n", "model"])  # hidden series named
        if note:
            ax.set_title(note, fontsize=9, wrap=True)
    for ax in axes:
        ax.set_xscale("log")
        ax.axvline(1.0, color="grey", ls=":", lw=1)
    log_ticks_at(axes[0].xaxis, df["ratio"])
    for ax in axes[2:]:
        ax.set_xlabel("λ_W λ_H / UPFM threshold (dotted: 1)")
    handles, labels = axes[3].get_legend_handles_labels()
    axes[3].get_legend().remove()
    for ax in axes[:3]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False)
    loss = ds.attrs["loss"]
    fig.suptitle(f"{loss.upper()} (loss = {ds.attrs['loss_definition']}):\nclosed form vs "
                 f"{ds.attrs['starts']} L-BFGS-B starts")
    return fig


def fig_bridge(ds):
    """F_net - F*: constructed network (feasible data) and best trained network, vs d/n."""
    setup_style()
    st = ds.nc_all_status
    rows = []
    for loss in ds.loss.values:
        for kind, var in (("constructed from LP", "constructed_gap"),
                          ("trained (L-BFGS)", "trained_gap"),
                          ("project trainer (GD)", "gd_gap")):
            if var not in ds:
                continue
            da = ds[var].sel(loss=loss)
            for d in ds.d.values:
                for s in ds.sigma.values:
                    for t in ds.trial.values:
                        v = float(da.sel(d=d, sigma=s, trial=t))
                        if not np.isfinite(v):
                            continue
                        status = {1: "LP feasible", 0: "LP infeasible"}.get(
                            int(st.sel(d=d, sigma=s, trial=t)), "undecided")
                        rows.append({"loss": str(loss).upper(), "kind": kind,
                                     "d/n": d / ds.attrs["n"], "sigma": s,
                                     "status": status, "F_net - F*": max(abs(v), FLOOR),
                                     "negative": v < 0})
    df = pd.DataFrame(rows)
    losses = list(df["loss"].unique()) if len(df) else ["CE"]
    fig, axes = plt.subplots(len(losses) + 1, 1, figsize=(7.4, 5.0 * (len(losses) + 1)),
                             squeeze=False, layout="constrained")
    axes = axes[:, 0]
    palette = {"LP feasible": "tab:blue", "LP infeasible": "tab:red", "undecided": "tab:grey"}
    for ax, loss in zip(axes, losses):
        sub = df[df["loss"] == loss]
        rng = np.random.default_rng(0)
        sub = sub.assign(**{"d/n (jittered)": sub["d/n"] * np.exp(rng.uniform(-0.04, 0.04,
                                                                                len(sub)))})
        sns.scatterplot(data=sub, x="d/n (jittered)", y="F_net - F*", hue="status",
                        style="kind", palette=palette, ax=ax, s=35,
                        markers={"constructed from LP": "X", "trained (L-BFGS)": "o",
                                 "project trainer (GD)": "s"})
        _floor_band(ax, sub["F_net - F*"])
        ax.set_xscale("log")
        log_ticks_at(ax.xaxis, sub["d/n"])
        ax.set_title(f"{loss}: network objective minus UPFM optimum")
        ax.set_ylabel(f"|F_net − F*| (grey: below {FLOOR:g}, rounding)")
        sns.move_legend(ax, "upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                        frameon=False, title=None)
    p = (st == 1).mean(dim="trial")
    for s in ds.sigma.values:
        axes[-1].plot(ds.d.values / ds.attrs["n"], p.sel(sigma=s).values, marker="o",
                      label=f"σ={s:g}")
    axes[-1].set_xscale("log")
    log_ticks_at(axes[-1].xaxis, ds.d.values / ds.attrs["n"])
    axes[-1].set_xlabel("d/n")
    axes[-1].set_ylabel("P(every class LP feasible)")
    axes[-1].set_ylim(-0.05, 1.05)
    legend_under(axes[-1], ncol=2)
    fig.suptitle(f"Bridge, grid {ds.attrs['grid']}: {ds.attrs['geometry']} means, "
                 f"K={ds.attrs['K']}, n={ds.attrs['n']},\nwidth {ds.attrs['width']}, "
                 f"λ_W λ_H = {ds.attrs['ratio']} x threshold")
    return fig
