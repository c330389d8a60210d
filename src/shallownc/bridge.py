"""The bridge: verified LP solutions -> explicit two-layer weights attaining the UPFM optimum.

Two-layer network f(x) = W2 relu(W1 x) (docs/science.md §1), W1 p x d, W2 K x p, features
H = relu(W1 X) (p x N), training objective with *activation* regularization (docs/science.md §1):

    F_net(W1, W2) = (1/N) sum_i loss(W2 h_i, y_i) + (lambda_W/2) ||W2||_F^2
                    + (lambda_H/2) ||H||_F^2,

the paper's objective (2.1) with the two-layer features (2.4), and the same loss normalization as
:mod:`shallownc.upfm` (CE, or MSE c||z - e_y||^2; ``upfm.NORMALIZATION``). W1 is not
regularized. Since H = relu(W1 X) >= 0, every network is a feasible point of the UPFM, so
F_net >= F*_UPFM always (reports/upfm.md D§7).

Construction (reports/upfm.md D§7). If every class LP X_k^T w_k = 1, X_j^T w_k <= 0 (docs/science.md
§4) has a verified solution w_k, put W1[k] = h w_k^T (k < K, other rows zero) with h the closed
form's feature scale, and W2 = the closed form's classifier. Then relu(W1 X)[k, i] =
h relu(x_i^T w_k) = h 1[y_i = k] (up to the LP residuals), i.e. H equals the UPFM minimizer's
features (collapsed orthogonal frame), and F_net = F*. Where some class LP is infeasible, the
network is trained (float64 L-BFGS, several starts) and its best objective is compared with F*.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import xarray as xr

from . import data as D
from . import feasibility as FZ
from . import metrics
from . import sweep
from . import upfm
from .class_sizes import dimension
from .grid import Cell, Grid
from .objective import MSE_SCALE

log = logging.getLogger(__name__)


def relu_features(W1, X) -> np.ndarray:
    """H = relu(W1 X), float64."""
    return np.maximum(np.asarray(W1, dtype=np.float64) @ np.asarray(X, dtype=np.float64), 0.0)


def network_objective(W1, W2, X, y, lam_W: float, lam_H: float, loss: str,
                      mse_scale: float = 0.5) -> float:
    """F_net of the module docstring (numpy, float64) = upfm.objective(W2, relu(W1 X))."""
    return upfm.objective(W2, relu_features(W1, X), y, lam_W, lam_H, loss, mse_scale)


def construct(X, y, ws, cf: upfm.ClosedForm, width: int | None = None):
    """Explicit (W1, W2) from the LP solutions ``ws`` (list of K vectors in R^d, D§7).

    Requires class-ordered, balanced labels matching the closed form's K and n.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    K, n = cf.K, cf.n
    if cf.model != "upfm":
        raise ValueError("the bridge constructs the UPFM minimizer (model 'upfm')")
    if len(ws) != K or any(w is None for w in ws):
        raise ValueError(f"need one verified LP solution per class ({K}), got "
                         f"{[None if w is None else np.shape(w) for w in ws]}")
    if not np.array_equal(y, np.repeat(np.arange(K), n)):
        raise ValueError("labels must be class-ordered with n samples per class "
                         f"(K={K}, n={n})")
    p = K if width is None else int(width)
    W2, Hc = cf.weights(p)
    h = float(Hc[0, 0]) if cf.nonzero else 0.0
    W1 = np.zeros((p, X.shape[0]))
    for k, w in enumerate(ws):
        W1[k] = h * np.asarray(w, dtype=np.float64)
    return W1, W2


# --------------------------------------------------------------------------------- training

@dataclass(frozen=True)
class TrainSettings:
    """Float64 training of the two-layer net (see workflow/schemas/upfm.schema.yaml)."""
    width: int = 0            # 0 means 2 K
    starts: int = 4
    max_iter: int = 3000
    init_scale: float = 1.0

    @classmethod
    def from_config(cls, c: dict) -> "TrainSettings":
        return cls(**{k: c[k] for k in ("width", "starts", "max_iter", "init_scale") if k in c})


def net_value_grad(W1, W2, X, y, lam_W: float, lam_H: float, loss: str, mse_scale: float = 0.5):
    """F_net and its gradient (W1 through the ReLU's a.e. derivative 1[W1 X > 0])."""
    A = W1 @ X
    H = np.maximum(A, 0.0)
    ell, G = upfm.loss_terms(W2 @ H, y, loss, mse_scale)
    N = y.size
    f = ell.mean() + 0.5 * lam_W * (W2 ** 2).sum() + 0.5 * lam_H * (H ** 2).sum()  # paper (2.1)
    GN = G / N
    gW2 = GN @ H.T + lam_W * W2
    gA = (W2.T @ GN + lam_H * H) * (A > 0)
    return float(f), gA @ X.T, gW2


