"""Three-layer network with a fixed random first layer: NC-feasibility vs the width d1.

science.md §6: features H = relu(W1 X) with W1 (d1 x d) Gaussian and fixed; the global minimizer
of the remaining two layers is collapsed exactly when every class LP of science.md §4 is
feasible on H (shallownc.feasibility.class_lp(H, y, k), verified verdicts).

Reference widths drawn with the experiment (reports/theory.md §4, eq. R1-R3):
  n log n, N log N   the talk's scaling (n or N: unresolved, both shown);
  N                  rank H = N makes every class LP feasible (eq. R1, full-rank shortcut);
  2N + ...           d1 at which P(rank H = N) >= 1 - delta when X has full column rank (eq. R2);
  delta(C)           (K+1) n/2 - 1/2: predicted transition for noise-like inputs (eq. R3).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import xarray as xr
from scipy import stats

from . import bounds as B
from . import data as D
from . import feasibility as F
from . import phase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RFSetting:
    """One random-feature experiment: GMM input (K, n, d, sigma) and the widths d1."""
    name: str
    geometry: str
    K: int
    n: int
    d: int
    sigma: float
    widths: tuple
    trials: int
    mean_norm: float = 1.0
    angle_deg: float = 120.0

    def as_dict(self):
        return asdict(self)


def settings_from_config(config: dict) -> dict[str, RFSetting]:
    """Random-feature settings of a validated config (bounds.random_features)."""
    out = {}
    for name, s in config.get("bounds", {}).get("random_features", {}).items():
        N = s["K"] * s["n"]
        widths = tuple(sorted({max(1, round(r * N)) for r in s["d1_over_N"]}))
        out[name] = RFSetting(name=name, geometry=s["geometry"], K=s["K"], n=s["n"], d=s["d"],
                              sigma=float(s["sigma"]), widths=widths, trials=s["trials"],
                              mean_norm=float(s["mean_norm"]), angle_deg=float(s["angle_deg"]))
    return out


def features(X: np.ndarray, d1: int, seed: int) -> np.ndarray:
    """H = relu(W1 X), W1 with i.i.d. N(0, 1) entries (scale is irrelevant for feasibility)."""
    W1 = np.random.default_rng(seed).standard_normal((d1, X.shape[0]))
    return np.maximum(W1 @ X, 0.0)


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
    N = K * n
    return {"n_log_n": n * math.log(n), "N_log_N": N * math.log(N), "N": float(N),
            "rank_width": float(rank_width(N, delta)),
            "stat_dim": B.stat_dim_cone(n, K)}


def run_setting(s: RFSetting, base_seed: int, opts: F.SolverOptions, delta: float) -> xr.Dataset:
    """Verified class-LP verdicts on relu(W1 X) for every width and trial."""
    t0 = time.perf_counter()
    W, T, K = len(s.widths), s.trials, s.K
    status = np.full((W, T, K), F.UNDECIDED, dtype=np.int8)
    rank = np.zeros((W, T), dtype=np.int64)
    seeds = np.zeros(T, dtype=np.uint64)
    spec = D.GMMSpec(s.geometry, K, s.n, s.d, s.sigma, s.mean_norm, s.angle_deg)
    for t in range(T):
        X, y, _M, seed = spec.draw(base_seed, t)
        seeds[t] = seed
        for wi, d1 in enumerate(s.widths):
            wseed = D.cell_seed(base_seed, t, source="rf_W1", setting=s.name, d1=int(d1))
            H = features(X, d1, wseed)
            rank[wi, t] = np.linalg.matrix_rank(H)
            nc = solve_features(H, y, opts)
            status[wi, t] = [v.status for v in nc]
    allst = np.array([[F.all_classes_status(status[w, t]) for t in range(T)] for w in range(W)],
                     dtype=np.int8)
    N = K * s.n
    ref = reference_widths(K, s.n, delta)
    ds = xr.Dataset(
        {
            "nc_status": (("d1", "trial", "class"), status, {**phase.STATUS_ATTRS,
                "description": "verified verdict of the class LP on H = relu(W1 X) "
                               "(science.md 4, 6)"}),
            "nc_all_status": (("d1", "trial"), allst, {**phase.STATUS_ATTRS,
                "description": "all classes together (any infeasible -> 0, any undecided -> -1)"}),
            "feature_rank": (("d1", "trial"), rank, {"units": "1",
                "description": "numerical rank of H (rank N makes every class LP feasible, "
                               "reports/theory.md eq. R1)"}),
            "seed": (("trial",), seeds, {"description": "seed of the input data "
                                                       "(shallownc.data.cell_seed)"}),
        },
        coords={"d1": ("d1", np.asarray(s.widths), {"description": "first-layer width",
                                                     "units": "1"}),
                "trial": ("trial", np.arange(T), {"description": "independent (X, W1) draw"}),
                "class": ("class", np.arange(K), {"description": "class index k"})},
    )
    ds = ds.assign_coords(d1_over_N=("d1", np.asarray(s.widths) / N,
                                     {"description": "d1 / N", "units": "1"}))
    ds.attrs.update({"setting": s.name, "geometry": s.geometry, "K": K, "n": s.n, "N": N,
                     "d": s.d, "sigma": s.sigma, "mean_norm": s.mean_norm,
                     "angle_deg": s.angle_deg, "delta": delta,
                     "snr_definition": D.SNR_DEFINITION,
                     **{f"ref_{k}": float(v) for k, v in ref.items()}})
    p = phase.probability(ds.nc_all_status).p.values
    ds.attrs["empirical_d1_50"] = B.empirical_contour(p, ds.d1.values)
    log.info("random features %s: %d widths x %d trials in %.1f s; 50%% at d1 = %.1f",
             s.name, W, T, time.perf_counter() - t0, ds.attrs["empirical_d1_50"])
    return ds
