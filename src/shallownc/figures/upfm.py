"""UPFM figures (reports/upfm.md): Gram matrices, closed form vs numerical sweep, the bridge.

Every function takes datasets read from the NetCDF results and returns a matplotlib figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import setup_style

FLOOR = 1e-17  # |gap| below this is drawn at the floor (float64 rounding of values ~ 1)


def fig_gram(ds):
    """Normalized class-mean Gram matrices: rows loss, columns (model, numerical/closed form)."""
    setup_style()
    losses, models, sources = list(ds.loss.values), list(ds.model.values), list(ds.source.values)
    K = ds.sizes["class_i"]
    fig, axes = plt.subplots(len(losses), len(models) * len(sources),
                             figsize=(3.1 * len(models) * len(sources), 2.9 * len(losses)),
                             squeeze=False)
    vmax = 1.0 / np.sqrt(K) * 1.05
    for a, loss in enumerate(losses):
        for b, model in enumerate(models):
            for c, src in enumerate(sources):
                ax = axes[a, b * len(sources) + c]
                G = ds.gram.sel(loss=loss, model=model, source=src).values
                sns.heatmap(G, ax=ax, vmin=-vmax, vmax=vmax, cmap="RdBu_r", annot=K <= 5,
                            fmt=".2f", cbar=False, square=True, annot_kws={"size": 7})
                title = f"{loss.upper()} {model.upper()} ({src.replace('_', ' ')})"
                if src == "numerical":
                    title += (f"\nNC2 orth {float(ds.nc2_of.sel(loss=loss, model=model)):.1e}, "
                              f"ETF {float(ds.nc2_etf.sel(loss=loss, model=model)):.1e}")
                ax.set_title(title, fontsize=8)
                ax.set_xlabel("class")
                ax.set_ylabel("class")
    fig.suptitle(f"Gram of class means / Frobenius norm, K={ds.attrs['K']}, n={ds.attrs['n']}, "
                 f"lambda_W lambda_H = {ds.attrs['ratio']} x UPFM threshold", fontsize=10)
    fig.tight_layout()
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


def fig_sweep(ds):
    """Closed form vs numerical minimizers over lambda_W lambda_H / threshold, K and n."""
    setup_style()
    df = _sweep_frame(ds)
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.2))
    kw = dict(data=df, x="ratio", hue="K, n", style="model", markers=True, dashes=True)
    sns.lineplot(y="closed_value", ax=axes[0], legend=False, **kw)
    axes[0].scatter(df["ratio"], df["best_value"], s=40, facecolors="none", edgecolors="k",
                    linewidths=0.6, label="numerical best", zorder=3)
    axes[0].set_ylabel("objective (lines: closed form F*)")
    axes[0].legend(loc="lower right", fontsize=7)
    sns.lineplot(y="|best - closed|", ax=axes[1], legend=False, **kw)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("|best numerical F - F*|")
    sns.lineplot(y="|F* - certified bound|", ax=axes[2], legend=False, **kw)
    axes[2].set_yscale("log")
    axes[2].set_ylabel("F* - certified lower bound")
    sns.lineplot(y="feature_norm", ax=axes[3], **kw)
    axes[3].scatter(df["ratio"], df["feature_norm_closed"], marker="x", color="k", s=14,
                    label="closed form", zorder=3)
    axes[3].set_ylabel("||H||_F of the best numerical minimizer")
    axes[3].legend(fontsize=6, loc="upper right", ncol=2)
    for ax in axes:
        ax.set_xscale("log")
        ax.axvline(1.0, color="grey", ls=":", lw=1)
        ax.set_xlabel("lambda_W lambda_H / UPFM threshold")
    loss = ds.attrs["loss"]
    fig.suptitle(f"{loss.upper()} (loss = {ds.attrs['loss_definition']}): closed form vs "
                 f"{ds.attrs['starts']} L-BFGS-B starts; dotted: UPFM zero-solution threshold",
                 fontsize=10)
    fig.tight_layout()
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
    fig, axes = plt.subplots(1, len(losses) + 1, figsize=(5.2 * (len(losses) + 1), 4.2),
                             squeeze=False)
    axes = axes[0]
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
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_title(f"{loss}: network objective minus UPFM optimum", fontsize=9)
        ax.legend(fontsize=7)
    p = (st == 1).mean(dim="trial")
    for s in ds.sigma.values:
        axes[-1].plot(ds.d.values / ds.attrs["n"], p.sel(sigma=s).values, marker="o",
                      label=f"sigma={s:g}")
    axes[-1].set_xscale("log")
    axes[-1].set_xlabel("d/n")
    axes[-1].set_ylabel("fraction of data sets with every class LP feasible")
    axes[-1].set_ylim(-0.05, 1.05)
    axes[-1].legend(fontsize=7)
    fig.suptitle(f"Bridge, grid {ds.attrs['grid']}: {ds.attrs['geometry']} means, "
                 f"K={ds.attrs['K']}, n={ds.attrs['n']}, width {ds.attrs['width']}, "
                 f"lambda_W lambda_H = {ds.attrs['ratio']} x threshold "
                 f"(|values| < {FLOOR:g} drawn at the floor)", fontsize=9)
    fig.tight_layout()
    return fig
