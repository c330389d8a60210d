"""One sweep builder: chunk a grid into jobs, run a per-cell function, assemble a Dataset.

A science module contributes

* a pure *cell function* ``fn(cell) -> {name: array}`` (module level, so that worker processes
  can run it; bind its settings with ``functools.partial``). For a :class:`shallownc.grid.Cell`
  with S = len(cell.sigmas) it returns, for every output variable, an array of shape
  (S, *extra) where *extra* are the variable's dimensions after (d, sigma, trial);
* a table of output variables (:class:`Variable`: name, dims, units, description, dtype, fill).

:func:`run_job` runs one job (one d, a block of trials: the unit Snakemake schedules),
:func:`combine` merges jobs, :func:`sweep` does both for a whole grid and writes the NetCDF
with provenance (:func:`shallownc.io.write_netcdf`). Results never depend on the chunking or
on ``workers``: every cell draws its data from its own seed (shallownc.grid).
"""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import xarray as xr

from . import io
from .grid import Cell, Grid, parse_job

log = logging.getLogger(__name__)

GRID_DIMS = ("d", "sigma", "trial")
COORD_ATTRS = {
    "d": {"description": "input dimension", "units": "1"},
    "sigma": {"description": "noise standard deviation per coordinate", "units": "same as x"},
    "trial": {"description": "independent data set index"},
}


@dataclass(frozen=True)
class Variable:
    """One output variable of a sweep: dims start with a subset of (d, sigma, trial) in that
    order, then extra dims whose coordinates are passed to :func:`run_job`."""
    name: str
    dims: tuple
    units: str | None
    description: str
    dtype: object = np.float64
    fill: object = np.nan
    attrs: dict = field(default_factory=dict)

    def __post_init__(self):
        head = tuple(d for d in self.dims if d in GRID_DIMS)
        if self.dims[:len(head)] != head or head != tuple(d for d in GRID_DIMS if d in head):
            raise ValueError(f"variable {self.name!r}: dims {self.dims} must start with grid "
                             f"dims in the order {GRID_DIMS}")
        if "d" not in head:
            raise ValueError(f"variable {self.name!r}: dims must include 'd'")

    def all_attrs(self) -> dict:
        out = dict(self.attrs)
        if self.units is not None:
            out["units"] = self.units
        out["description"] = self.description
        return out


# ------------------------------------------------------------------------- parallel map

def one_blas_thread():
    """Limit BLAS to one thread: jobs and workers already fill the cores, and OpenBLAS threads
    competing with them made the small QR/matmul calls of the LP engine several times slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its default thread count
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


_WORKER_LIMIT = []


def _limit_blas():
    """Worker initializer: one BLAS thread for the worker's lifetime."""
    _WORKER_LIMIT.append(one_blas_thread())


