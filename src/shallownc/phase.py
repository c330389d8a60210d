"""Grids of feasibility experiments: phase diagrams, the pure-noise sweep, the real data.

A *grid* is a set of cells (d, sigma) with ``trials`` independent data sets each. A grid is
split into jobs of one d value and a block of trials (all sigma values inside), named
``d{d}_t{t0}-{t1}``; changing one d value therefore re-runs only that d's jobs. Each cell's data
comes from :func:`shallownc.data.cell_seed`, so results never depend on the chunking.

Output (one NetCDF per grid; dims d, sigma, trial, class):
  nc_status, sep_status            verified verdicts: 1 feasible, 0 infeasible, -1 undecided
  nc_all_status, sep_all_status    all classes together (any infeasible -> 0, any undecided -> -1)
  nc_method, sep_method            method code that produced the verdict (flag_meanings)
  nc_eq_residual, nc_ineq_violation, nc_w_norm        feasible certificates
  nc_farkas_residual, nc_radius_ratio                 infeasibility certificates
  nc_solve_time, sep_solve_time    seconds
  nc_reason, sep_reason            why a verdict is undecided (empty otherwise)
  seed (d, sigma, trial), snr (d, sigma)
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from . import data as D
from . import feasibility as F

log = logging.getLogger(__name__)

STATUS_ATTRS = F.STATUS_ATTRS  # 1 feasible, 0 infeasible (proof), -1 undecided, -2 within radius


@dataclass(frozen=True)
class Grid:
    """One feasibility grid (see module docstring)."""
    name: str
    kind: str            # phase | pure_noise | real
    source: str          # gmm | digits
    geometry: str
    K: int
    n: int
    d: tuple
    sigma: tuple
    trials: int
    mean_norm: float = 1.0
    angle_deg: float = 120.0
    classes: tuple = ()  # real data: digit classes

    def jobs(self, trials_per_job: int):
        """Job names ``d{d}_t{t0}-{t1}`` (trial range [t0, t1))."""
        out = []
        for d in self.d:
            for t0 in range(0, self.trials, trials_per_job):
                out.append(f"d{d}_t{t0}-{min(self.trials, t0 + trials_per_job)}")
        return out

    def as_dict(self):
        return asdict(self)


def parse_job(job: str):
    """``d40_t0-20`` -> (40, 0, 20)."""
    dpart, tpart = job.split("_t")
    t0, t1 = tpart.split("-")
    return int(dpart[1:]), int(t0), int(t1)


def grids_from_config(config: dict) -> dict[str, Grid]:
    """All grids of a validated config, keyed by name."""
    fz = config.get("feasibility", {})
    grids = {}
    for name, g in fz.get("phase_diagrams", {}).items():
        grids[name] = Grid(name=name, kind="phase", source="gmm", geometry=g["geometry"],
                           K=g["K"], n=g["n"],
                           d=tuple(round(r * g["n"]) for r in g["d_over_n"]),
                           sigma=tuple(float(s) for s in g["sigma"]), trials=g["trials"],
                           mean_norm=float(g["mean_norm"]), angle_deg=float(g["angle_deg"]))
    pn = fz.get("pure_noise", {})
    for K in pn.get("K", []):
        name = f"noise_k{K}"
        grids[name] = Grid(name=name, kind="pure_noise", source="gmm", geometry="noise", K=K,
                           n=pn["n"], d=tuple(round(r * pn["n"]) for r in pn["d_over_n"]),
                           sigma=(1.0,), trials=pn["trials"], mean_norm=0.0)
    rd = fz.get("real_data", {})
    if rd.get("enabled", False):
        classes = tuple(config["data"]["digits"]["classes"])
        grids["digits"] = Grid(name="digits", kind="real", source="digits", geometry="digits",
                               K=len(classes), n=rd["n"], d=tuple(rd["d"]), sigma=(0.0,),
                               trials=rd["trials"], mean_norm=float("nan"), classes=classes)
    return grids


def draw_cell(grid: Grid, d: int, sigma: float, trial: int, base_seed: int,
              digits: tuple | None = None):
    """(X, y, seed, snr) of one cell and trial."""
    if grid.source == "gmm":
        spec = D.GMMSpec(grid.geometry, grid.K, grid.n, d, sigma, grid.mean_norm,
                         grid.angle_deg)
        X, y, M, seed = spec.draw(base_seed, trial)
        return X, y, seed, D.snr(M, sigma)
    if digits is None:
        raise ValueError("the real-data grid needs the digits arrays")
    Xall, yall = digits
    seed = D.cell_seed(base_seed, trial, source="digits", classes=list(grid.classes),
                       n=grid.n, d=d)
    X, y = D.subsample_project(Xall, yall, grid.n, d, seed)
    if sigma > 0:
        X = X + sigma * np.random.default_rng(seed + 1).standard_normal(X.shape)
    return X, y, seed, float("nan")


def _one_blas_thread():
    """Limit BLAS to one thread: jobs and workers already fill the cores, and OpenBLAS threads
    competing with them made the small QR/matmul calls of the engine several times slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its default thread count
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


_WORKER_LIMIT = []


