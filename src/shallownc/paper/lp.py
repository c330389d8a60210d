"""The paper's Figures 1-2: verified class LPs on the paper's (d, sigma) grids.

Config blocks ``paper.fig1`` / ``paper.fig2`` (schema paper.schema.yaml); rule file
workflow/rules/paper_lp.smk (stage 8a). Every sigma of one (d, trial) shares its noise draw
(common random numbers, shallownc.grid); a ``bisect_d`` grid also nests the noise in d and
decides each (sigma, trial) row by a bisection over d with re-verified inherited
certificates. sigma = 0 cells are decided in exact arithmetic (``noiseless``). The engine is
shallownc.feasibility (decide_class_lp, decide_sigma_sequence, decide_noiseless); the grid
and cell model is shallownc.grid; the theory curves of the panels are shallownc.paper.curves
(paper_panel_curves).
"""

from __future__ import annotations

import functools
import time

import numpy as np
import xarray as xr

from .. import data as D
from .. import feasibility as F
from .. import sweep as SW
from ..grid import Cell, Grid
from ..phase import STATUS_ATTRS, all_classes, with_grid_metadata

_V = SW.Variable
_G4 = ("d", "sigma", "trial", "class")


# Method codes stored in the paper figures' files: the engine's, plus the exact noiseless test.
PAPER_METHODS = F.METHODS + ("inherited_d",)
_PAPER_METH_ATTRS = {"flag_values": list(range(len(PAPER_METHODS))),
                     "flag_meanings": " ".join(PAPER_METHODS)}
PAPER_VARIABLES = (
    _V("nc_status", _G4, None, "verified verdict of the class-k LP X_k^T w = 1, X_j^T w <= 0 "
       "(paper (2.12), (3.1))", np.int8, F.UNDECIDED, STATUS_ATTRS),
    _V("nc_method", _G4, None, "method whose certificate decided the class LP "
       "(exact_noiseless: sigma = 0, exact cone test, no LP; inherited_d: a neighbouring d's "
       "certificate, re-verified)", np.int8, 0, _PAPER_METH_ATTRS),
    _V("nc_radius_ratio", _G4, "1", "infeasible: excluded radius 1/||r|| times max_i ||x_i|| "
       "(inf: exact certificate; NaN when feasible)"),
    _V("nc_w_norm", _G4, "1", "feasible: Euclidean norm of the verified w"),
    _V("nc_solve_time", _G4, "s", "wall time to decide the class LP"),
    _V("nc_reason", _G4, None, "why the class LP is undecided (empty when decided)", object, ""),
    _V("seed", ("d", "sigma", "trial"), None, "seed of the cell's noise draw (shallownc.grid; "
       "the same for every sigma of a (d, trial) under common noise, and for every d too "
       "under bisect_d)", np.uint64, 0),
    _V("snr", ("d", "sigma"), "1", D.SNR_DEFINITION),
)


def axis_values(axis: dict) -> np.ndarray:
    """Values start + step * i (i = 0 .. count - 1) of a config axis, rounded to 12 digits
    so that e.g. 0.0296 * 3 is stored as 0.0888."""
    return np.round(axis["start"] + axis["step"] * np.arange(axis["count"]), 12)


def paper_grids(name: str, block: dict) -> dict[str, Grid]:
    """The panels of one paper LP figure (config ``paper.<name>``) as common-noise grids,
    keyed by panel name (``theta<angle>`` for geometry angle, ``main`` otherwise); nested in
    d when ``block["search"]`` is ``bisect_d`` (grid.py)."""
    d = tuple(int(round(v)) for v in axis_values(block["d"]))
    if any(abs(v - round(v)) > 1e-9 for v in axis_values(block["d"])):
        raise ValueError(f"paper.{name}.d must give integer dimensions")
    base = dict(kind="paper", source="gmm", geometry=block["geometry"], K=block["K"],
                n=block["n"], d=d, sigma=tuple(float(s) for s in axis_values(block["sigma"])),
                trials=block["trials"], mean_norm=float(block["mean_norm"]), common_noise=block["search"] != "independent",
                nested_d=block["search"] == "bisect_d")
    if block["geometry"] == "angle":
        if block["K"] != 2 or not block["angle_deg"]:
            raise ValueError(f"paper.{name}: geometry angle needs K = 2 and a list angle_deg")
        return {f"theta{a:g}": Grid(name=f"{name}_theta{a:g}", angle_deg=float(a), **base)
                for a in block["angle_deg"]}
    if block["angle_deg"]:
        raise ValueError(f"paper.{name}: angle_deg is only for geometry angle")
    return {"main": Grid(name=f"{name}_main", **base)}


