"""Theory curves of the paper's Figures 1-2 panels, their scores against the verified verdicts,
and the figure's NetCDF (reports/theory.md; paper Theorems 3, 4, 5(a), 5(b)).

The curve formulas common to the project's own phase diagrams (union bound, kinematic /
Gordon comparison, predicted boundary, empirical contours) are shallownc.bounds; this module
adds the paper's own curves (the drawn red line, Theorem 4's explicit sigma, Theorem 5) and
assembles one paper panel (:func:`paper_panel_curves`) and the figure
(:func:`paper_figure_dataset`, rule paper_lp_combine).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from .. import status
from ..bounds import (CURVE_VERSION, empirical_contour, grid_means, kinematic_d_min,
                      mean_margin, predicted_d_over_n, union_sigma_max)
from ..class_sizes import balanced_n


# Curve table: name -> (group, kind, label). kind "sigma": a largest certified sigma at each d
# (certifies sigma < sigma_max(d)); "d": a threshold d/n (certifies d/n >= it, any sigma);
# "boundary": a predicted 50% boundary d/n(sigma) (not a certificate).
PAPER_CURVES = {
    "paper_red_drawn": ("paper (as drawn)", "sigma",
                        "paper red, as drawn: C sqrt((d-n)/d)"),
    "paper_blue_drawn": ("paper (as drawn)", "d", "paper blue, as drawn: d/n = (K+1)/2"),
    "paper_thm4_4_8": ("paper (provable)", "sigma", "Thm 4, (4.8) explicit, eps -> 0"),
    "paper_thm5a_2_16": ("paper (provable)", "sigma", "Thm 5(a), (2.16), eps -> 0"),
    "paper_thm5b_2_17": ("paper (provable)", "d", "Thm 5(b), (2.17)"),
    "paper_thm3b": ("paper (provable)", "d", "Thm 3(b)/5(c): d >= Kn"),
    "ours_union": ("ours", "sigma", "ours: union bound (U4)"),
    "ours_kinematic": ("ours", "d", "ours: kinematic bound (K2)"),
    "ours_predicted": ("ours", "boundary", "ours: predicted 50% boundary (P3-P4)"),
}


def drawn_red_sigma(d, n: int, C: float) -> np.ndarray:
    """The paper's red curve as drawn in Figures 1-2: sigma = C sqrt((d - n)/d) (paper.md;
    C read off the figure); 0 for d <= n."""
    n = balanced_n(n, None, "paper.curves.drawn_red_sigma (paper Theorem 3)")
    d = np.asarray(d, float)
    return C * np.sqrt(np.clip(d - n, 0, None) / d)


def constant_one_C(K: int, n: int, angle_deg: float | None = None,
                   mean_norm: float = 1.0) -> dict:
    """Constants C of sigma = C sqrt((d-n)/d) in the paper's bounds with every unspecified
    constant set to 1 and eps -> 0 (for comparison with the drawn C):

    * Theorem 4, paper (2.13)/(2.14): C = min||mu_k|| / sqrt(log n), times sin(theta) when
      cos(theta) >= 0 (the (|cos| + 4 eps/(1-eps)^2)^2 term -> cos^2);
    * the same with log(Kn) (the log of (2.16)): C = min||mu_k|| g(theta) / sqrt((K-1) log(Kn)).
    """
    n = balanced_n(n, K, "paper.curves.constant_one_C (paper Theorem 3)")
    g = 1.0
    if angle_deg is not None:
        c = math.cos(math.radians(angle_deg))
        g = 1.0 if c < 0 else math.sqrt(max(0.0, 1 - c * c))
    return {"thm4_log_n": mean_norm * g / math.sqrt(math.log(n)),
            "log_Kn": mean_norm * g / math.sqrt((K - 1) * math.log(K * n))}


def thm4_explicit_sigma(d, n: int, angle_deg: float, mean_norm: float = 1.0) -> np.ndarray:
    """Largest sigma certified by the explicit condition (4.8) of Theorem 4's proof, eps -> 0.

    (4.8): 2 sigma sqrt(log n) + f* <= 0 with -f* = ||Phi^T mu_2|| sqrt(1 - cos^2 theta~)
    (||Phi^T mu_2|| when cos theta~ < 0), Phi an orthonormal basis of null(Z_1^T) (d - n
    columns). With eps -> 0 the JL step gives ||Phi^T mu|| = sqrt((d - n)/d) ||mu|| and
    theta~ = theta, so sigma = sqrt((d - n)/d) ||mu|| g(theta) / (2 sqrt(log n)),
    g = 1 (cos theta < 0) or sin theta. K = 2 only; 0 for d <= n.
    """
    n = balanced_n(n, None, "paper.curves.thm4_explicit_sigma (paper Theorem 4)")
    c = math.cos(math.radians(angle_deg))
    g = 1.0 if c < 0 else math.sqrt(max(0.0, 1 - c * c))
    d = np.asarray(d, float)
    return np.sqrt(np.clip(d - n, 0, None) / d) * mean_norm * g / (2 * math.sqrt(math.log(n)))


def thm5a_sigma(d, n: int, K: int, smin_pi: float) -> np.ndarray:
    """Largest sigma of Theorem 5(a), paper (2.16), with eps -> 0:
    sigma = (1/2) sqrt((d - n) s_min(Pi)^2 / ((K - 1) d log(Kn))), Pi = [mu_1 .. mu_K]^T.
    0 for d <= n or s_min(Pi) = 0 (Pi not of full row rank: the theorem does not apply)."""
    n = balanced_n(n, K, "paper.curves.thm5a_sigma (paper Theorem 5)")
    d = np.asarray(d, float)
    return 0.5 * np.sqrt(np.clip(d - n, 0, None) * smin_pi ** 2 / ((K - 1) * d
                                                                   * math.log(K * n)))


def thm5b_d_over_n(n: int, K: int) -> float:
    """Theorem 5(b), paper (2.17): d/n >= (K+1)/2 + 2 sqrt((K-1) log n / n) + (K + 2 log n)/n."""
    n = balanced_n(n, K, "paper.curves.thm5b_d_over_n (paper Theorem 5)")
    return (K + 1) / 2 + 2 * math.sqrt((K - 1) * math.log(n) / n) + (K + 2 * math.log(n)) / n


def _boundary_from_sigma_max(smax_fine: np.ndarray, d_fine: np.ndarray, n: int,
                             sigma: np.ndarray) -> np.ndarray:
    """d/n(sigma): smallest fine d whose certified sigma_max exceeds sigma (NaN if none)."""
    out = np.full(len(sigma), np.nan)
    for i, s in enumerate(sigma):
        ok = smax_fine > s
        if ok.any():
            out[i] = d_fine[np.argmax(ok)] / n
    return out


def paper_panel_curves(M: np.ndarray, n: int, d_grid, sigma_grid, *, angle_deg=None,
                       drawn_C=None, delta: float = 0.05, starts: int = 4) -> xr.Dataset:
    """Every curve of :data:`PAPER_CURVES` for one panel (fixed means M, d x K with d >= K).

    Returns (curve, d) ``certified_sigma_max`` (+inf / 0 for d-threshold curves, which hold
    for sigma > 0 only: at sigma = 0 the data are the means, rank X = K; NaN for the
    prediction), (curve, d, sigma) ``certified``, (curve, sigma) ``boundary_d_over_n``, the
    fine (curve, d_fine) ``sigma_max_fine`` for drawing and (curve) ``d_over_n_threshold``.
    A curve that does not apply (e.g. theta = 0, s_min(Pi) = 0, K != 2) certifies nothing.
    """
    n = balanced_n(n, None, "paper.curves.paper_panel_curves (paper Theorem 3)")
    K = M.shape[1]
    d_grid = np.asarray(d_grid, int)
    sig = np.asarray(sigma_grid, float)
    d_fine = np.arange(n, int(d_grid.max()) + 1)
    rank = int(np.linalg.matrix_rank(M))
    gamma = float(mean_margin(M).min())
    smin_pi = float(np.linalg.svd(M, compute_uv=False).min()) if rank == K else 0.0
    norm = float(np.linalg.norm(M, axis=0).min())
    sig_fns = {
        "paper_red_drawn": (lambda d: drawn_red_sigma(d, n, drawn_C)) if drawn_C else None,
        "paper_thm4_4_8": (lambda d: thm4_explicit_sigma(d, n, angle_deg, norm))
        if K == 2 and angle_deg is not None else None,
        "paper_thm5a_2_16": lambda d: thm5a_sigma(d, n, K, smin_pi),
        "ours_union": lambda d: union_sigma_max(d, n, K, rank, gamma, delta),
    }
    thresholds = {"paper_blue_drawn": (K + 1) / 2, "paper_thm5b_2_17": thm5b_d_over_n(n, K),
                  "paper_thm3b": float(K), "ours_kinematic":
                  kinematic_d_min(n, K, rank, delta) / n}
    pred = np.full(len(sig), np.nan)
    pos = sig > 0
    if pos.any():
        pred[pos] = predicted_d_over_n(M, sig[pos], n, starts)
    names = list(PAPER_CURVES)
    C, D_, S = len(names), len(d_grid), len(sig)
    smax = np.full((C, D_), np.nan)
    fine = np.full((C, len(d_fine)), np.nan)
    bnd = np.full((C, S), np.nan)
    thr = np.full(C, np.nan)
    cert = np.zeros((C, D_, S), dtype=np.int8)
    for i, name in enumerate(names):
        kind = PAPER_CURVES[name][1]
        if kind == "sigma":
            fn = sig_fns[name]
            if fn is None:
                continue
            smax[i] = fn(d_grid)
            fine[i] = fn(d_fine)
            bnd[i] = _boundary_from_sigma_max(fine[i], d_fine, n, sig)
            cert[i] = smax[i][:, None] > sig[None, :]
        elif kind == "d":
            thr[i] = thresholds[name]
            ok = d_grid / n >= thr[i] - 1e-12
            smax[i] = np.where(ok, np.inf, 0.0)
            bnd[i] = np.where(pos, thr[i] if thr[i] <= d_grid.max() / n else np.nan, np.nan)
            # statements about Gaussian noise (rank X = Kn, kinematic formula): sigma > 0 only
            cert[i] = ok[:, None] & pos[None, :]
        else:
            bnd[i] = pred
            cert[i] = (d_grid[:, None] / n >= pred[None, :]).astype(np.int8)
    u = {"units": "1"}
    return xr.Dataset(
        {"certified_sigma_max": (("curve", "d"), smax, {"units": "same as sigma",
            "description": "largest sigma the curve certifies at d (inf: every sigma; 0: "
                           "none; NaN: a prediction, not a certificate)"}),
         "certified": (("curve", "d", "sigma"), cert, {**u, "description":
            "1 where the curve certifies the cell (for ours_predicted: predicted feasible, "
            "d/n >= predicted boundary; not a certificate)"}),
         "boundary_d_over_n": (("curve", "sigma"), bnd, {**u, "description":
            "the curve read as a boundary: smallest d/n it certifies at this sigma (NaN: none "
            "within the grid)"}),
         "sigma_max_fine": (("curve", "d_fine"), fine, {"units": "same as sigma",
            "description": "sigma-curves on every integer d (for drawing)"}),
         "d_over_n_threshold": (("curve",), thr, {**u, "description":
            "d/n of the vertical-line curves (NaN for the others)"})},
        coords={"curve": ("curve", names, {"description": "curve name (PAPER_CURVES)"}),
                "d_fine": ("d_fine", d_fine, {"description": "input dimension (every "
                                                             "integer)", "units": "1"})})


def curve_scores(curves: xr.Dataset, p: xr.DataArray, d_over_n, level: float) -> xr.Dataset:
    """Per curve, against an empirical success rate p(d, sigma) (NaN = nothing decided):

    capture: share of empirically feasible cells (p >= level) the curve certifies;
    certified_infeasible: share of certified cells that are empirically infeasible
    (p <= 1 - level): a sound bound keeps it near 0;
    certified_not_feasible: share of certified cells with p < level;
    max_gap: largest |boundary - empirical 50% contour| over sigma, in d/n (both finite).
    """
    pv = p.transpose("d", "sigma").values
    known = np.isfinite(pv)
    feas, infeas = known & (pv >= level), known & (pv <= 1 - level)
    x = np.asarray(d_over_n, float)
    emp = np.array([empirical_contour(pv[:, j], x) for j in range(pv.shape[1])])
    out = {k: [] for k in ("capture", "certified_infeasible", "certified_not_feasible",
                           "max_gap", "certified_cells")}
    for name in curves.curve.values:
        c = (curves.certified.sel(curve=name).transpose("d", "sigma").values == 1) & known
        nc = int(c.sum())
        out["certified_cells"].append(nc)
        out["capture"].append(float((c & feas).sum() / feas.sum()) if feas.any() else np.nan)
        out["certified_infeasible"].append(float((c & infeas).sum() / nc) if nc else np.nan)
        out["certified_not_feasible"].append(float((c & ~feas).sum() / nc) if nc else np.nan)
        gap = np.abs(curves.boundary_d_over_n.sel(curve=name).values - emp)
        out["max_gap"].append(float(np.nanmax(gap)) if np.isfinite(gap).any() else np.nan)
    desc = {"capture": "share of empirically feasible cells (p >= level) the curve certifies",
            "certified_infeasible": "share of certified cells that are empirically infeasible "
                                    "(p <= 1 - level)",
            "certified_not_feasible": "share of certified cells with p < level",
            "max_gap": "largest |curve boundary - empirical 50% contour| over sigma, in d/n",
            "certified_cells": "number of cells the curve certifies (cells with a decided "
                               "trial)"}
    ds = xr.Dataset({k: (("curve",), np.asarray(v), {"units": "1", "description": desc[k]})
                     for k, v in out.items()}, coords={"curve": curves.curve.values})
    ds["empirical_50"] = (("sigma",), emp, {"units": "1", "description":
                          "empirical 50% contour in d/n (first crossing from below)"})
    return ds.assign_coords(sigma=p.sigma.values)


def paper_figure_dataset(panels: dict, grids: dict, block: dict) -> xr.Dataset:
    """One paper figure (Figures 1-2): the panels' verdicts, every curve, and the curve scores
    against the class-1 rate (the paper's quantity) and P(all classes) (when solved).

    ``panels``: panel name -> combined verdict Dataset (paper.lp.paper_run_job parts);
    ``grids``: panel name -> Grid; ``block``: the validated ``paper.figN`` config.
    """
    names = list(panels)
    drawn = list(block["drawn_red_C"]) + [None] * len(names)
    parts = []
    for i, name in enumerate(names):
        ds, g = panels[name], grids[name]
        M = grid_means(g)
        angle = g.angle_deg if g.geometry == "angle" else None
        cur = paper_panel_curves(M, g.n, ds.d.values, ds.sigma.values, angle_deg=angle,
                                 drawn_C=drawn[i], delta=block["delta"],
                                 starts=block["prediction_starts"])
        quantities = {"class1": "class1_status"}
        if "nc_all_status" in ds:
            quantities["all"] = "nc_all_status"
        sc = []
        for q, var in quantities.items():
            pr = status.probability(ds[var])
            ds[f"p_{q}"] = pr.p.transpose("d", "sigma")
            ds[f"p_{q}"].attrs = {"units": "1", "description":
                f"empirical success rate of {var} over decided trials (status 1 or 0)"}
            ds[f"n_undecided_{q}"] = pr.n_undecided.transpose("d", "sigma")
            ds[f"n_undecided_{q}"].attrs = {"units": "1", "description":
                f"trials of {var} not decided by a proof (status -1 or -2)"}
            sc.append(curve_scores(cur, pr.p, ds.d_over_n.values, block["level"])
                      .expand_dims(quantity=[q]))
        scores = xr.concat(sc, "quantity", join="outer")
        scores = scores.rename({v: f"score_{v}" for v in scores.data_vars})
        keep = {k: ds.attrs[k] for k in ("K", "n", "N", "geometry", "mean_norm")}
        part = xr.merge([ds, cur, scores], join="outer", compat="no_conflicts",
                        combine_attrs="override")  # keeps every variable's attributes
        parts.append(part.expand_dims(panel=[name]).assign_coords(
            panel_angle_deg=("panel", [float(g.angle_deg) if angle is not None else np.nan])))
    out = xr.concat(parts, "panel", join="outer", data_vars="all", coords="different",
                    compat="equals", combine_attrs="override")
    out.attrs = {}
    for v in [v for v in out.data_vars if "panel" not in out[v].dims]:
        out[v] = out[v].expand_dims(panel=names)
    out.coords["d_over_n"].attrs = {"description": "d / n", "units": "1"}
    out.coords["panel_angle_deg"].attrs = {"units": "degree",
                                           "description": "angle between mu_1 and mu_2"}
    out.coords["panel"].attrs = {"description": "panel of the figure"}
    out.coords["quantity"].attrs = {"description": "class1: the class-1 LP success rate (the "
                                    "paper's quantity); all: P(all class LPs feasible) = P(NC)"}
    out.attrs.update({**keep, "level": block["level"], "delta": block["delta"],
                      "classes": block["classes"], "trials": block["trials"],
                      "search": block["search"], "noise_design": NOISE_DESIGNS[block["search"]],
                      "curves_json": json_curves(), "curve_version": CURVE_VERSION})
    return out


# How the noise draws of a paper LP figure's cells relate (config paper.figN.search), as the
# figure's title and caption state it.
NOISE_DESIGNS = {
    "independent": "independent noise per cell (the paper's design)",
    "every_cell": "one noise draw per (d, trial), shared across sigma",
    "bisect_d": "one noise draw per trial, shared across sigma and d",
}


def json_curves() -> str:
    """The curve table (name -> group, kind, label) as JSON, stored with every figure."""
    import json
    return json.dumps({k: {"group": g, "kind": kd, "label": lb}
                       for k, (g, kd, lb) in PAPER_CURVES.items()})