def train_network(X, y, K: int, lam_W: float, lam_H: float, loss: str, settings: TrainSettings,
                  seed: int, mse_scale: float = 0.5):
    """Best (objective, W1, W2) over ``settings.starts`` random starts.

    Each start: W1 ~ N(0, init_scale^2/d), W2 ~ N(0, init_scale^2/p), then L-BFGS (scipy,
    float64) on F_net with the gradient of :func:`net_value_grad`. F_net is piecewise smooth;
    L-BFGS may stop at a kink, which can only make the reported best value *higher*: the
    trained values are upper bounds on the network's infimum, never lower bounds.
    """
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    d, N = X.shape
    p = settings.width or 2 * K
    rng = np.random.default_rng(int(seed))
    s1 = p * d

    def fg(x):
        W1 = x[:s1].reshape(p, d)
        W2 = x[s1:].reshape(K, p)
        f, g1, g2 = net_value_grad(W1, W2, X, y, lam_W, lam_H, loss, mse_scale)
        return f, np.concatenate([g1.ravel(), g2.ravel()])

    best = (np.inf, None, None)
    for _ in range(settings.starts):
        W1 = rng.standard_normal((p, d)) * settings.init_scale / np.sqrt(d)
        W2 = rng.standard_normal((K, p)) * settings.init_scale / np.sqrt(p)
        res = minimize(fg, np.concatenate([W1.ravel(), W2.ravel()]), jac=True,
                       method="L-BFGS-B", options={"maxiter": settings.max_iter,
                                                   "maxfun": 2 * settings.max_iter,
                                                   "gtol": 1e-12, "ftol": 1e-16, "maxcor": 30})
        W1n, W2n = res.x[:s1].reshape(p, d), res.x[s1:].reshape(K, p)
        val = network_objective(W1n, W2n, X, y, lam_W, lam_H, loss, mse_scale)
        if np.isfinite(val) and val < best[0]:
            best = (val, W1n.copy(), W2n.copy())
    return best


@dataclass(frozen=True)
class GDCheck:
    """Cross-check with the project's trainer (shallownc.training.train_two_layer): full-batch
    gradient descent, float64, ``seeds`` runs batched; 0 epochs disables it."""
    epochs: int = 0
    lr: float = 0.5
    seeds: int = 4

    @classmethod
    def from_config(cls, c: dict) -> "GDCheck":
        return cls(**{k: c[k] for k in ("epochs", "lr", "seeds") if k in c})


def gd_check(X, y, K: int, lam_W: float, lam_H: float, loss: str, width: int, gd: GDCheck,
             seed: int):
    """Best F_net (recomputed in numpy) over the project trainer's runs, NaN if all diverged.

    lam_W, lam_H are the paper's (2.1), which the trainer minimizes (shallownc.objective).
    """
    from . import training

    r = training.train_two_layer(X, y, width=width, loss=loss, lambda_W=lam_W, lambda_H=lam_H,
                                 epochs=gd.epochs, lr=gd.lr,
                                 seeds=[int(seed) % 2 ** 31 + i for i in range(gd.seeds)],
                                 dtype="float64", n_eval=5)
    vals = [network_objective(r.W1[i], r.W2[i], X, y, lam_W, lam_H, loss)
            for i in range(gd.seeds) if not r.diverged[i]]
    return min(vals) if vals else float("nan")


# -------------------------------------------------------------------------------- grid run

def bridge_grid(name: str, geometry: str, K: int, n: int, d, sigma, trials: int,
                mean_norm: float = 1.0, angle_deg: float = 120.0) -> Grid:
    """One bridge grid (workflow/schemas/upfm.schema.yaml, upfm.bridge.grids) as a
    :class:`shallownc.grid.Grid`: independent noise per (d, sigma, trial), so its data seeds
    are those of :class:`shallownc.data.GMMSpec` (Grid.seed)."""
    return Grid(name=name, kind="phase", source="gmm", geometry=geometry, K=int(K), n=int(n),
                d=tuple(int(v) for v in d), sigma=tuple(float(s) for s in sigma),
                trials=int(trials), mean_norm=float(mean_norm), angle_deg=float(angle_deg))


