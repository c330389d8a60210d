"""The training experiments of the pipeline (reports/training.md §4): drivers from config.

Each driver returns an xarray Dataset with named dimensions (run parameters..., epoch). Data
cells come from shallownc.data; the network seed of a run is data.cell_seed of (base seed,
experiment, cell, trial), so a run's initialization does not depend on how the sweep is
batched or chunked into jobs. The class-LP verdict of each training set comes from
shallownc.feasibility (imported here, never by the training core).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from shallownc.class_sizes import dimension
from shallownc.training.evaluation import describe
from shallownc.training.cells import train_cells
from shallownc.training.objective import NORMALIZATION
from shallownc.training.recipe import train_kwargs


def hparams(train_cfg: dict, run_cfg: dict) -> dict:
    """Keyword arguments of :func:`train` from a validated ``train`` block and the section's
    runtime keys (training.recipe.train_kwargs, the one translator)."""
    return train_kwargs(train_cfg, run_cfg)


def draw_train_test(data_cfg: dict, d: int, sigma: float, base_seed: int, trial: int):
    """(X, y, X_test, y_test, seed) of one cell: test data are fresh samples of the same mixture.

    The training set is GMMSpec(...).draw(base_seed, trial); the test set reuses its means M
    with an independent generator (shallownc.data.draw_test_set).
    """
    from shallownc.data import GMMSpec

    spec = GMMSpec(data_cfg["geometry"], data_cfg["K"], data_cfg["n"], int(d), float(sigma),
                   data_cfg["mean_norm"], data_cfg["angle_deg"])
    X, y, Xt, yt, _M, seed = spec.draw_train_test(base_seed, trial, data_cfg["n_test"])
    return X, y, Xt, yt, seed


def lp_status(X, y, solver_cfg: dict | None = None) -> int:
    """Class-LP verdict of the data (docs/science.md §4): 1 feasible, 0 infeasible, -1 undecided."""
    from shallownc import feasibility as F

    nc, _ = F.solve_classes(X, y, F.SolverOptions.from_config(solver_cfg), separability=False)
    return F.all_classes_status([v.status for v in nc])


def _cell_draw(data_cfg: dict, base_seed: int, pad_to: int | None = None, **fixed):
    """draw(cell) for train_cells: the cell's training and test sets (draw_train_test) at its
    d, sigma, trial (or the ``fixed`` ones); inputs zero-padded to ``pad_to`` if given."""
    def draw(cell):
        c = {**cell, **fixed}
        X, y, Xt, yt, _ = draw_train_test(data_cfg, c["d"], c["sigma"], base_seed, c["trial"])
        if pad_to is not None:
            X, Xt = (np.pad(A, ((0, pad_to - A.shape[0]), (0, 0))) for A in (X, Xt))
        return X, y, Xt, yt
    return draw


def _lp(solver_cfg):
    """lp(X, y, cell) for train_cells: the class-LP status of a cell's training set (its
    first d rows: padded inputs are zero beyond the cell's d)."""
    def lp(X, y, cell):
        return lp_status(X[:cell.get("d", X.shape[0])], y, solver_cfg)
    return lp


def _unstack(traj: xr.Dataset, **run_coords) -> xr.Dataset:
    """Turn the run dimension into the named parameter dimensions (each given per run)."""
    traj = traj.assign_coords({k: ("run", np.asarray(v)) for k, v in run_coords.items()})
    if len(run_coords) == 1:
        (key,) = run_coords
        return traj.swap_dims(run=key).drop_vars("run")
    return traj.set_index(run=list(run_coords)).unstack("run")


