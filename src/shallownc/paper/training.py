"""The paper's training experiments, Figures 3-6 (Hong & Ling, JMLR 2026, Section 3).

Recipe shared by every figure (paper Section 3; config ``paper.train``; reports/paper.md):
cross-entropy with activation regularization, objective paper (2.1)
    (1/N) sum_i CE(W^T h_i, y_i) + (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2,
lambda_W = 1e-3, lambda_H = 1e-6, bias-free ReLU layers, plain minibatch SGD (no momentum),
lr 0.1 divided by 10 at 1/3 and 2/3 of training. The minibatch objective is the trainer's unbiased
estimate (mean loss of the batch + (lambda_H/2)(N/B)||H_batch||^2 + (lambda_W/2)||W||^2).
The paper's lambdas reach :mod:`shallownc.training` unchanged: it minimizes (2.1) itself
(:mod:`shallownc.objective`).

* Figure 3 (and 4-5, which show the same runs along epochs): two-layer net (2.4), K = 2,
  mu_1 = -mu_2 = e_1, n = 300, x = mu_k + sigma z, d = round(d/n * n); one training job per
  cell (d, sigma) (``paper.fig3.job: cell``, the default; the trials of the cell trained
  together in one batched call) or per d (``job: d``, all sigma and trials in one call);
  :func:`combine` joins the jobs; with paper.train.data_span the first layer of a cell
  with d > N trains in the span of its data (exact: training.span, reports/training.md §9).
* Figure 6: three-layer net (2.5) whose first layer W1 (D x d1, i.i.d. N(0, 1/d1), paper
  Theorem 6) is frozen: the trainer's ``arch="three_layer", freeze_first=True`` (same code path
  as the Gaussian data; the trainer computes relu(W1^T X) once and trains the two upper
  layers on it). The rank and the class-LP verdict of relu(W1^T X) are taken from the trained
  net's W1. Data (``paper.fig6.data``): Fashion-MNIST as in the paper (presets; 500 per class,
  N = 5000) or scikit-learn's 8x8 digits (the default: 174 per class, N = 1740), all ten
  classes, every class subsampled (without replacement, seeded), pixels standardized, then
  every image scaled to unit norm (Theorem 6's ||x_i|| = 1).

Metrics along epochs come from the trainer (shallownc.metrics): ours (NC1 (3.2), Tr ratio,
orthogonal-frame NC2, Papyan NC3) and, when the installed trainer records them, the paper's
(3.3) NC2_H, NC2_W, NC3 (names ``*_paper``). Every dataset also stores the class-LP verdict of
the training data (1 feasible: the global minimizer is collapsed, paper Theorem 3) and the
certified gap objective - F*_UPFM (paper Theorem 2; 0 only at a collapsed global minimizer).
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from .. import data as D
from .. import upfm
from ..objective import NORMALIZATION
from ..training.recipe import train_kwargs as recipe_kwargs

log = logging.getLogger(__name__)

#: our metrics and the paper's (3.3), in the order they are drawn
OUR_METRICS = ("nc1", "nc1_trace", "nc2_of", "nc3")
PAPER_METRICS = ("nc2_h_paper", "nc2_w_paper", "nc3_paper")
#: size of the smallest class of scikit-learn's digits (the balanced per-class count)
DIGITS_MIN_CLASS = 174
TRAJ_KEEP = ("objective", "loss", "nc1", "nc1_trace", "nc2_of", "nc2_etf", "nc3", "nc4",
             *PAPER_METRICS)


def eval_epochs(epochs: int, n_eval: int, milestones=()) -> np.ndarray:
    """Evaluation epochs: 0, ~n_eval log-spaced and ~n_eval/2 linearly spaced ones, the epochs
    ceil(m * epochs) at which the trainer's step schedule drops the lr (the state just before
    each drop), and the last epoch."""
    if epochs < 1 or n_eval < 2:
        raise ValueError(f"need epochs >= 1 and n_eval >= 2, got {epochs}, {n_eval}")
    lg = np.round(np.logspace(0, np.log10(epochs), n_eval))
    li = np.round(np.linspace(0, epochs, max(2, n_eval // 2)))
    ms = [np.ceil(float(m) * epochs) for m in milestones]
    return np.unique(np.concatenate([[0], lg, li, ms, [epochs]]).astype(np.int64))


def recipe(train_cfg: dict, epochs: int, width: int, batch_size: int) -> dict:
    """The validated ``paper.train`` recipe with a figure's width, epochs and batch size."""
    return {**train_cfg, "width": int(width), "epochs": int(epochs),
            "batch_size": int(batch_size)}