def paper_classes(block: dict) -> tuple:
    """Class LPs solved: class 1 only (index 0, the paper's quantity) or all K."""
    return (0,) if block["classes"] == "first" else tuple(range(block["K"]))


def noiseless(M: np.ndarray, y: np.ndarray, k: int, opts: F.SolverOptions) -> F.Verdict:
    """Class-k LP of the noiseless data X = M[:, y] (sigma = 0), decided exactly without an
    LP (shallownc.feasibility.decide_noiseless: the cone test in rational arithmetic)."""
    return F.decide_noiseless(M, len(y) // M.shape[1], k, opts)


def decide_one(X: np.ndarray, y: np.ndarray, k: int, opts: F.SolverOptions,
               expect_feasible: bool | None = None) -> F.Verdict:
    """The engine's verified decision of one class LP (shallownc.feasibility.decide_class_lp;
    ``expect_feasible`` only orders the LP forms tried)."""
    return F.decide_class_lp(X, y, k, opts, expect_feasible=expect_feasible)


def decide_sequence(M, y, Z, sigmas, classes, opts: F.SolverOptions) -> list:
    """Verdicts [sigma][class] of X(sigma) = M[:, y] + sigma Z for a whole sigma sequence
    (shallownc.feasibility.decide_sigma_sequence, one call per class: sigma = 0 exactly,
    the others warm-started by the previous sigma's verdict)."""
    per_class = [F.decide_sigma_sequence(M, Z, sigmas, k, opts) for k in classes]
    return [[col[j] for col in per_class] for j in range(len(sigmas))]


def _inherit(v: F.Verdict, d_src: int, X: np.ndarray, y: np.ndarray, k: int,
             opts: F.SolverOptions):
    """Verdict of the class-k LP of X from the verdict v of nested data (grid.py, nested_d);
    None when it does not carry over (then the LP is solved).

    Feasible (X has more rows than v's data): v's w padded with zeros, verified on X.
    Infeasible (X holds the first rows of v's data): v's Farkas multipliers (y, z) satisfy
    X_k y + X_-k z = 0 on every row of the larger data, hence on the first rows: the proof of
    v (exact, engine status 0) is a proof for X as well (restriction lemma, reports/theory.md
    §6). The multipliers are re-checked numerically on X (verify_farkas: status 0 or -2, i.e.
    consistent; the engine's exact prover may not re-prove a restricted certificate of
    larger support) and the verdict is stored as status 0 with that reason.
    """
    p = F.class_lp(X, y, k)
    if v.status == F.FEASIBLE and v.w is not None:
        w = np.concatenate([v.w, np.zeros(X.shape[0] - len(v.w))])
        u = F.verify_point(p, w, opts, "inherited_d")
        return u if u.status == F.FEASIBLE else None
    if v.status == F.INFEASIBLE and v.certificate is not None:
        u = F.verify_farkas(p, v.certificate[0], v.certificate[1], opts, "inherited_d")
        if u.status == F.INFEASIBLE:
            return u
        if u.status == F.INFEASIBLE_WITHIN_RADIUS and v.proof:
            u.status, u.reason = F.INFEASIBLE, ""
            u.proof = f"restriction of the exact proof at d = {d_src} ({v.proof})"
            return u
    return None


def _next_probe(lo: int, hi: int, guess, last):
    """Index to solve next inside (lo, hi): near ``guess`` first (galloping outwards from it,
    steps 1, 2, 4, ... in the direction the last verdict points), then the midpoint."""
    if guess is None:
        return (lo + hi) // 2
    if last is None:
        return min(max(guess, lo + 1), hi - 1)
    i, st, step = last
    nxt = i - step if st == F.FEASIBLE else i + step
    return nxt if lo < nxt < hi else (lo + hi) // 2


def bisect_d(X_full: np.ndarray, y: np.ndarray, ds, k: int, opts: F.SolverOptions,
             guess: int | None = None) -> tuple[list, int]:
    """Verdicts of the class-k LP of X_full[:d] for every d of ``ds`` (increasing), and the
    index of the smallest feasible d (len(ds) if none).

    Feasibility is monotone in d for nested data (grid.py, nested_d), so the verdicts left of
    a proven infeasible d and right of a proven feasible d follow from its certificate — each
    re-verified on its own data, and solved directly when that fails. The search starts at
    ``guess`` (e.g. the threshold of the neighbouring sigma) and gallops outwards, then
    bisects. A verdict that is not a proof (undecided, -2) stops the search: every d between
    the bracketing proofs is then solved directly."""
    D_ = len(ds)
    out = [None] * D_

    def solve(i):
        out[i] = decide_one(X_full[:ds[i]], y, k, opts)
        return out[i].status

    lo, hi, last, step = -1, D_, None, 1
    while hi - lo > 1:
        i = _next_probe(lo, hi, guess, last)
        st = solve(i)
        if st == F.FEASIBLE:
            hi = i
        elif st == F.INFEASIBLE:
            lo = i
        else:
            for j in range(lo + 1, hi):
                if out[j] is None:
                    solve(j)
            break
        step = 1 if last is None or last[1] != st else step * 2
        last = (i, st, step)
    for i in range(D_):
        if out[i] is None:
            t1 = time.perf_counter()
            src = hi if i > hi else lo
            v = _inherit(out[src], ds[src], X_full[:ds[i]], y, k, opts)
            if v is None:
                solve(i)
            else:
                v.solve_time = time.perf_counter() - t1
                out[i] = v
    first = next((i for i, v in enumerate(out) if v.status == F.FEASIBLE), D_)
    return out, first


def decide_nested(M, y, Z, ds, sigmas, classes, opts: F.SolverOptions) -> list:
    """Verdicts [d][sigma][class] of X(d, sigma) = (M[:, y] + sigma Z)[:d] (nested data):
    sigma = 0 exactly (:func:`noiseless`), other sigma by :func:`bisect_d`, each row's search
    started at the threshold of the previous sigma (the boundary moves little per step)."""
    D_ = len(ds)
    out = [[[None] * len(classes) for _ in sigmas] for _ in range(D_)]
    for c, k in enumerate(classes):
        guess = None
        for j, s in enumerate(sigmas):
            if s == 0:
                col = [noiseless(M[:d], y, k, opts) for d in ds]
            else:
                col, guess = bisect_d(M[:, y] + s * Z, y, ds, k, opts, guess)
            for i in range(D_):
                out[i][j][c] = col[i]
    return out


def _verdict_arrays(verdicts, lead: tuple) -> dict:
    """Arrays of :data:`PAPER_VARIABLES` from nested lists of Verdicts (shape lead + (C,))."""
    code = {m: i for i, m in enumerate(PAPER_METHODS)}
    flat = [v for v in np.asarray(verdicts, dtype=object).ravel()]
    shape = lead + (len(flat) // int(np.prod(lead)),)

    def arr(f, dtype=None):
        return np.array([f(v) for v in flat], dtype=dtype).reshape(shape)
    return {"nc_status": arr(lambda v: v.status), "nc_method": arr(lambda v: code[v.method]),
            "nc_radius_ratio": arr(lambda v: v.radius_ratio),
            "nc_w_norm": arr(lambda v: v.w_norm),
            "nc_solve_time": arr(lambda v: v.solve_time),
            "nc_reason": arr(lambda v: v.reason, object)}


def paper_cell(cell: Cell, *, base_seed: int, opts: F.SolverOptions, classes: tuple) -> dict:
    """Cell function of the paper figures: one (d, trial) with its whole sigma sequence — or,
    for a nested grid, one trial with every d (:func:`decide_nested`), or for the paper's
    independent design one (d, sigma, trial) (:func:`independent_draw`) — and the class LPs
    ``classes``; :data:`PAPER_VARIABLES` with leading axes (sigma,) or (d, sigma)."""
    if cell.grid.common_noise:
        M, y, Z, seed = cell.draw_common(base_seed)
    else:
        M, y, Z, seed = independent_draw(cell, base_seed)
    S = len(cell.sigmas)
    if cell.grid.nested_d:
        ds = cell.ds
        out = _verdict_arrays(decide_nested(M, y, Z, ds, cell.sigmas, classes, opts),
                              (len(ds), S))
        out["seed"] = np.full((len(ds), S), seed, dtype=np.uint64)
        out["snr"] = np.array([[D.snr(M[:d], s) for s in cell.sigmas] for d in ds])
        return out
    out = _verdict_arrays(decide_sequence(M, y, Z, cell.sigmas, classes, opts), (S,))
    out["seed"] = np.full(S, seed, dtype=np.uint64)
    out["snr"] = np.array([D.snr(M, s) for s in cell.sigmas])
    return out


def independent_draw(cell: Cell, base_seed: int):
    """(M, y, Z, seed) of a cell of the paper's own design (``search: independent``): one
    sigma, its own seed (sigma included, shallownc.grid), X = M[:, y] + sigma Z bit-identical
    to :meth:`Cell.draw` (same generator, means then noise, as shallownc.data.sample_gmm)."""
    g = cell.grid
    (s,) = cell.sigmas
    seed = cell.seed(base_seed, s)
    rng = np.random.default_rng(seed)
    M = D.mean_matrix(g.geometry, g.K, cell.d, g.mean_norm, g.angle_deg, rng)
    y = np.repeat(np.arange(g.K), g.n)
    return M, y, rng.standard_normal((cell.d, g.K * g.n)), seed


def paper_run_job(grid: Grid, job: str, base_seed: int, opts: F.SolverOptions,
                  classes: tuple, workers: int = 1) -> xr.Dataset:
    """One job (one d, a block of trials, all sigma) of a paper figure panel."""
    fn = functools.partial(paper_cell, base_seed=base_seed, opts=opts, classes=classes)
    ds = SW.run_job(grid, job, fn, PAPER_VARIABLES, workers=workers, coords={
        "class": (np.asarray(classes), {"description": "class index k (0 = the paper's "
                                                       "class 1)"})})
    return add_paper_derived(ds, grid)


def add_paper_derived(ds: xr.Dataset, grid: Grid) -> xr.Dataset:
    """class1_status (the paper's quantity), nc_all_status when every class was solved, d/n
    and grid metadata."""
    ds["class1_status"] = ds.nc_status.sel({"class": 0}, drop=True)
    ds["class1_status"].attrs = {**STATUS_ATTRS, "description":
        "verdict of the class-1 LP (3.1), the quantity of the paper's Figures 1-2"}
    if ds.sizes["class"] == grid.K:
        ds["nc_all_status"] = all_classes(ds.nc_status)
        ds["nc_all_status"].attrs = {**STATUS_ATTRS, "description":
            "all class LPs together (NC itself, Theorem 3): infeasible if any class is"}
    ds = with_grid_metadata(ds, grid)
    ds.attrs.update({"common_noise": int(grid.common_noise), "nested_d": int(grid.nested_d),
                     "classes_solved": D.json_list(ds["class"].values)})
    return ds
