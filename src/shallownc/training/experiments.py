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
from shallownc.training.loop import train
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


def _net_seed(base_seed, experiment, trial, **cell):
    from shallownc.data import cell_seed

    return cell_seed(base_seed, trial, purpose="network", experiment=experiment, **cell) \
        % (2 ** 63)


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
    Xs, ys, Xts, yts, seeds, sig, tri, lps = [], [], [], [], [], [], [], []
    for s in exp["sigma"]:
        for t in range(exp["trials"]):
            X, y, Xt, yt, _ = draw_train_test(data, d, s, base_seed, t)
            Xs.append(X), ys.append(y), Xts.append(Xt), yts.append(yt)
            seeds.append(_net_seed(base_seed, experiment, t, d=d, sigma=float(s)))
            sig.append(float(s)), tri.append(t)
            if with_lp:
                lps.append(lp_status(X, y, solver_cfg))
    res = train(np.stack(Xs), np.stack(ys), seeds=seeds, X_test=np.stack(Xts),
                y_test=np.stack(yts), name=f"{experiment}_d{d}", **hparams(exp["train"], run_cfg))
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


def _padded_cells(exp: dict, base_seed: int, experiment: str, solver_cfg, with_lp: bool):
    """Data of every (d_over_n, sigma, trial) cell, inputs zero-padded to the largest d."""
    data = exp["data"]
    dims = {float(r): dimension(r, data["n"]) for r in exp["d_over_n"]}
    if min(dims.values()) < 1:
        raise ValueError(f"every d_over_n must give d >= 1 for n = {data['n']}: {dims}")
    dmax = max(dims.values())
    cells = {k: [] for k in ("X", "y", "Xt", "yt", "seed", "dn", "d", "sigma", "trial", "lp")}
    for r, d in dims.items():
        for s in exp["sigma"]:
            for t in range(exp["trials"]):
                X, y, Xt, yt, _ = draw_train_test(data, d, s, base_seed, t)
                cells["X"].append(np.pad(X, ((0, dmax - d), (0, 0))))
                cells["Xt"].append(np.pad(Xt, ((0, dmax - d), (0, 0))))
                cells["y"].append(y), cells["yt"].append(yt)
                cells["seed"].append(_net_seed(base_seed, experiment, t, d=d, sigma=float(s)))
                cells["dn"].append(r), cells["d"].append(d)
                cells["sigma"].append(float(s)), cells["trial"].append(t)
                if with_lp:
                    cells["lp"].append(lp_status(X, y, solver_cfg))
    return cells, dims


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
    cells, dims = _padded_cells(exp, base_seed, experiment, solver_cfg, with_lp)
    res = train(np.stack(cells["X"]), np.stack(cells["y"]), seeds=cells["seed"],
                X_test=np.stack(cells["Xt"]), y_test=np.stack(cells["yt"]),
                input_dims=cells["d"], name=f"{experiment}_padded", **hparams(exp["train"], run_cfg))
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
    X, y, Xt, yt, _ = draw_train_test(data, exp["d"], exp["sigma"], base_seed, 0)
    hp = hparams(exp["train"], run_cfg)
    p = hp.pop("widths")[0]
    hp.pop("arch")
    parts = []
    for d1 in exp["first_width"]:
        seeds = [_net_seed(base_seed, "three_layer", s, d1=int(d1)) for s in range(exp["seeds"])]
        res = train(X, y, arch="three_layer", widths=(int(d1), p), seeds=seeds, X_test=Xt,
                    y_test=yt, name=f"three_layer_d1_{d1}", **hp)
        parts.append(_unstack(res.trajectory, seed_index=np.arange(exp["seeds"]))
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
    X, y, Xt, yt, _ = draw_train_test(data, d, exp["sigma"], base_seed, 0)
    parts, labels = [], []
    for v in exp["variants"]:
        hp = hparams({**exp["train"], **v}, run_cfg)
        seeds = [_net_seed(base_seed, "regularization", s) for s in range(exp["seeds"])]
        label = (f"{v['reg']} lW={v['lambda_W']:g} lH={v['lambda_H']:g}"
                 if v["reg"] == "feature" else
                 f"{v['reg']} l={v['lambda_W']:g}" if v["reg"] == "weight_decay" else "none")
        labels.append(label)
        res = train(X, y, seeds=seeds, X_test=Xt, y_test=yt, name=f"reg_{len(parts)}",
                    **hp)
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