def figure_settings(train_cfg: dict, epochs: int, width: int,
                    first_width: int | None = None) -> dict:
    """TrainSpec settings the figures set themselves: the evaluation epochs
    (:func:`eval_epochs`) and, with ``first_width`` = d1, the three-layer net with a frozen
    first layer of that width (Figure 6), which is not trained in the span of the data
    (``paper.train.data_span`` serves Figures 3-5; training.span refuses a frozen layer)."""
    out = {"eval_epochs": eval_epochs(int(epochs), int(train_cfg["n_eval"]),
                                      train_cfg["lr_milestones"])}
    if first_width is not None:
        out.update(arch="three_layer", widths=(int(first_width), int(width)), freeze_first=True,
                   data_span=False)
    return out


def train_kwargs(train_cfg: dict, epochs: int, width: int, batch_size: int,
                 first_width: int | None = None) -> dict:
    """Keyword arguments of shallownc.training.train for the paper's recipe (module docstring):
    :func:`recipe` through the one translator (training.recipe.train_kwargs; runtime from
    ``paper.train``) and :func:`figure_settings`."""
    return {**recipe_kwargs(recipe(train_cfg, epochs, width, batch_size), train_cfg),
            **figure_settings(train_cfg, epochs, width, first_width)}


def _lp_status(X, y, solver_cfg: dict) -> int:
    from .. import feasibility as F

    nc, _ = F.solve_classes(X, y, F.SolverOptions.from_config(solver_cfg), separability=False)
    return F.all_classes_status([v.status for v in nc])


def _keep_traj(traj: xr.Dataset) -> xr.Dataset:
    keep = [k for k in TRAJ_KEEP if k in traj]
    return traj[keep + [f"final_{k}" for k in keep if f"final_{k}" in traj]
                + ["diverged", "nc1_input"]]