def grids_from_config(cfg: dict) -> dict[str, Grid]:
    """The bridge grids of a validated ``upfm`` config block; d = the sorted distinct
    max(1, round(d_over_n * n))."""
    out = {}
    for name, g in cfg["bridge"]["grids"].items():
        out[name] = bridge_grid(name, g["geometry"], g["K"], g["n"],
                                sorted({max(1, dimension(r, g["n"])) for r in g["d_over_n"]}),
                                g["sigma"], g["trials"], g["mean_norm"], g["angle_deg"])
    return out


_LOSS_DIMS = ("d", "sigma", "trial", "loss")
VARIABLES = [sweep.Variable(name, _LOSS_DIMS, "s" if name == "train_time" else "1", desc)
             for name, desc in [
    ("upfm_value", "closed-form UPFM optimum F* (reports/upfm.md)"),
    ("constructed_value", "F_net of the network built from the verified LP solutions "
                          "(NaN where some class LP is not feasible)"),
    ("trained_value", "lowest F_net found by training (L-BFGS, float64, best of the starts)"),
    ("constructed_nc1", "NC1 of relu(W1 X) of the constructed network (metrics.nc1)"),
    ("constructed_nc2_of", "orthogonal-frame NC2 error of the constructed features"),
    ("constructed_feature_error", "max |relu(W1 X) - H_UPFM| of the constructed network"),
    ("trained_nc1", "NC1 of the best trained network's features (metrics.nc1)"),
    ("trained_nc2_of", "orthogonal-frame NC2 error of the best trained network's features"),
    ("lp_eq_residual_max", "largest equality residual of the K verified LP solutions"),
    ("lp_ineq_violation_max", "largest inequality violation of the K verified LP solutions"),
    ("lambda_W", "classifier regularization"), ("lambda_H", "feature regularization"),
    ("train_time", "wall time of all training starts"),
    ("gd_value", "lowest F_net of the project trainer (training.train_two_layer, full-batch "
                 "GD, float64; NaN when disabled)"),
]] + [
    sweep.Variable("nc_all_status", ("d", "sigma", "trial"), "1",
                   "all class LPs (docs/science.md §4): verified verdict", dtype=np.int8,
                   fill=FZ.UNDECIDED, attrs={"flag_values": [1, 0, -1],
                                             "flag_meanings": "feasible infeasible undecided"}),
    sweep.Variable("seed", ("d", "sigma", "trial"), "1", "data seed (data.cell_seed)",
                   dtype=np.uint64, fill=0),
]


def _bridge_loss(X, y, nc, st, loss: str, grid: Grid, d: int, sigma: float, trial: int,
                 ratio: float, base_seed: int, train: TrainSettings, mse_scale: float,
                 lam_ratio: float, gd: GDCheck) -> dict:
    """The bridge quantities of one data set and one loss (VARIABLES with dim ``loss``)."""
    K, n, width = grid.K, grid.n, train.width or 2 * grid.K
    r = dict.fromkeys((v.name for v in VARIABLES if "loss" in v.dims), np.nan)
    lw, lh = upfm.lambdas_from_ratio(ratio, loss, K, n, mse_scale, lam_ratio)
    cf = upfm.closed_form(loss, "upfm", K, n, lw, lh, mse_scale)
    r.update(upfm_value=cf.value, lambda_W=lw, lambda_H=lh)
    if st == FZ.FEASIBLE:
        W1, W2 = construct(X, y, [v.w for v in nc], cf, width)
        H = relu_features(W1, X)
        _, Hc = cf.weights(width)
        r.update(constructed_value=network_objective(W1, W2, X, y, lw, lh, loss, mse_scale),
                 constructed_nc1=metrics.nc1(H, y, K),
                 constructed_nc2_of=metrics.nc2_orthogonal_frame(metrics.class_means(H, y, K)),
                 constructed_feature_error=float(np.abs(H - Hc).max()),
                 lp_eq_residual_max=max(v.eq_residual for v in nc),
                 lp_ineq_violation_max=max(v.ineq_violation for v in nc))
    t0 = time.perf_counter()
    tseed = D.cell_seed(base_seed, trial, stage="bridge_train", grid=grid.name, loss=loss,
                        d=d, sigma=float(sigma))
    val, W1t, _W2t = train_network(X, y, K, lw, lh, loss, train, tseed, mse_scale)
    r.update(train_time=time.perf_counter() - t0, trained_value=val)
    if W1t is not None:
        Ht = relu_features(W1t, X)
        r.update(trained_nc1=metrics.nc1(Ht, y, K),
                 trained_nc2_of=metrics.nc2_orthogonal_frame(metrics.class_means(Ht, y, K)))
    # the project trainer's MSE is MSE_SCALE ||f - e_y||^2: compare only when equal
    if gd.epochs > 0 and (loss == "ce" or mse_scale == MSE_SCALE):
        r["gd_value"] = gd_check(X, y, K, lw, lh, loss, width, gd, tseed)
    log.info("%s d=%d sigma=%g trial=%d %s: LP %s, F*=%.10g constructed-F* %.2e trained-F* "
             "%.2e (%.1f s)", grid.name, d, sigma, trial, loss, FZ.STATUS_NAMES[st], cf.value,
             r["constructed_value"] - cf.value, val - cf.value, r["train_time"])
    return r


