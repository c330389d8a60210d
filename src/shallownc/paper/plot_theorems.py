"""Panels of the paper's Theorem 6 and Theorems 7-8 (results/paper/theorem6.nc, theorem78.nc)."""

from __future__ import annotations

import numpy as np

from ..figures import save, setup_style
from .. import io
from .theorems import bound_228

T6_REQUIRED = ["feature_rank", "nc_all_status", "width", "threshold_theorem6",
               "threshold_corrected", "lambda_min_lemma9", "lambda_min_corrected", "N"]
T78_REQUIRED = ["best_nc_error_lower", "best_nc_error_upper", "nc_all_status", "bound_228",
                "bound_228_large_s", "bayes_error", "theorem8_applies"]


def plot_theorem6(path_nc: str, path_png: str):
    """P(full rank) and P(NC) of relu(W1^T X) vs d1 with Theorem 6's width threshold."""
    import matplotlib.pyplot as plt

    ds = io.read_netcdf(path_nc, required_vars=T6_REQUIRED)
    setup_style()
    fig, axes = plt.subplots(ds.sizes["data"], 1, figsize=(7, 4.2 * ds.sizes["data"]))  # stacked: <= 1400 px wide
    for ax, name in zip(np.atleast_1d(axes), ds.data.values):
        s = ds.sel(data=name)
        N = int(s.N)
        w = s.width.values
        ax.plot(w, (s.feature_rank == N).mean("trial"), "o-", label="P(rank relu(W1ᵀX) = N)")
        ax.plot(w, (s.nc_all_status == 1).mean("trial"), "s-", label="P(NC): all class LPs "
                                                                      "feasible (verified)")
        thr = float(s.threshold_corrected)
        ax.axvline(N, color="grey", ls=":", lw=1, label="d1 = N")
        ax.set_xscale("log")
        ax.set_xlim(w.min() / 1.5, max(w.max(), N) * 3)
        ax.annotate(f"Theorem 6 threshold ‖X‖⁴/λ_min² N log N\n(constant 1, corrected H∞): "
                    f"{thr:.3g}\n= {thr / N:.3g} N, off this axis\n"
                    f"λ_min corrected {float(s.lambda_min_corrected):.3g}; as printed "
                    f"(Lemma 9) {float(s.lambda_min_lemma9):.3g} < 0",
                    xy=(0.02, 0.55), xycoords="axes fraction", fontsize=7,
                    bbox=dict(fc="white", ec="0.7"))
        ax.set_xlabel("first-layer width d1")
        ax.set_ylabel("fraction of W1 draws")
        ax.set_title(f"{name}: N = {N}, ‖X‖ = {float(s.norm_X):.3g}", fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Paper Theorem 6 (three-layer, random first layer): width threshold vs observed "
                 "full-rank and NC transitions", fontsize=10)
    fig.tight_layout()
    return save(fig, path_png)


def plot_theorem78(path_nc: str, path_png: str):
    """Error vs s = sigma/||mu|| per d/n: exact best-NC bracket, (2.28) with the file's c1, c2
    (solid where Theorem 8 applies, d >= 2 n log n), its large-s form, and the Bayes error."""
    import matplotlib.pyplot as plt

    ds = io.read_netcdf(path_nc, required_vars=T78_REQUIRED)
    setup_style()
    dns = ds.d_over_n.values
    fig, axes = plt.subplots(1, len(dns), figsize=(4.2 * len(dns), 4.2), sharey=True)
    n = int(ds.attrs["n"])
    sf = np.geomspace(float(1 / ds.snr.max()), float(1 / ds.snr.min()), 200)
    for ax, dn in zip(np.atleast_1d(axes), dns):
        s = ds.sel(d_over_n=dn)
        x = 1.0 / s.snr.values
        nc = s.nc_all_status == 1
        lo = s.best_nc_error_lower.where(nc).mean("trial").values
        hi = s.best_nc_error_upper.where(nc).mean("trial").values
        ok = np.isfinite(lo)
        ax.fill_between(x[ok], lo[ok], np.where(np.isfinite(hi), hi, lo)[ok], color="C0",
                        alpha=0.25, lw=0)
        ax.plot(x[ok], lo[ok], "o-", color="C0", label="ours: exact best NC error L* (mean)")
        applies = bool(s.theorem8_applies)
        ax.plot(sf, bound_228(sf, float(s.d), n, ds.attrs["c1"], ds.attrs["c2"]),
                "-" if applies else ":", color="C3",
                label=f"(2.28), c1 = {ds.attrs['c1']:g}, c2 = {ds.attrs['c2']:g}"
                      + ("" if applies else " (d < 2n log n: not claimed)"))
        cmin = float(ds.attrs.get("agreement_smallest_common_c", np.nan))
        if applies and np.isfinite(cmin) and cmin > 0:
            ax.plot(sf, bound_228(sf, float(s.d), n, cmin, cmin), "-.", color="C1",
                    label=f"(2.28) with c1 = c2 = {cmin:.3g}: smallest constants our exact "
                          "errors allow")
        ax.plot(x, s.bound_228_large_s, "x--", color="C3", ms=4, lw=0.8,
                label="large-s form 1 − Φ(√(d/n) s^(−3/2))")
        ax.plot(x, s.bayes_error.mean("trial"), "k:", label="Bayes error")
        ax.set_xscale("log")
        ax.set_xlabel("s = σ / ‖μ‖")
        ax.set_title(f"d/n = {dn:g} (d = {int(s.d)})", fontsize=9)
    np.atleast_1d(axes)[0].set_ylabel("test error")
    np.atleast_1d(axes)[0].legend(fontsize=6)
    fig.suptitle(f"Paper Theorems 7-8: the NC error bound (2.28) beside the exact best NC error "
                 f"(K = 2, μ1 = −μ2, n = {n}; 2n log n = {float(ds.attrs['two_n_log_n']):.0f})",
                 fontsize=10)
    fig.tight_layout()
    return save(fig, path_png)