def _recipe_attrs(train_cfg: dict, epochs: int, width: int, batch_size: int, N: int) -> dict:
    return {"normalization": NORMALIZATION, "lambda_W": float(train_cfg["lambda_W"]),
            "lambda_H": float(train_cfg["lambda_H"]), "lr": float(train_cfg["lr"]),
            "lr_milestones": str(list(train_cfg["lr_milestones"])),
            "lr_gamma": float(train_cfg["lr_gamma"]), "epochs": int(epochs),
            "width": int(width), "batch_size": int(batch_size),
            "steps_per_epoch": int(N // int(batch_size)),
            "optimizer": "plain minibatch SGD" if float(train_cfg["momentum"]) == 0 else
            f"minibatch SGD, heavy-ball momentum {float(train_cfg['momentum']):g}",
            "loss": "ce", "regularization": "activation (feature) regularization, paper (2.1)",
            "length_label": train_cfg["length_label"], "dtype": train_cfg["dtype"]}


def _upfm_gap_vars(final_obj: np.ndarray, K: int, n: int, train_cfg: dict, dims) -> dict:
    F = upfm.closed_form("ce", "upfm", K, n, train_cfg["lambda_W"], train_cfg["lambda_H"]).value
    return {"upfm_value": ((), F, {"description": "closed-form UPFM optimum F* (paper Theorem 2, "
                                                  "objective (2.1))", "units": "1"}),
            "upfm_gap": (dims, final_obj - F, {"description": "final objective minus F*: >= 0 "
                                               "for every network, 0 only at a collapsed global "
                                               "minimizer (reports/upfm.md D§7)", "units": "1"})}


def run_fig3_cell(fig_cfg: dict, train_cfg: dict, d: int, sigma: float, base_seed: int,
                  solver_cfg: dict, device: str, checkpoint_dir) -> xr.Dataset:
    """The runs of one Figure 3 cell (d, sigma) (``paper.fig3.job: cell``, one job per
    cell): :func:`run_fig3_job` with the one sigma."""
    return run_fig3_job(fig_cfg, train_cfg, d, [sigma], base_seed, solver_cfg, device,
                        checkpoint_dir)


def run_fig3_job(fig_cfg: dict, train_cfg: dict, d: int, sigmas, base_seed: int,
                 solver_cfg: dict, device: str, checkpoint_dir) -> xr.Dataset:
    """The Figure 3 runs at d and each of ``sigmas`` (one sigma: a cell, ``paper.fig3.job:
    cell``; all of them: ``job: d``), all their trials trained in one batched call: dims
    (d, sigma, trial, epoch) with d of size 1 (:func:`combine` joins the jobs). Network seeds
    and data depend on the cell (d, sigma, trial) only (training.cells.network_seed), the
    minibatch order on the seeds of the call. With ``paper.train.data_span`` and d > N the
    first layer trains in the span of the data (training.span, reports/training.md §9)."""
    from ..training.cells import train_cells

    n, T = int(fig_cfg["n"]), int(fig_cfg["trials"])
    sigmas = [float(s) for s in sigmas]
    cells = [{"d": int(d), "sigma": s, "trial": t} for s in sigmas for t in range(T)]

    def draw(c):
        X, y, _M, _seed = D.GMMSpec("antipodal", 2, n, c["d"], c["sigma"],
                                    float(fig_cfg["mean_norm"])).draw(base_seed, c["trial"])
        return X, y

    name = f"paper_fig3_d{int(d)}" + (f"_s{sigmas[0]!r}" if len(sigmas) == 1 else "")
    runs = train_cells(cells, draw, recipe(train_cfg, fig_cfg["epochs"], fig_cfg["width"],
                                           fig_cfg["batch_size"]), train_cfg,
                       base_seed=base_seed, experiment="paper_fig3", name=name,
                       lp=lambda X, y, _c: _lp_status(X, y, solver_cfg),
                       device=device, checkpoint_dir=checkpoint_dir,   # the claimed device
                       **figure_settings(train_cfg, fig_cfg["epochs"], fig_cfg["width"]))
    res, S = runs.result, len(sigmas)
    traj = _keep_traj(res.trajectory)
    out = {k: (("sigma", "trial") + v.dims[1:], v.values.reshape((S, T) + v.values.shape[1:]),
               v.attrs) for k, v in traj.data_vars.items()}
    out["nc_all_status"] = (("sigma", "trial"),
                            np.asarray(runs.lp_status, np.int8).reshape(S, T),
                            {"description": "verified class-LP verdict of the training data "
                             "(paper Theorem 3): 1 feasible (collapsed global minimizer), "
                             "0 infeasible, -1 undecided, -2 infeasible within radius",
                             "units": "1"})
    out.update(_upfm_gap_vars(res.objective.reshape(S, T), 2, n, train_cfg,
                              ("sigma", "trial")))
    out.update(_job_cost_vars(res, S))
    ds = xr.Dataset(out, coords={"sigma": sigmas, "trial": np.arange(T),
                                 "epoch": traj.epoch.values})
    ds = ds.expand_dims(d=[int(d)]).assign_coords(d_over_n=("d", [int(d) / n]))
    ds.attrs.update(_recipe_attrs(train_cfg, fig_cfg["epochs"], fig_cfg["width"],
                                  fig_cfg["batch_size"], 2 * n))
    ds.attrs.update({"figure": "paper Figure 3 (final NC1), Figures 4-5 (along epochs)",
                     "K": 2, "n": n, "means": "mu_1 = -mu_2 = mean_norm * e_1",
                     "mean_norm": float(fig_cfg["mean_norm"]), "wall_s": float(res.wall_s),
                     "steps_per_s": float(res.steps_per_s)})
    return ds


def _job_cost_vars(res, S: int) -> dict:
    """Wall time, time per step and the dimension the first layer trained in, of the job's
    training call, per sigma (dims (sigma,); a job of several sigma, ``paper.fig3.job: d``,
    gives each of them the values of its one call)."""
    ms = 1e3 * res.extras["step_s"] / res.extras["steps_done"] if res.extras["steps_done"] \
        else float("nan")
    return {"wall_s": (("sigma",), [float(res.wall_s)] * S,
                       {"description": "wall time of the job's training call (all its runs, "
                        "evaluations included; a per-d job's for each of its sigma)",
                        "units": "s"}),
            "ms_per_step": (("sigma",), [ms] * S,
                            {"description": "wall time per SGD step of the job's batched "
                             "training call (all its runs; evaluations excluded; the steps "
                             "of this call, after a resumed checkpoint)", "units": "ms"}),
            "span_dim": (("sigma",), [int(res.trajectory.attrs["span_dim"])] * S,
                         {"description": "dimension the first layer was trained in: N when "
                          "trained in the span of the data (d > N, paper.train.data_span; "
                          "reports/training.md §9), else d", "units": "1"})}


def digits_balanced(n_per_class: int | None, seed: int):
    """All ten digits classes, each subsampled to ``n_per_class`` (None: the smallest class
    count, 174), pixels standardized, each image scaled to unit norm (module docstring)."""
    X, y = D.load_digits_arrays(list(range(10)), standardize=True)
    n_min = int(np.bincount(y).min())
    n = n_min if n_per_class is None else int(n_per_class)
    if not 1 <= n <= n_min:
        raise ValueError(f"n_per_class must be in 1..{n_min} (smallest digits class), got {n}")
    Xs, ys = D.subsample_project(X, y, n, None, seed)
    nrm = np.linalg.norm(Xs, axis=0)
    if (nrm == 0).any():
        raise ValueError("a digits image is constant after standardization")
    return Xs / nrm, ys


#: per-class count of Fashion-MNIST's training split (shallownc.fashion_mnist)
FASHION_PER_CLASS = 6000
SMALLEST_CLASS = {"digits": DIGITS_MIN_CLASS, "fashion_mnist": FASHION_PER_CLASS}
DATA_TEXT = {
    "digits": "scikit-learn 8x8 digits, all 10 classes, each subsampled to {n} per class "
              "(seeded), pixels standardized, images unit norm",
    "fashion_mnist": "Fashion-MNIST training split (the paper's data; IDX files of Debian's "
                     "dataset-fashion-mnist), all 10 classes, each subsampled to {n} per class "
                     "(seeded), pixels standardized over the split, images unit norm"}


def data_seed(base_seed: int, source: str) -> int:
    """Seed of the per-class subsample of a real data set (data.paper_real_data_seed)."""
    return D.paper_real_data_seed(base_seed, source)


def real_balanced(source: str, n_per_class: int, seed: int, fashion_path=None):
    """The balanced, unit-norm real data of Figure 6 / Theorem 6 (module docstring):
    ``source`` digits or fashion_mnist, ``n_per_class`` 0 = the smallest class count."""
    if source == "digits":
        return digits_balanced(n_per_class or None, seed)
    if source != "fashion_mnist":
        raise ValueError(f"unknown real data set {source!r}; use digits or fashion_mnist")
    if fashion_path is None:
        raise ValueError("Fashion-MNIST needs its folder (config key data.fashion_mnist.path)")
    from .. import fashion_mnist as FM

    return FM.balanced_unit(fashion_path, n_per_class or FASHION_PER_CLASS, seed)


def fig6_N(fig_cfg: dict) -> int:
    """N = 10 n of Figure 6 (n_per_class, or the smallest class count of its data set)."""
    return 10 * (fig_cfg["n_per_class"] or SMALLEST_CLASS[fig_cfg["data"]])


def fig6_widths(fig_cfg: dict, N: int) -> list[int]:
    """First-layer widths d1 = round(r N) for r in ``d1_over_N`` (paper: N/2 ... 4N)."""
    return sorted({max(1, int(round(r * N))) for r in fig_cfg["d1_over_N"]})


def run_fig6_d1(fig_cfg: dict, train_cfg: dict, d1: int, base_seed: int, solver_cfg: dict,
                device: str, checkpoint_dir, fashion_path=None) -> xr.Dataset:
    """Figure 6 runs at first-layer width d1 (trials = independent W1 and initializations);
    ``fashion_path`` = data.fashion_mnist.path when fig_cfg["data"] is fashion_mnist."""
    from .. import random_features as RF
    from ..training.cells import train_cells

    source = fig_cfg["data"]
    X, y = real_balanced(source, fig_cfg["n_per_class"], data_seed(base_seed, source),
                         fashion_path)
    K, N = 10, X.shape[1]
    T = int(fig_cfg["trials"])
    res = train_cells([{"d1": int(d1), "trial": t} for t in range(T)], lambda _c: (X, y),
                      recipe(train_cfg, fig_cfg["epochs"], fig_cfg["width"],
                             fig_cfg["batch_size"]), train_cfg, base_seed=base_seed,
                      experiment="paper_fig6", name=f"paper_fig6_d1_{d1}", shared=True,
                      device=device, checkpoint_dir=checkpoint_dir,    # the claimed device
                      **figure_settings(train_cfg, fig_cfg["epochs"], fig_cfg["width"],
                                        first_width=d1)).result
    lp, ranks = [], []
    for t in range(T):
        X1 = np.maximum(res.weights[0][t] @ X, 0.0)             # the frozen features
        ranks.append(RF.numerical_rank(X1))
        lp.append(_lp_status(X1, y, solver_cfg) if fig_cfg["lp_check"] else -1)
    traj = _keep_traj(res.trajectory).rename(run="trial")
    traj = traj.assign_coords(trial=np.arange(T))
    extra = {"nc_all_status": (("trial",), np.asarray(lp, np.int8),
                               {"description": "verified class-LP verdict on X1 = relu(W1^T X) "
                                "(paper Theorem 3; -1 also when the check is disabled)",
                                "units": "1"}),
             "feature_rank": (("trial",), np.asarray(ranks),
                              {"description": "numerical rank of relu(W1^T X) (N = full rank, "
                               "paper Theorem 6; random_features.numerical_rank)", "units": "1"})}
    extra.update(_upfm_gap_vars(res.objective, K, N // K, train_cfg, ("trial",)))
    ds = traj.assign(extra).expand_dims(d1=[int(d1)])
    ds = ds.assign_coords(d1_over_N=("d1", [d1 / N]))
    ds = ds.drop_vars([c for c in ("seed", "lambda_W", "lambda_H", "lr", "init_scale")
                       if c in ds.coords])
    ds.attrs = _recipe_attrs(train_cfg, fig_cfg["epochs"], fig_cfg["width"],
                             fig_cfg["batch_size"], N)
    ds.attrs.update({"figure": "paper Figure 6", "K": K, "N": N, "n": N // K,
                     "data": DATA_TEXT[source].format(n=N // K), "data_source": source,
                     "architecture": "three-layer, first layer W1 ~ N(0, 1/d1) frozen: the "
                                     "trainable layers see relu(W1^T X)",
                     "wall_s": float(res.wall_s), "steps_per_s": float(res.steps_per_s)})
    return ds


def combine(parts: list[xr.Dataset], dims) -> xr.Dataset:
    """Join per-job datasets along their job axes ``dims`` (outer first; a name or a tuple):
    ("d", "sigma") for Figure 3's cells, "d1" for Figure 6: the parts sharing an outer
    coordinate are concatenated along the inner axes, then along the outer one, each axis in
    increasing order (also inside a job of several sigma). The result has dims
    (d, sigma, trial, epoch) for Figure 3 whichever way its runs were split into jobs."""
    if not parts:
        raise ValueError("nothing to combine")
    dims = (dims,) if isinstance(dims, str) else tuple(dims)
    ds = _nest(list(parts), dims).sortby(list(dims))
    ds.attrs["wall_s_total"] = float(sum(float(p.attrs.get("wall_s", 0.0)) for p in parts))
    ds.attrs["normalization"] = NORMALIZATION
    return ds


def _nest(parts: list[xr.Dataset], dims: tuple) -> xr.Dataset:
    outer, inner = dims[0], dims[1:]
    if inner:
        groups: dict = {}
        for p in parts:
            groups.setdefault(p[outer].values[0].item(), []).append(p)
        parts = [_nest(g, inner) for g in groups.values()]
    parts = sorted(parts, key=lambda p: float(p[outer].values[0]))
    return xr.concat(parts, dim=outer, data_vars="minimal", coords="minimal", compat="equals",
                     join="outer", combine_attrs="drop_conflicts")


def select_sigma(fig3: xr.Dataset, sigma: float, figure: str) -> xr.Dataset:
    """The Figure 3 runs at one sigma: the data of paper Figure 4 (sigma 0.18) or 5 (1.42)."""
    sig = fig3.sigma.values
    i = np.flatnonzero(np.isclose(sig, float(sigma)))
    if i.size != 1:
        raise ValueError(f"{figure}: sigma {sigma} is not one of the Figure 3 sigmas {list(sig)}")
    ds = fig3.isel(sigma=int(i[0]))
    ds.attrs = dict(fig3.attrs, figure=figure, sigma=float(sig[i[0]]))
    return ds