def run_grid(exp: dict, run_cfg: dict, base_seed: int, experiment: str, d_over_n: float,
             solver_cfg: dict | None = None, with_lp: bool = True) -> xr.Dataset:
    """Train every (sigma, trial) cell at one d = round(d_over_n n), batched in one call.

    Returns dims (d_over_n, sigma, trial, epoch); with ``with_lp`` also ``lp_status`` of each
    training set. Used by experiments 1 (dynamics) and 2 (theory vs training).
    """
    data = exp["data"]
    d = dimension(d_over_n, data["n"])
    if d < 1:
        raise ValueError(f"d_over_n = {d_over_n} gives d = {d} < 1 for n = {data['n']}")
    cells = [{"d": d, "sigma": float(s), "trial": t}
             for s in exp["sigma"] for t in range(exp["trials"])]
    runs = train_cells(cells, _cell_draw(data, base_seed), exp["train"], run_cfg,
                       base_seed=base_seed, experiment=experiment, name=f"{experiment}_d{d}",
                       lp=_lp(solver_cfg) if with_lp else None)
    res, lps = runs.result, runs.lp_status
    sig, tri = [c["sigma"] for c in cells], [c["trial"] for c in cells]
    traj = res.trajectory
    if with_lp:
        traj["lp_status"] = (("run",), np.asarray(lps, dtype=np.int8),
                             {"description": "class-LP verdict of the training data "
                                             "(docs/science.md 4; feasibility.solve_classes): "
                                             "1 feasible, 0 infeasible, -1 undecided",
                              "units": "1"})
    out = _unstack(traj, sigma=sig, trial=tri).expand_dims(d_over_n=[float(d_over_n)])
    out = out.assign_coords(d=("d_over_n", [d]))
    out.attrs.update(geometry=data["geometry"], n=data["n"], n_test=data["n_test"],
                     mean_norm=data["mean_norm"], experiment=experiment,
                     normalization=NORMALIZATION)
    return describe(out)


def run_padded_grid(exp: dict, run_cfg: dict, base_seed: int, experiment: str,
                    solver_cfg: dict | None = None, with_lp: bool = True) -> xr.Dataset:
    """Train every (d_over_n, sigma, trial) cell of a grid in ONE batched call.

    Same cells, data and network seeds as :func:`run_grid` per d (so the same runs), but the
    inputs of every d are zero-padded to the largest d and the runs carry their own input
    dimension (TrainSpec.input_dims, models.init_net): one tensor program for the whole grid,
    which keeps a GPU busy (the paper's Figure 3 grid is 36 runs; bench/gpu_run.sh). On a
    CPU the padding costs FLOPs: run_grid per d is cheaper there. Returns dims
    (d_over_n, sigma, trial, epoch) like run_dynamics, with lp_status if ``with_lp``.
    """
    data = exp["data"]
    dims = {float(r): dimension(r, data["n"]) for r in exp["d_over_n"]}
    if min(dims.values()) < 1:
        raise ValueError(f"every d_over_n must give d >= 1 for n = {data['n']}: {dims}")
    dmax = max(dims.values())
    cells = [{"d": d, "sigma": float(s), "trial": t} for d in dims.values()
             for s in exp["sigma"] for t in range(exp["trials"])]
    dn = [r for r in dims for _s in exp["sigma"] for _t in range(exp["trials"])]
    runs = train_cells(cells, _cell_draw(data, base_seed, pad_to=dmax), exp["train"], run_cfg,
                       base_seed=base_seed, experiment=experiment, name=f"{experiment}_padded",
                       lp=_lp(solver_cfg) if with_lp else None,
                       input_dims=[c["d"] for c in cells])
    res = runs.result
    cells = {"lp": runs.lp_status, "dn": dn, "sigma": [c["sigma"] for c in cells],
             "trial": [c["trial"] for c in cells]}
    traj = res.trajectory
    if with_lp:
        traj["lp_status"] = (("run",), np.asarray(cells["lp"], dtype=np.int8),
                             {"description": "class-LP verdict of the training data "
                                             "(feasibility.solve_classes): 1 feasible, "
                                             "0 infeasible, -1 undecided", "units": "1"})
    out = _unstack(traj, d_over_n=cells["dn"], sigma=cells["sigma"], trial=cells["trial"])
    out = out.transpose("d_over_n", "sigma", "trial", ...).sortby("d_over_n")
    out = out.assign_coords(d=("d_over_n", [dims[float(r)] for r in out.d_over_n.values]))
    data = exp["data"]
    out.attrs.update(geometry=data["geometry"], n=data["n"], n_test=data["n_test"],
                     mean_norm=data["mean_norm"], experiment=experiment,
                     normalization=NORMALIZATION, padded_to_d=max(dims.values()),
                     steps_per_s=res.steps_per_s, wall_s=res.wall_s)
    return describe(out)


