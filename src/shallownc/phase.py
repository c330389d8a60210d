"""Feasibility grids: phase diagrams, the pure-noise sweep, the real data (verified class LPs).

The grids are :class:`shallownc.grid.Grid` objects swept by :func:`shallownc.sweep.sweep`
(one job per d value and block of trials, all sigma inside, named ``d{d}_t{t0}-{t1}``; changing
one d value therefore re-runs only that d's jobs). This module contributes the per-cell
function :func:`feasibility_cell` and its table of output variables :data:`VARIABLES`.

Output (one NetCDF per grid; dims d, sigma, trial, class):
  nc_status, sep_status            verified verdicts (shallownc.feasibility.STATUS_NAMES)
  nc_all_status, sep_all_status    all classes together (:func:`all_classes`)
  nc_method, sep_method            method code that produced the verdict (flag_meanings)
  nc_eq_residual, nc_ineq_violation, nc_w_norm        feasible certificates
  nc_farkas_residual, nc_radius_ratio                 infeasibility certificates
  nc_solve_time, sep_solve_time    seconds
  nc_reason, sep_reason            why a verdict is undecided (empty otherwise)
  seed (d, sigma, trial), snr (d, sigma)
"""

from __future__ import annotations

import functools
import logging

import numpy as np
import xarray as xr

from . import data as D
from . import feasibility as F
from . import sweep as SW
from .class_sizes import dimension
from .grid import Cell, Grid, parse_job  # noqa: F401  (re-exported: rules, bench, tests)
from .status import probability  # noqa: F401  (re-exported; P(feasible) over decided trials)

log = logging.getLogger(__name__)

STATUS_ATTRS = F.STATUS_ATTRS  # 1 feasible, 0 infeasible (proof), -1 undecided, -2 within radius
GRID_ATTRS = ("grid", "kind", "source", "geometry", "K", "n", "N", "mean_norm", "angle_deg",
              "snr_definition", "classes")
_G4 = ("d", "sigma", "trial", "class")
_METH_ATTRS = {"flag_values": list(range(len(F.METHODS))), "flag_meanings": " ".join(F.METHODS)}
_V = SW.Variable
VARIABLES = (
    _V("nc_status", _G4, None, "verified verdict of the NC class LP X_k^T w = 1, X_j^T w <= 0 "
       "(docs/science.md 4)", np.int8, F.UNDECIDED, STATUS_ATTRS),
    _V("sep_status", _G4, None, "verified one-vs-rest homogeneous linear separability "
       "X_k^T w >= 1, X_j^T w <= -1", np.int8, F.UNDECIDED, STATUS_ATTRS),
    _V("nc_method", _G4, None, "method whose certificate decided the class LP", np.int8, 0,
       _METH_ATTRS),
    _V("sep_method", _G4, None, "method whose certificate decided separability", np.int8, 0,
       _METH_ATTRS),
    _V("nc_eq_residual", _G4, "1", "feasible: max_i |x_i^T w - 1| over class k (NaN otherwise)"),
    _V("nc_ineq_violation", _G4, "1", "feasible: max(0, max_j x_j^T w) over other classes "
       "(NaN otherwise)"),
    _V("nc_w_norm", _G4, "1", "feasible: Euclidean norm of the verified w"),
    _V("nc_farkas_residual", _G4, "1", "infeasible: ||X_k y + X_-k z|| of the Farkas "
       "certificate normalised to 1^T y = -1"),
    _V("nc_radius_ratio", _G4, "1", "infeasible: excluded radius 1/||r|| times max_i ||x_i|| "
       "(inf: exact certificate)"),
    _V("nc_solve_time", _G4, "s", "wall time to decide the class LP (all methods tried)"),
    _V("sep_solve_time", _G4, "s", "wall time to decide separability"),
    _V("nc_reason", _G4, None, "why the class LP is undecided (empty when decided)", object, ""),
    _V("sep_reason", _G4, None, "why separability is undecided (empty when decided)", object,
       ""),
    _V("seed", ("d", "sigma", "trial"), None, "seed of the cell's data (shallownc.data.cell_seed)"
       "; regenerates it exactly", np.uint64, 0),
    _V("snr", ("d", "sigma"), "1", D.SNR_DEFINITION),
)
_VERDICT_FIELDS = {"eq_residual": "nc_eq_residual", "ineq_violation": "nc_ineq_violation",
                   "w_norm": "nc_w_norm", "farkas_residual": "nc_farkas_residual",
                   "radius_ratio": "nc_radius_ratio"}