def bridge_cell(cell: Cell, losses, ratio: float, base_seed: int, solver_opts: FZ.SolverOptions,
                train: TrainSettings, mse_scale: float = 0.5, lam_ratio: float = 1.0,
                gd: GDCheck = GDCheck()) -> dict:
    """Cell function (shallownc.sweep) of one (d, sigma, trial): the class LPs' verdict, then
    for every loss the constructed and the trained network (:func:`_bridge_loss`)."""
    (sigma,) = cell.sigmas
    X, y, seed, _snr = cell.draw(base_seed, sigma)
    nc, _ = FZ.solve_classes(X, y, solver_opts, separability=False)
    st = FZ.all_classes_status(v.status for v in nc)
    per = [_bridge_loss(X, y, nc, st, loss, cell.grid, cell.d, sigma, cell.trial, ratio,
                        base_seed, train, mse_scale, lam_ratio, gd) for loss in losses]
    out = {k: np.array([[p[k] for p in per]]) for k in per[0]}
    out.update(nc_all_status=np.array([st], dtype=np.int8), seed=np.array([seed], dtype=np.uint64))
    return out


def run_grid(grid: Grid, losses, ratio: float, base_seed: int,
             solver_opts: FZ.SolverOptions, train: TrainSettings, mse_scale: float = 0.5,
             lam_ratio: float = 1.0, gd: GDCheck = GDCheck()) -> xr.Dataset:
    """For every (loss, d, sigma, trial): LP verdicts, the constructed net's gap to F*, the
    trained net's gap to F*, and NC metrics of both feature matrices (:func:`bridge_cell`)."""
    losses = list(losses)
    fn = partial(bridge_cell, losses=losses, ratio=ratio, base_seed=base_seed,
                 solver_opts=solver_opts, train=train, mse_scale=mse_scale,
                 lam_ratio=lam_ratio, gd=gd)
    ds = sweep.sweep(grid, fn, VARIABLES, trials_per_job=grid.trials,
                     coords={"loss": (losses, {})})
    ds = ds.transpose("loss", "d", "sigma", "trial")
    ds.attrs = {
        "grid": grid.name, "geometry": grid.geometry, "K": grid.K, "n": grid.n,
        "mean_norm": grid.mean_norm, "angle_deg": grid.angle_deg, "ratio": ratio,
        "ratio_definition": "lambda_W lambda_H / threshold_UPFM(loss, K, n)",
        "lambda_W_over_lambda_H": lam_ratio, "mse_scale": mse_scale,
        "width": train.width or 2 * grid.K, "train_starts": train.starts,
        "train_max_iter": train.max_iter, "train_init_scale": train.init_scale,
        "gd_epochs": gd.epochs, "gd_lr": gd.lr, "gd_seeds": gd.seeds,
        "objective": "(1/N) sum loss(W2 relu(W1 x_i), y_i) + (lambda_W/2)||W2||^2 + "
                     "(lambda_H/2)||relu(W1 X)||^2", "derivation": "reports/upfm.md D§7",
        "normalization": upfm.NORMALIZATION}
    for name, ref, desc in [
            ("constructed_gap", "constructed_value",
             "F_net(constructed) - F* (0 up to the LP residuals)"),
            ("trained_gap", "trained_value", "best trained F_net - F* (>= 0 always; > 0 "
             "expected where an LP is infeasible)"),
            ("gd_gap", "gd_value", "project trainer's best F_net - F* (NaN when disabled)")]:
        ds[name] = ds[ref] - ds["upfm_value"]
        ds[name].attrs = {"description": desc, "units": "1"}
    return ds.assign_coords(d_over_n=("d", np.asarray(grid.d, dtype=float) / grid.n))