def run_dynamics(exp: dict, run_cfg: dict, base_seed: int, solver_cfg=None) -> xr.Dataset:
    """Experiment 1: two-layer NC metrics vs epoch, dims (d_over_n, sigma, trial, epoch)."""
    parts = [run_grid(exp, run_cfg, base_seed, "dynamics", r, solver_cfg)
             for r in exp["d_over_n"]]
    return describe(xr.concat(parts, dim="d_over_n", data_vars="all", coords="different",
                              compat="equals", join="outer", combine_attrs="override"))


def run_three_layer(exp: dict, run_cfg: dict, base_seed: int, solver_cfg=None) -> xr.Dataset:
    """Experiment 3: three-layer nets, one data set, dims (first_width, seed, epoch)."""
    data = exp["data"]
    draw = _cell_draw(data, base_seed, d=exp["d"], sigma=float(exp["sigma"]), trial=0)
    p = exp["train"]["width"]
    parts = []
    for d1 in exp["first_width"]:
        runs = train_cells([{"d1": int(d1), "trial": s} for s in range(exp["seeds"])], draw,
                           exp["train"], run_cfg, base_seed=base_seed, experiment="three_layer",
                           name=f"three_layer_d1_{d1}", shared=True, arch="three_layer",
                           widths=(int(d1), p))
        X, y = runs.X[0], runs.y[0]
        parts.append(_unstack(runs.result.trajectory, seed_index=np.arange(exp["seeds"]))
                     .drop_vars("seed").expand_dims(first_width=[int(d1)]))
    out = xr.concat(parts, dim="first_width", data_vars="all", coords="different",
                    compat="equals", join="outer", combine_attrs="override")
    out["lp_status_input"] = ((), np.int8(lp_status(X, y, solver_cfg)),
                              {"description": "class-LP verdict of the raw inputs "
                                              "(a two-layer net on X)", "units": "1"})
    out.attrs.update(d=exp["d"], sigma=exp["sigma"], width=p, geometry=data["geometry"],
                     n=data["n"], N=data["n"] * data["K"], experiment="three_layer",
                     normalization=NORMALIZATION)
    return describe(out)


def run_regularization(exp: dict, run_cfg: dict, base_seed: int,
                       solver_cfg=None) -> xr.Dataset:
    """Experiment 4: regularizer variants on one data set, dims (variant, seed, epoch)."""
    data = exp["data"]
    d = dimension(exp["d_over_n"], data["n"])
    draw = _cell_draw(data, base_seed, d=d, sigma=float(exp["sigma"]), trial=0)
    parts, labels = [], []
    for v in exp["variants"]:
        label = (f"{v['reg']} lW={v['lambda_W']:g} lH={v['lambda_H']:g}"
                 if v["reg"] == "feature" else
                 f"{v['reg']} l={v['lambda_W']:g}" if v["reg"] == "weight_decay" else "none")
        labels.append(label)
        runs = train_cells([{"trial": s} for s in range(exp["seeds"])], draw,
                           {**exp["train"], **v}, run_cfg, base_seed=base_seed,
                           experiment="regularization", name=f"reg_{len(parts)}", shared=True)
        X, y, res = runs.X[0], runs.y[0], runs.result
        tr = _unstack(res.trajectory, seed_index=np.arange(exp["seeds"])).drop_vars(
            ["seed", "lambda_W", "lambda_H", "lr", "init_scale"])
        parts.append(tr.expand_dims(variant=[label]).assign_coords(
            reg=("variant", [v["reg"]]), variant_lambda_W=("variant", [v["lambda_W"]]),
            variant_lambda_H=("variant", [v["lambda_H"]])))
    out = xr.concat(parts, dim="variant", data_vars="all", coords="different",
                    compat="equals", join="outer", combine_attrs="override")
    out["lp_status"] = ((), np.int8(lp_status(X, y, solver_cfg)),
                        {"description": "class-LP verdict of the training data", "units": "1"})
    out.attrs.update(d=d, sigma=exp["sigma"], geometry=data["geometry"], n=data["n"],
                     experiment="regularization", normalization=NORMALIZATION)
    out.attrs.pop("reg", None)
    return describe(out)
