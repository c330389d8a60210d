"""Three-layer network with a fixed random first layer: NC-feasibility vs the width d1.

docs/science.md §6: features H = relu(W1 X) with W1 (d1 x d) Gaussian and fixed; the global minimizer
of the remaining two layers is collapsed exactly when every class LP of docs/science.md §4 is
feasible on H (shallownc.feasibility.class_lp(H, y, k), verified verdicts).

Reference widths drawn with the experiment (reports/theory.md §4, eq. R1-R3):
  n log n, N log N   the talk's scaling (n or N: unresolved, both shown);
  N                  rank H = N makes every class LP feasible (eq. R1, full-rank shortcut);
  2N + ...           d1 at which P(rank H = N) >= 1 - delta when X has full column rank (eq. R2);
  delta(C)           (K+1) n/2 - 1/2: predicted transition for noise-like inputs (eq. R3).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr
from scipy import stats

from . import bounds as B
from . import data as D
from . import feasibility as F
from . import phase
from . import sweep as SW
from .class_sizes import balanced_n
from .grid import Cell, Grid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RFExperiment:
    """One random-feature experiment: a one-cell GMM grid (input d, sigma, trials; the grid
    model of shallownc.grid) and the first-layer widths d1."""
    grid: Grid
    widths: tuple

    @classmethod
    def from_config(cls, name: str, s: dict) -> "RFExperiment":
        N = s["K"] * s["n"]
        widths = tuple(sorted({max(1, round(r * N)) for r in s["d1_over_N"]}))
        grid = Grid(name=name, kind="random_features", source="gmm", geometry=s["geometry"],
                    K=s["K"], n=s["n"], d=(s["d"],), sigma=(float(s["sigma"]),),
                    trials=s["trials"], mean_norm=float(s["mean_norm"]),
                    angle_deg=float(s["angle_deg"]))
        return cls(grid, widths)

    def as_dict(self) -> dict:
        return {"grid": self.grid.as_dict(), "widths": list(self.widths)}

    @classmethod
    def from_dict(cls, spec: dict) -> "RFExperiment":
        return cls(Grid.from_dict(spec["grid"]), tuple(int(w) for w in spec["widths"]))


def settings_from_config(config: dict) -> dict[str, RFExperiment]:
    """Random-feature experiments of a validated config (bounds.random_features)."""
    return {name: RFExperiment.from_config(name, s)
            for name, s in config.get("bounds", {}).get("random_features", {}).items()}


def features(X: np.ndarray, d1: int, seed: int) -> np.ndarray:
    """H = relu(W1 X), W1 with i.i.d. N(0, 1) entries (scale is irrelevant for feasibility)."""
    W1 = np.random.default_rng(seed).standard_normal((d1, X.shape[0]))
    return np.maximum(W1 @ X, 0.0)


def numerical_rank(H: np.ndarray) -> int:
    """Numerical rank of H (m x n), cheaper than numpy's SVD-based matrix_rank at the Figure 6
    sizes (2500-20000 x 5000: the SVD took minutes on 2 shared cores, issue 22).

    Nearly square H (min/max >= 0.8; there the smallest singular values of random features
    are tiny): column-pivoted QR (Golub & Van Loan, Matrix Computations, 4th ed., §5.4.2), the
    number of |R_ii| above max(m, n) eps |R_11|, matrix_rank's level. Otherwise the
    eigenvalues of the smaller Gram matrix (H H^T or H^T H): the number above
    max(m, n) eps lambda_max, i.e. singular values above sqrt(max(m, n) eps) sigma_max (the
    Gram's eigenvalues are accurate to about eps lambda_max, Weyl, so this is the level it
    resolves; for well-conditioned, non-square random features it gives matrix_rank's answer).
    """
    from scipy.linalg import eigvalsh, qr

    H = np.asarray(H, dtype=np.float64)
    m, n = H.shape
    if not H.size or not np.any(H):
        return 0
    tol = max(m, n) * np.finfo(float).eps
    if min(m, n) >= 0.8 * max(m, n):
        R = qr(H if m >= n else H.T, mode="r", pivoting=True, check_finite=False)[0]
        d = np.abs(np.diag(R))
        return int((d > tol * d[0]).sum())
    lam = eigvalsh(H @ H.T if m <= n else H.T @ H, check_finite=False)
    return int((lam > tol * lam[-1]).sum())


def solve_features(H: np.ndarray, y: np.ndarray, opts: F.SolverOptions) -> list:
    """Verified class-LP verdicts on the features.

    ReLU features often have exactly singular square blocks (dead neurons); should an exact
    shortcut of the LP engine raise on one (numpy LinAlgError), the class LPs are re-solved
    without shortcuts — still verified — and the fallback is logged.
    """
    try:
        nc, _ = F.solve_classes(H, y, opts, separability=False)
    except np.linalg.LinAlgError as exc:
        log.warning("LP shortcut raised %s on singular features (d1 = %d); re-solving without "
                    "shortcuts", exc, H.shape[0])
        nc, _ = F.solve_classes(H, y, replace(opts, shortcuts=False), separability=False)
    return nc


def rank_width(N: int, delta: float) -> int:
    """Smallest d1 with P(Bin(d1, 1/2) >= N) >= 1 - delta (eq. R2)."""
    d1 = N
    while stats.binom.sf(N - 1, d1, 0.5) < 1 - delta:
        d1 += 1
    return d1


def reference_widths(K: int, n: int, delta: float) -> dict:
    """The reference lines of the figure (module docstring)."""
    n = balanced_n(n, K, "random_features.reference_widths")
    N = K * n
    return {"n_log_n": n * math.log(n), "N_log_N": N * math.log(N), "N": float(N),
            "rank_width": float(rank_width(N, delta)),
            "stat_dim": B.stat_dim_cone(n, K)}


_G5 = ("d", "sigma", "trial", "d1", "class")
RF_VARIABLES = (
    SW.Variable("nc_status", _G5, None, "verified verdict of the class LP on H = relu(W1 X) "
                "(docs/science.md 4, 6)", np.int8, F.UNDECIDED, phase.STATUS_ATTRS),
    SW.Variable("feature_rank", _G5[:4], "1", "numerical rank of H (rank N makes every class "
                "LP feasible, reports/theory.md eq. R1)", np.int64, 0),
    SW.Variable("seed", _G5[:3], None, "seed of the input data (shallownc.data.cell_seed)",
                np.uint64, 0),
)


def rf_cell(cell: Cell, *, base_seed: int, widths: tuple, opts: F.SolverOptions) -> dict:
    """Cell function: one input data set X, then for every width d1 a fresh W1 (seed
    ``Grid.sub_seed(..., "rf_W1", d1=d1)``), its rank and the verified class LPs on H."""
    out = {"nc_status": [], "feature_rank": [], "seed": []}
    for s in cell.sigmas:
        X, y, seed, _ = cell.draw(base_seed, s)
        st, rk = [], []
        for d1 in widths:
            H = features(X, d1, cell.grid.sub_seed(base_seed, cell.trial, "rf_W1", d1=int(d1)))
            rk.append(np.linalg.matrix_rank(H))
            st.append([v.status for v in solve_features(H, y, opts)])
        out["nc_status"].append(st)
        out["feature_rank"].append(rk)
        out["seed"].append(seed)
    return out


def run_setting(s: RFExperiment, base_seed: int, opts: F.SolverOptions,
                delta: float) -> xr.Dataset:
    """Verified class-LP verdicts on relu(W1 X) for every width and trial (dims d1, trial,
    class), swept by shallownc.sweep over the experiment's one-cell grid."""
    t0 = time.perf_counter()
    g = s.grid
    K, N = g.K, g.K * g.n
    fn = functools.partial(rf_cell, base_seed=base_seed, widths=s.widths, opts=opts)
    ds = SW.sweep(g, fn, RF_VARIABLES, trials_per_job=g.trials, coords={
        "d1": (np.asarray(s.widths), {"description": "first-layer width", "units": "1"}),
        "class": (np.arange(K), {"description": "class index k"})})
    ds = ds.isel(d=0, sigma=0, drop=True)
    ds = ds.assign(nc_status=ds.nc_status.transpose("d1", "trial", "class"),
                   feature_rank=ds.feature_rank.transpose("d1", "trial"))
    ds["nc_all_status"] = phase.all_classes(ds.nc_status)
    ds["nc_all_status"].attrs = {**phase.STATUS_ATTRS, "description":
                                 "all classes together (any infeasible -> 0, any undecided -> -1)"}
    ds = ds.assign_coords(  # (re)set last: derived variables replace the index attributes
        trial=("trial", ds.trial.values, {"description": "independent (X, W1) draw"}),
        d1=("d1", ds.d1.values, {"description": "first-layer width", "units": "1"}),
        d1_over_N=("d1", np.asarray(s.widths) / N, {"description": "d1 / N", "units": "1"}))
    ref = reference_widths(K, g.n, delta)
    ds.attrs.update({"setting": g.name, "geometry": g.geometry, "K": K, "n": g.n, "N": N,
                     "d": g.d[0], "sigma": g.sigma[0], "mean_norm": g.mean_norm,
                     "angle_deg": g.angle_deg, "delta": delta,
                     "snr_definition": D.SNR_DEFINITION,
                     **{f"ref_{k}": float(v) for k, v in ref.items()}})
    p = phase.probability(ds.nc_all_status).p.values
    ds.attrs["empirical_d1_50"] = B.empirical_contour(p, ds.d1.values)
    log.info("random features %s: %d widths x %d trials in %.1f s; 50%% at d1 = %.1f",
             g.name, len(s.widths), g.trials, time.perf_counter() - t0,
             ds.attrs["empirical_d1_50"])
    return ds