def grids_from_config(config: dict) -> dict[str, Grid]:
    """All feasibility grids of a validated config, keyed by name."""
    fz = config.get("feasibility", {})
    grids = {name: Grid.from_config(name, g, "phase")
             for name, g in fz.get("phase_diagrams", {}).items()}
    pn = fz.get("pure_noise", {})
    for K in pn.get("K", []):
        name = f"noise_k{K}"
        grids[name] = Grid(name=name, kind="pure_noise", source="gmm", geometry="noise", K=K,
                           n=pn["n"], d=tuple(dimension(r, pn["n"]) for r in pn["d_over_n"]),
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
    """(X, y, seed, snr) of one cell and trial (:meth:`shallownc.grid.Cell.draw`)."""
    return Cell(grid, int(d), (float(sigma),), int(trial)).draw(base_seed, sigma, digits)


def _strip(verdicts):
    """The certificates are large and not stored: do not pickle them back."""
    for v in verdicts or []:
        v.w = None
        v.certificate = None
    return verdicts


def _solve_cell(args):
    grid, d, sigma, trial, base_seed, opts, digits, separability = args
    X, y, seed, snr = draw_cell(grid, d, sigma, trial, base_seed, digits)
    nc, sep = F.solve_classes(X, y, opts, separability=separability)
    return seed, snr, _strip(nc), _strip(sep)


def solve_cells(grid: Grid, cells, base_seed: int, opts: F.SolverOptions, workers: int = 1,
                digits: tuple | None = None, separability: bool = True, label: str = ""):
    """Verdicts of a list of cells ``(d, sigma, trial)``, in order: (seed, snr, nc, sep) each.

    With ``workers > 1`` the cells are spread over worker processes, large d first
    (:func:`shallownc.sweep.map_cells`); the order of the results is that of ``cells``.
    """
    tasks = [(grid, int(d), float(s), int(t), base_seed, opts, digits, separability)
             for d, s, t in cells]
    return SW.map_cells(_solve_cell, tasks, workers, label=f"{grid.name} {label}",
                        cost=lambda task: task[1])


def verdict_record(nc, sep) -> dict:
    """Per-class arrays of the class-LP and separability verdicts of one data set."""
    K = len(nc)
    out = {"nc_status": [v.status for v in nc], "sep_status": [v.status for v in sep],
           "nc_method": [F.METHOD_CODE[v.method] for v in nc],
           "sep_method": [F.METHOD_CODE[v.method] for v in sep],
           "nc_solve_time": [v.solve_time for v in nc],
           "sep_solve_time": [v.solve_time for v in sep],
           "nc_reason": [v.reason for v in nc], "sep_reason": [v.reason for v in sep]}
    for attr, name in _VERDICT_FIELDS.items():
        out[name] = [getattr(nc[k], attr) for k in range(K)]
    return out


def feasibility_cell(cell: Cell, *, base_seed: int, opts: F.SolverOptions,
                     digits: tuple | None = None) -> dict:
    """Cell function of the feasibility grids: every class LP and separability LP, verified.

    Returns the :data:`VARIABLES` of the cell, each with a leading axis over ``cell.sigmas``.
    """
    rows = []
    for s in cell.sigmas:
        X, y, seed, snr = cell.draw(base_seed, s, digits)
        nc, sep = F.solve_classes(X, y, opts, separability=True)
        rows.append({**verdict_record(nc, sep), "seed": seed, "snr": snr})
    return {k: np.array([r[k] for r in rows], dtype=object) for k in rows[0]}


def run_job(grid: Grid, job: str, base_seed: int, opts: F.SolverOptions, workers: int = 1,
            digits: tuple | None = None) -> xr.Dataset:
    """Solve every cell of one job; returns a Dataset with dims (d, sigma, trial, class)."""
    fn = functools.partial(feasibility_cell, base_seed=base_seed, opts=opts, digits=digits)
    ds = SW.run_job(grid, job, fn, VARIABLES, workers=workers,
                    coords={"class": (np.arange(grid.K), {"description": "class index k"})})
    return add_derived(ds, grid)


def all_classes(status: xr.DataArray, dim: str = "class") -> xr.DataArray:
    """All classes together (shallownc.feasibility.all_classes_status_array): infeasible if
    any class is proven infeasible, else -2 if any class is infeasible only within a radius,
    else undecided if any class is, else feasible. A -2 or -1 class is never a proof."""
    return F.all_classes_status_array(status, dim)


def add_derived(ds: xr.Dataset, grid: Grid) -> xr.Dataset:
    """All-classes verdicts, the d/n coordinate and grid metadata."""
    for pre in ("nc", "sep"):
        ds[f"{pre}_all_status"] = all_classes(ds[f"{pre}_status"])
        ds[f"{pre}_all_status"].attrs = {**STATUS_ATTRS, "description":
            f"all classes together ({pre}): infeasible if any class is, undecided if any "
            "class is undecided and none infeasible, else feasible"}
    ds = with_grid_metadata(ds, grid)
    ds.attrs["classes"] = D.json_list(grid.classes) if grid.classes else "[]"
    return _real_data_attrs(ds) if grid.source == "digits" else ds


def with_grid_metadata(ds: xr.Dataset, grid: Grid) -> xr.Dataset:
    """The d/n coordinate (d / n, n the balanced class size of the grid) and the grid's
    metadata attributes, shared by the feasibility stage and the paper's Figures 1-2."""
    ds = ds.assign_coords(d_over_n=("d", np.asarray(ds.d.values, float) / grid.n,
                                    {"description": "d / n", "units": "1"}))
    ds.attrs.update({"grid": grid.name, "kind": grid.kind, "source": grid.source,
                     "geometry": grid.geometry, "K": grid.K, "n": grid.n,
                     "N": grid.K * grid.n, "mean_norm": grid.mean_norm,
                     "angle_deg": grid.angle_deg, "snr_definition": D.SNR_DEFINITION})
    return ds


def _real_data_attrs(ds: xr.Dataset) -> xr.Dataset:
    """Real data have no means, no angle and no SNR: sigma is the Gaussian noise added to the
    standardized images (0: the images as they are; shallownc.grid.Cell.draw), snr dropped."""
    ds = ds.drop_vars("snr", errors="ignore")
    for k in ("mean_norm", "angle_deg", "snr_definition"):
        ds.attrs.pop(k, None)
    ds["sigma"].attrs.update(long_name="standard deviation of Gaussian noise added to the "
                             "real images (0: none)", units="1")
    return ds


def combine(parts: list[xr.Dataset]) -> xr.Dataset:
    """Combine job outputs (hyper-rectangles in (d, trial)) into one grid Dataset."""
    return SW.combine(parts, GRID_ATTRS)