def map_cells(fn: Callable, tasks: Sequence, workers: int = 1, label: str = "",
              cost: Callable | None = None) -> list:
    """``[fn(t) for t in tasks]``, in order, over ``workers`` processes.

    Tasks are handed out in small chunks, most expensive first (``cost``, e.g. large d), so
    that slow tasks near the end do not leave a worker idle; the result order is that of
    ``tasks`` whatever the schedule. One worker: in process, with progress logging.
    """
    tasks = list(tasks)
    t_start = time.perf_counter()
    if workers > 1 and len(tasks) > 1:
        order = sorted(range(len(tasks)), key=lambda i: -cost(tasks[i])) if cost else \
            list(range(len(tasks)))
        results = [None] * len(tasks)
        with ProcessPoolExecutor(min(workers, len(tasks)), initializer=_limit_blas) as ex:
            chunk = max(1, len(tasks) // (8 * workers))
            for i, r in zip(order, ex.map(fn, [tasks[i] for i in order], chunksize=chunk)):
                results[i] = r
        return results
    results = []
    with one_blas_thread():
        for i, task in enumerate(tasks):
            results.append(fn(task))
            if (i + 1) % max(1, len(tasks) // 10) == 0:
                el = time.perf_counter() - t_start
                log.info("%s: %d/%d cells, %.1f s elapsed, ETA %.1f s", label, i + 1,
                         len(tasks), el, el / (i + 1) * (len(tasks) - i - 1))
    return results


# ---------------------------------------------------------------------------- one job

def _allocate(variables, D, S, T, extra_sizes):
    arrs = {}
    for v in variables:
        shape = [D] + [S if d == "sigma" else T if d == "trial" else extra_sizes[d]
                       for d in v.dims[1:]]
        arrs[v.name] = np.full(shape, v.fill, dtype=v.dtype)
    return arrs


def _store(arrs, variables, out: dict, d_idx: list, sig_idx: list, ti: int):
    """Write one cell's outputs (leading axes: its d values, its sigmas) into the job arrays."""
    for v in variables:
        if v.name not in out:
            raise KeyError(f"cell function did not return variable {v.name!r}")
        val = out[v.name]
        a = arrs[v.name]
        has_s, has_t = "sigma" in v.dims, "trial" in v.dims
        for i, di in enumerate(d_idx):
            for j, si in enumerate(sig_idx):
                idx = (di,) + ((si,) if has_s else ()) + ((ti,) if has_t else ())
                a[idx] = val[i][j]


def run_job(grid: Grid, job: str, cell_fn: Callable, variables: Sequence[Variable], *,
            coords: dict | None = None, workers: int = 1) -> xr.Dataset:
    """Run every cell of one job (``d{d}_t{t0}-{t1}``, or ``t{t0}-{t1}`` with every d for a
    nested grid); Dataset with dims (d, sigma, trial, ...).

    ``coords`` gives the extra dimensions' coordinates: {dim: (values, attrs)}. A cell
    function's arrays have leading axes (sigma,), or (d, sigma) for a nested grid's cells.
    """
    d, t0, t1 = parse_job(job)
    if (d is None) != grid.nested_d:
        raise ValueError(f"job {job!r} does not fit grid {grid.name!r} "
                         f"(nested_d={grid.nested_d})")
    if t1 > grid.trials or t0 >= t1:
        raise ValueError(f"job {job!r} has trials outside [0, {grid.trials}) of {grid.name!r}")
    coords = dict(coords or {})
    trials = np.arange(t0, t1)
    S, T = len(grid.sigma), len(trials)
    cells = grid.cells(d, trials)
    t_start = time.perf_counter()
    results = map_cells(cell_fn, cells, workers, label=f"{grid.name} {job}")
    extra = {k: len(v[0]) for k, v in coords.items()}
    d_vals = list(grid.d) if grid.nested_d else [d]
    arrs = _allocate(variables, len(d_vals), S, T, extra)
    sig_pos = {s: i for i, s in enumerate(grid.sigma)}
    d_pos = {v: i for i, v in enumerate(d_vals)}
    for cell, out in zip(cells, results):
        if not grid.nested_d:
            out = {k: [v] for k, v in out.items()}
        _store(arrs, variables, out, [d_pos[v] for v in (cell.ds or (cell.d,))],
               [sig_pos[s] for s in cell.sigmas], cell.trial - t0)
    dv = {v.name: (v.dims, arrs[v.name].astype(str) if v.dtype is object else arrs[v.name],
                   v.all_attrs()) for v in variables}
    cds = {"d": ("d", d_vals, COORD_ATTRS["d"]),
           "sigma": ("sigma", list(grid.sigma), COORD_ATTRS["sigma"]),
           "trial": ("trial", trials, COORD_ATTRS["trial"])}
    cds.update({k: (k, np.asarray(vals), dict(attrs)) for k, (vals, attrs) in coords.items()})
    ds = xr.Dataset(dv, coords=cds)
    log.info("%s %s: %d cells in %.2f s", grid.name, job, len(cells),
             time.perf_counter() - t_start)
    return ds


def combine(parts: list[xr.Dataset], keep_attrs: Sequence[str] = ()) -> xr.Dataset:
    """Combine job outputs (hyper-rectangles in (d, trial)) into one grid Dataset.

    Attributes named in ``keep_attrs`` are taken from the first part (grid metadata).
    Variables without a trial dimension (e.g. snr over (d, sigma)) are taken once, not
    stacked along trial (``data_vars="minimal"``; parts must agree on them).
    """
    if not parts:
        raise ValueError("no job outputs to combine")
    attrs = dict(parts[0].attrs)
    ds = xr.combine_by_coords(parts, data_vars="minimal", coords="different", compat="no_conflicts",
                              join="outer", combine_attrs="drop_conflicts")
    ds.attrs.update({k: v for k, v in attrs.items() if k in keep_attrs})
    ds = ds.sortby(list(GRID_DIMS))
    for name, attrs in COORD_ATTRS.items():  # derived variables (xr.where) drop them
        if name in ds.coords and not ds[name].attrs:
            ds[name].attrs = dict(attrs)
    return ds


def sweep(grid: Grid, cell_fn: Callable, variables: Sequence[Variable], *,
          trials_per_job: int, workers: int = 1, coords: dict | None = None,
          finish: Callable | None = None, path=None, config: dict | None = None,
          keep_attrs: Sequence[str] = ()) -> xr.Dataset:
    """The whole grid: run every job, combine, ``finish`` (derived variables, metadata) each
    job's Dataset, and write it to ``path`` with provenance (``config``) when given."""
    parts = []
    for job in grid.jobs(trials_per_job):
        ds = run_job(grid, job, cell_fn, variables, coords=coords, workers=workers)
        parts.append(finish(ds) if finish else ds)
    ds = combine(parts, keep_attrs)
    if path is not None:
        io.write_netcdf(ds, path, config)
    return ds