def _limit_blas():
    """Worker initializer: one BLAS thread for the worker's lifetime."""
    _WORKER_LIMIT.append(_one_blas_thread())


def _solve_cell(args):
    grid, d, sigma, trial, base_seed, opts, digits, separability = args
    X, y, seed, snr = draw_cell(grid, d, sigma, trial, base_seed, digits)
    nc, sep = F.solve_classes(X, y, opts, separability=separability)
    for v in nc + (sep or []):  # the certificates are large and not stored: do not pickle
        v.w = None
        v.certificate = None
    return seed, snr, nc, sep


def solve_cells(grid: Grid, cells, base_seed: int, opts: F.SolverOptions, workers: int = 1,
                digits: tuple | None = None, separability: bool = True, label: str = ""):
    """Verdicts of a list of cells ``(d, sigma, trial)``, in order: (seed, snr, nc, sep) each.

    With ``workers > 1`` the cells are spread over worker processes; cells are handed out in
    small chunks, most expensive first (large d), so that slow cells near the end do not leave
    a worker idle. The order of the results is that of ``cells`` whatever the schedule.
    """
    tasks = [(grid, int(d), float(s), int(t), base_seed, opts, digits, separability)
             for d, s, t in cells]
    t_start = time.perf_counter()
    if workers > 1 and len(tasks) > 1:
        order = sorted(range(len(tasks)), key=lambda i: -tasks[i][1])
        results = [None] * len(tasks)
        with ProcessPoolExecutor(min(workers, len(tasks)), initializer=_limit_blas) as ex:
            chunk = max(1, len(tasks) // (8 * workers))
            for i, r in zip(order, ex.map(_solve_cell, [tasks[i] for i in order],
                                          chunksize=chunk)):
                results[i] = r
        return results
    results = []
    with _one_blas_thread():
        for i, task in enumerate(tasks):
            results.append(_solve_cell(task))
            if (i + 1) % max(1, len(tasks) // 10) == 0:
                el = time.perf_counter() - t_start
                log.info("%s %s: %d/%d cells, %.1f s elapsed, ETA %.1f s", grid.name, label,
                         i + 1, len(tasks), el, el / (i + 1) * (len(tasks) - i - 1))
    return results


def run_job(grid: Grid, job: str, base_seed: int, opts: F.SolverOptions, workers: int = 1,
            digits: tuple | None = None) -> xr.Dataset:
    """Solve every cell of one job; returns a Dataset with dims (d, sigma, trial, class)."""
    d, t0, t1 = parse_job(job)
    trials = np.arange(t0, t1)
    S, T, K = len(grid.sigma), len(trials), grid.K
    tasks = [(d, s, int(t)) for s in grid.sigma for t in trials]
    t_start = time.perf_counter()
    results = solve_cells(grid, tasks, base_seed, opts, workers, digits, label=job)
    shape = (1, S, T, K)
    arr = {k: np.full(shape, np.nan) for k in
           ("nc_eq_residual", "nc_ineq_violation", "nc_w_norm", "nc_farkas_residual",
            "nc_radius_ratio", "nc_solve_time", "sep_solve_time")}
    st = {k: np.full(shape, F.UNDECIDED, dtype=np.int8) for k in ("nc_status", "sep_status")}
    meth = {k: np.zeros(shape, dtype=np.int8) for k in ("nc_method", "sep_method")}
    reason = {k: np.full(shape, "", dtype=object) for k in ("nc_reason", "sep_reason")}
    seeds = np.zeros((1, S, T), dtype=np.uint64)
    snrs = np.full((1, S), np.nan)
    for idx, (seed, snr, nc, sep) in enumerate(results):
        si, ti = divmod(idx, T)
        seeds[0, si, ti] = seed
        snrs[0, si] = snr
        for k in range(K):
            for pre, v in (("nc", nc[k]), ("sep", sep[k])):
                st[f"{pre}_status"][0, si, ti, k] = v.status
                meth[f"{pre}_method"][0, si, ti, k] = F.METHOD_CODE[v.method]
                reason[f"{pre}_reason"][0, si, ti, k] = v.reason
                arr[f"{pre}_solve_time"][0, si, ti, k] = v.solve_time
            v = nc[k]
            arr["nc_eq_residual"][0, si, ti, k] = v.eq_residual
            arr["nc_ineq_violation"][0, si, ti, k] = v.ineq_violation
            arr["nc_w_norm"][0, si, ti, k] = v.w_norm
            arr["nc_farkas_residual"][0, si, ti, k] = v.farkas_residual
            arr["nc_radius_ratio"][0, si, ti, k] = v.radius_ratio
    dims = ("d", "sigma", "trial", "class")
    meth_attrs = {"flag_values": list(range(len(F.METHODS))),
                  "flag_meanings": " ".join(F.METHODS)}
    dv = {
        "nc_status": (dims, st["nc_status"], {**STATUS_ATTRS, "description":
            "verified verdict of the NC class LP X_k^T w = 1, X_j^T w <= 0 (science.md 4)"}),
        "sep_status": (dims, st["sep_status"], {**STATUS_ATTRS, "description":
            "verified one-vs-rest homogeneous linear separability X_k^T w >= 1, X_j^T w <= -1"}),
        "nc_method": (dims, meth["nc_method"], {**meth_attrs, "description":
            "method whose certificate decided the class LP"}),
        "sep_method": (dims, meth["sep_method"], {**meth_attrs, "description":
            "method whose certificate decided separability"}),
        "nc_eq_residual": (dims, arr["nc_eq_residual"], {"units": "1", "description":
            "feasible: max_i |x_i^T w - 1| over class k (NaN otherwise)"}),
        "nc_ineq_violation": (dims, arr["nc_ineq_violation"], {"units": "1", "description":
            "feasible: max(0, max_j x_j^T w) over other classes (NaN otherwise)"}),
        "nc_w_norm": (dims, arr["nc_w_norm"], {"units": "1", "description":
            "feasible: Euclidean norm of the verified w"}),
        "nc_farkas_residual": (dims, arr["nc_farkas_residual"], {"units": "1", "description":
            "infeasible: ||X_k y + X_-k z|| of the Farkas certificate normalised to 1^T y = -1"}),
        "nc_radius_ratio": (dims, arr["nc_radius_ratio"], {"units": "1", "description":
            "infeasible: excluded radius 1/||r|| times max_i ||x_i|| (inf: exact certificate)"}),
        "nc_solve_time": (dims, arr["nc_solve_time"], {"units": "s", "description":
            "wall time to decide the class LP (all methods tried)"}),
        "sep_solve_time": (dims, arr["sep_solve_time"], {"units": "s", "description":
            "wall time to decide separability"}),
        "nc_reason": (dims, reason["nc_reason"].astype(str), {"description":
            "why the class LP is undecided (empty when decided)"}),
        "sep_reason": (dims, reason["sep_reason"].astype(str), {"description":
            "why separability is undecided (empty when decided)"}),
        "seed": (("d", "sigma", "trial"), seeds, {"description":
            "seed of the cell's data (shallownc.data.cell_seed); regenerates it exactly"}),
        "snr": (("d", "sigma"), snrs, {"units": "1", "description": D.SNR_DEFINITION}),
    }
    ds = xr.Dataset(dv, coords={
        "d": ("d", [d], {"description": "input dimension", "units": "1"}),
        "sigma": ("sigma", list(grid.sigma), {"description":
                  "noise standard deviation per coordinate", "units": "same as x"}),
        "trial": ("trial", trials, {"description": "independent data set index"}),
        "class": ("class", np.arange(K), {"description": "class index k"}),
    })
    ds = add_derived(ds, grid)
    log.info("%s %s: %d cells in %.2f s", grid.name, job, len(tasks),
             time.perf_counter() - t_start)
    return ds


def add_derived(ds: xr.Dataset, grid: Grid) -> xr.Dataset:
    """All-classes verdicts, the d/n coordinate and grid metadata."""
    for pre in ("nc", "sep"):
        s = ds[f"{pre}_status"]
        ds[f"{pre}_all_status"] = F.all_classes_status_array(s, "class")
        ds[f"{pre}_all_status"].attrs = {**STATUS_ATTRS, "description":
            f"all classes together ({pre}): infeasible if any class is, undecided if any "
            "class is undecided and none infeasible, else feasible"}
    ds = ds.assign_coords(d_over_n=("d", np.asarray(ds.d.values, float) / grid.n,
                                    {"description": "d / n", "units": "1"}))
    ds.attrs.update({"grid": grid.name, "kind": grid.kind, "source": grid.source,
                     "geometry": grid.geometry, "K": grid.K, "n": grid.n,
                     "N": grid.K * grid.n, "mean_norm": grid.mean_norm,
                     "angle_deg": grid.angle_deg, "snr_definition": D.SNR_DEFINITION,
                     "classes": D.json_list(grid.classes) if grid.classes else "[]"})
    return ds


def combine(parts: list[xr.Dataset]) -> xr.Dataset:
    """Combine job outputs (hyper-rectangles in (d, trial)) into one grid Dataset."""
    if not parts:
        raise ValueError("no job outputs to combine")
    attrs = dict(parts[0].attrs)
    ds = xr.combine_by_coords(parts, data_vars="all", coords="different", compat="no_conflicts",
                              join="outer", combine_attrs="drop_conflicts")
    ds.attrs.update({k: v for k, v in attrs.items() if k in
                     ("grid", "kind", "source", "geometry", "K", "n", "N", "mean_norm",
                      "angle_deg", "snr_definition", "classes")})
    return ds.sortby(["d", "sigma", "trial"])


def probability(status: xr.DataArray, dim=("trial",)) -> xr.Dataset:
    """P(feasible) over decided trials only; undecided cells are counted separately.

    Returns p (NaN where nothing was decided), n_decided, n_undecided.
    """
    dec = status != F.UNDECIDED
    n_dec = dec.sum(dim)
    p = (status == F.FEASIBLE).sum(dim) / n_dec.where(n_dec > 0)
    return xr.Dataset({"p": p, "n_decided": n_dec, "n_undecided": (~dec).sum(dim)})
