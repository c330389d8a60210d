"""The paper's Theorem 6 (random first layer) and Theorems 7-8 (generalization) as panels.

* Theorem 6 (reports/paper.md T6): for a data set with unit-norm columns, lambda_min of H_inf
  (shallownc.paper.kernels, three versions), ||X||, the width threshold ||X||^4/lambda_min^2 N log N,
  and the observed rank and class-LP verdicts of relu(W1^T X) over d1 (W1 Gaussian; the random
  features and their verified LP verdicts are shallownc.random_features'). Data: the real data
  sets of ``theorem6.real_data`` (digits and/or Fashion-MNIST, prepared as Figure 6's:
  shallownc.paper.training.real_balanced) and a K = 2 Gaussian mixture.
* Theorems 7-8 (T78): the lower bound (2.28) on the test error of every NC solution, K = 2,
  mu_1 = -mu_2, s = sigma/||mu||,
      err >= 1 - Phi( A^{-1/2} ),
      A = (n/(2d)) (s^3 e^{-1/(2 s^2)}/sqrt(2 pi) + s^2 + 1 - (c1 s^2 + c2 s) sqrt(log n / n)) + s^2,
  (claimed for d >= 2 n log n; c1, c2 > 0 unspecified), its large-s form
  1 - Phi(sqrt(d/n) s^{-3/2}) (paper, up to constants), beside our exact best-NC error bracket
  (shallownc.generalization.run_theory: [L*, U*] on every training set).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import xarray as xr
from scipy.special import ndtr

from .. import data as D
from . import kernels
from ..class_sizes import balanced_n, dimension
from ..objective import NORMALIZATION

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- Theorem 6

def gaussian_unit_data(n: int, d: int, sigma: float, base_seed: int):
    """K = 2, mu_1 = -mu_2 = e_1, x = mu_k + sigma z, then every column scaled to unit norm."""
    X, y, _M, seed = D.GMMSpec("antipodal", 2, int(n), int(d), float(sigma)).draw(base_seed, 0)
    return kernels.unit_columns(X), y, seed


#: columns used by the Monte Carlo check of H_inf (evenly spaced; the check is entrywise)
MC_COLUMNS = 300


def kernel_summary(X: np.ndarray, mc_samples: int, seed: int) -> dict:
    """lambda_min of the three H_inf versions, ||X||, thresholds, and the Monte Carlo check of
    the corrected H_inf on MC_COLUMNS evenly spaced columns (entrywise max error)."""
    out = {"norm_X": float(np.linalg.norm(X, 2)), "N": X.shape[1]}
    for c in kernels.CENTRINGS:
        H = kernels.h_inf(X, c)
        out[f"lambda_min_{c}"] = kernels.lambda_min(H)
        out[f"diag_{c}"] = float(np.diag(H).mean())
        out[f"threshold_{c}"] = kernels.width_threshold(X, out[f"lambda_min_{c}"])
    cols = np.unique(np.linspace(0, X.shape[1] - 1, min(MC_COLUMNS, X.shape[1])).astype(int))
    Xs = X[:, cols]
    Hmc = kernels.h_inf_monte_carlo(Xs, mc_samples, seed, "corrected")
    out["mc_max_abs_error"] = float(np.abs(Hmc - kernels.h_inf(Xs, "corrected")).max())
    out["mc_columns"] = float(cols.size)
    return out


def observe_widths(X: np.ndarray, y: np.ndarray, widths, trials: int, base_seed: int,
                   name: str, solver_cfg: dict):
    """rank(relu(W1^T X)) and the all-class LP verdict for every (d1, trial)."""
    from .. import feasibility as F
    from .. import random_features as RF

    opts = F.SolverOptions.from_config(solver_cfg)
    rank = np.zeros((len(widths), trials), dtype=np.int64)
    status = np.zeros((len(widths), trials), dtype=np.int8)
    for i, d1 in enumerate(widths):
        for t in range(trials):
            H = RF.features(X, int(d1), D.cell_seed(base_seed, t, purpose="theorem6_W1",
                                                     data=name, d1=int(d1)))
            rank[i, t] = RF.numerical_rank(H)
            status[i, t] = F.all_classes_status([v.status for v in RF.solve_features(H, y, opts)])
        log.info("theorem 6 %s d1=%d: full rank %d/%d, NC %d/%d", name, d1,
                 int((rank[i] == X.shape[1]).sum()), trials, int((status[i] == 1).sum()), trials)
    return rank, status


def first_width(widths, p: np.ndarray, level: float = 0.5) -> float:
    """Smallest d1 of the grid with p >= level (NaN if none)."""
    ok = np.flatnonzero(np.asarray(p) >= level)
    return float(widths[ok[0]]) if ok.size else float("nan")


def run_theorem6(cfg: dict, fig6_cfg: dict, base_seed: int, solver_cfg: dict,
                 fashion_path=None) -> xr.Dataset:
    """Theorem 6 panel data for the real data sets ``cfg["real_data"]`` (prepared as Figure
    6's; ``fashion_path`` = data.fashion_mnist.path) and the Gaussian set (module docstring)."""
    from .training import data_seed, real_balanced

    sets = {name: real_balanced(name, n, data_seed(base_seed, name), fashion_path)
            for name, n in cfg["real_data"].items()}
    g = cfg["gaussian"]
    Xg, yg, _ = gaussian_unit_data(g["n"], dimension(g["d_over_n"], g["n"]), g["sigma"], base_seed)
    sets["gaussian"] = (Xg, yg)
    ratios = np.asarray(sorted(cfg["d1_over_N"]), float)
    T = int(cfg["trials"])
    per = {}
    for name, (X, y) in sets.items():
        N = X.shape[1]
        widths = np.unique(np.maximum(1, np.round(ratios * N).astype(int)))
        if widths.size != ratios.size:
            raise ValueError(f"theorem6.d1_over_N gives duplicate widths for N = {N}")
        ks = kernel_summary(X, int(cfg["mc_samples"]), D.cell_seed(base_seed, 0, purpose="mc",
                                                                    data=name))
        rank, status = observe_widths(X, y, widths, T, base_seed, name, solver_cfg)
        p_rank, p_nc = (rank == N).mean(axis=1), (status == 1).mean(axis=1)
        ks.update(observed_full_rank_d1=first_width(widths, p_rank),
                  observed_nc_d1=first_width(widths, p_nc))
        per[name] = (widths, rank, status, ks)
    return _theorem6_dataset(per, ratios, T, cfg)


def _theorem6_dataset(per: dict, ratios, T: int, cfg: dict) -> xr.Dataset:
    names = list(per)
    scal = list(per[names[0]][3])
    data = {k: (("data",), np.array([per[n][3][k] for n in names], dtype=float),
                {"description": _t6_desc(k), "units": "1"}) for k in scal}
    data["width"] = (("data", "d1_over_N"), np.stack([per[n][0] for n in names]),
                     {"description": "first-layer width d1 = round(d1_over_N N)", "units": "1"})
    data["feature_rank"] = (("data", "d1_over_N", "trial"), np.stack([per[n][1] for n in names]),
                            {"description": "numerical rank of relu(W1^T X) "
                             "(random_features.numerical_rank)", "units": "1"})
    data["nc_all_status"] = (("data", "d1_over_N", "trial"),
                             np.stack([per[n][2] for n in names]),
                             {"description": "verified all-class LP verdict on relu(W1^T X) "
                              "(1 feasible = NC, 0 infeasible, -1 undecided, -2 infeasible "
                              "within radius)", "units": "1"})
    return xr.Dataset(data, coords={"data": names, "d1_over_N": ratios, "trial": np.arange(T)},
                      attrs={"theorem": "paper Theorem 6, Lemma 9", "derivation":
                             "reports/paper.md T6; shallownc.paper.kernels",
                             "gaussian": str(cfg["gaussian"]), "mc_samples": cfg["mc_samples"],
                             "normalization": NORMALIZATION})


_T6_DESC = {
    "norm": "spectral norm ||X|| of the unit-column data",
    "N": "number of samples N",
    "lambda": "lambda_min of H_inf in the named version (kernels.h_inf)",
    "diag": "mean diagonal of H_inf in the named version",
    "threshold": "Theorem 6 width ||X||^4/lambda_min^2 N log N (constant 1; NaN if "
                 "lambda_min <= 0)",
    "mc_max_abs_error": "max |H_inf(Monte Carlo) - H_inf(closed form)|, corrected version",
    "mc_columns": "number of (evenly spaced) columns of X in the Monte Carlo check",
    "observed_full_rank_d1": "smallest d1 of the grid with P(rank relu(W1^T X) = N) >= 1/2",
    "observed_nc_d1": "smallest d1 of the grid with P(all class LPs feasible) >= 1/2",
}


def _t6_desc(key: str) -> str:
    if key in _T6_DESC:
        return _T6_DESC[key]
    return f"{_T6_DESC[key.split('_')[0]]}: {key.split('_', 1)[1].replace('_', ' ')}"


# --------------------------------------------------------------------------- Theorems 7-8

def bound_228(s, d, n: int, c1: float = 0.0, c2: float = 0.0):
    """Paper (2.28): lower bound on the test error of every NC solution (module docstring)."""
    n = balanced_n(n, None, "paper_theorems.bound_228 (paper (2.28))")
    s = np.asarray(s, dtype=np.float64)
    d = np.asarray(d, dtype=np.float64)
    if (s <= 0).any() or (d <= 0).any() or n < 2 or c1 < 0 or c2 < 0:
        raise ValueError("need s > 0, d > 0, n >= 2, c1, c2 >= 0")
    inner = (s ** 3 * np.exp(-1.0 / (2 * s ** 2)) / np.sqrt(2 * np.pi) + s ** 2 + 1
             - (c1 * s ** 2 + c2 * s) * np.sqrt(np.log(n) / n))
    A = n / (2 * d) * inner + s ** 2
    return 1.0 - ndtr(1.0 / np.sqrt(np.maximum(A, 1e-300)))


def bound_228_large_s(s, d, n: int, with_constant: bool = False):
    """Large-s form of (2.28): 1 - Phi(sqrt(d/n) s^{-3/2}) as the paper writes it; with
    ``with_constant`` the exact leading term 1 - Phi(sqrt(2 sqrt(2 pi) d/n) s^{-3/2})."""
    n = balanced_n(n, None, "paper_theorems.bound_228_large_s (paper (2.28))")
    s = np.asarray(s, dtype=np.float64)
    k = np.sqrt(2 * np.sqrt(2 * np.pi)) if with_constant else 1.0
    return 1.0 - ndtr(k * np.sqrt(np.asarray(d, float) / n) * s ** -1.5)


def theorem78_experiment(cfg: dict) -> dict:
    """The generalization experiment of the T78 grid, validated against the generalization
    schema (which fills the remaining settings: no defaults restated here)."""
    from ..config import validate

    exp = {"geometry": "antipodal", "n": int(cfg["n"]), "mean_norm": 1.0,
           "snr": [float(v) for v in cfg["snr"]], "d_over_n": [float(v) for v in cfg["d_over_n"]],
           "trials": int(cfg["trials"]), "refine_trials": 0, "trained": {"enabled": False}}
    return validate({"generalization": {"experiments": {"theorem78": exp}}})[
        "generalization"]["experiments"]["theorem78"]


def run_theorem78(cfg: dict, base_seed: int, solver_cfg: dict) -> xr.Dataset:
    """Exact best-NC error bracket (generalization.run_theory) and (2.28) on the same grid."""
    from .. import feasibility as F
    from .. import generalization as G

    exp = theorem78_experiment(cfg)
    ds = G.run_theory(exp, base_seed, F.SolverOptions.from_config(solver_cfg), log=log)
    n = exp["n"]
    s = 1.0 / ds.snr
    d = ds["d"]
    env = bound_228(*xr.broadcast(s, d), n, float(cfg["c1"]), float(cfg["c2"]))
    ds["bound_228"] = (s * d).copy(data=np.asarray(env))
    ds["bound_228"].attrs = {"description": f"paper (2.28) with c1 = {cfg['c1']}, c2 = "
                             f"{cfg['c2']} (claimed for d >= 2 n log n)", "units": "1"}
    ds["bound_228_large_s"] = (s * d).copy(data=np.asarray(bound_228_large_s(
        *xr.broadcast(s, d), n)))
    ds["bound_228_large_s"].attrs = {"description": "1 - Phi(sqrt(d/n) s^{-3/2}), the paper's "
                                     "large-s form of (2.28)", "units": "1"}
    ds["theorem8_applies"] = ("d_over_n", (ds["d"].values >= 2 * n * math.log(n)).astype(np.int8),
                              {"description": "1 if d >= 2 n log n (Theorem 8's condition)",
                               "units": "1"})
    ds.attrs.update({"theorem": "paper Theorems 7-8, bound (2.28)", "n": n, "c1": float(cfg["c1"]),
                     "c2": float(cfg["c2"]), "two_n_log_n": 2 * n * math.log(n),
                     "derivation": "reports/paper.md T78", "normalization": NORMALIZATION})
    ds.attrs.update({f"agreement_{k}": float(v) for k, v in theorem78_agreement(ds).items()})
    return ds


def smallest_common_constant(s, d, n: int, err, c_max: float = 1e4) -> float:
    """Smallest c >= 0 with (2.28)(c1 = c2 = c) <= err at every point (bisection; (2.28) is
    decreasing in c): the constants the exact best-NC errors ``err`` force on the bound."""
    n = balanced_n(n, None, "paper_theorems.smallest_common_constant (paper (2.28))")
    s, d, err = (np.asarray(v, dtype=np.float64).ravel() for v in (s, d, err))

    def worst(c):
        return float(np.max(bound_228(s, d, n, c, c) - err))

    if s.size == 0 or worst(0.0) <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    while worst(hi) > 0:
        lo, hi = hi, 2 * hi
        if hi > c_max:
            return float("inf")
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if worst(mid) > 0 else (lo, mid)
    return hi


def theorem78_agreement(ds: xr.Dataset) -> dict:
    """Where Theorem 8 applies (d >= 2 n log n) and the training set is NC: share of cells
    whose exact best-NC lower end L* is >= the (2.28) value (the bound holds), the largest
    violation, and the smallest common constant c1 = c2 that makes (2.28) hold on all of them."""
    ok = (ds["nc_all_status"] == 1) & (ds["theorem8_applies"] == 1)
    diff = (ds["best_nc_error_lower"] - ds["bound_228"]).where(ok)
    m = int(ok.sum())
    if not m:
        return {"cells": 0}
    s, d, lo = xr.broadcast(1.0 / ds.snr, ds["d"], ds["best_nc_error_lower"])
    mask = ok.broadcast_like(lo).values
    c = smallest_common_constant(s.values[mask], d.values[mask], int(ds.attrs["n"]),
                                 lo.values[mask])
    return {"cells": m, "share_bound_holds": float((diff >= -1e-12).sum()) / m,
            "largest_violation": float(-diff.min()), "median_margin": float(diff.median()),
            "smallest_common_c": c}
