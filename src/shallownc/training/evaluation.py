"""NC evaluation of a training state in float64, and the trajectory Dataset.

At each evaluation epoch the parameters are cast to float64 and the features recomputed on
the whole training set (and test set) in float64; the objective F_net (paper (2.1),
training.objective, full batch, h_scale = 1) and every metric of shallownc.metrics are
recorded per run. Variable names and descriptions: TRAJ_ATTRS; coordinates: COORD_ATTRS.
"""

from __future__ import annotations

import numpy as np
import torch
import xarray as xr

from shallownc import metrics as M
from shallownc.models import BatchedNet
from shallownc.training import nc_batched as NB
from shallownc.training.objective import NORMALIZATION, objective

TRAJ_VARS = ("objective", "loss", *M.METRIC_ATTRS, "test_error", "nc4_test", "nc1_test",
             "feature_norm")
TRAJ_ATTRS = {
    "objective": ("training objective F_net of the run, " + NORMALIZATION + "; full batch, "
                  "float64 (shallownc.training.objective)", "1"),
    "loss": ("data term (1/N) sum_i loss(f(x_i), y_i), full batch", "1"),
    "test_error": ("misclassification rate on fresh test data from the same mixture", "1"),
    "nc4_test": ("NC4 on the test data: network vs nearest training-class-mean rule", "1"),
    "nc1_test": ("NC1 of the test features (metrics.nc1)", "1"),
    "feature_norm": ("||H||_F / sqrt(N), root-mean-square feature norm", "1"),
    **M.METRIC_ATTRS,
}

COORD_ATTRS = {
    "run": ("index of the run in the batched training call", "1"),
    "epoch": ("passes over the training data (0 = initialization)", "epoch"),
    "seed": ("network initialization seed of the run (models.init_net)", "1"),
    "seed_index": ("index of the network seed", "1"),
    "lambda_W": ("last-layer (feature reg.) or all-weight (weight decay) coefficient, "
                 "paper (2.1) normalization (lambda_W/2)||W||^2", "1"),
    "lambda_H": ("feature regularization coefficient, paper (2.1) normalization "
                 "(lambda_H/2)||H||_F^2", "1"),
    "lr": ("base learning rate", "1"),
    "init_scale": ("initialization scale s: W ~ N(0, s^2/fan_in)", "1"),
    "d_over_n": ("input dimension over samples per class; d = round(d_over_n n)", "1"),
    "d": ("input dimension", "1"),
    "sigma": ("noise standard deviation per coordinate (x = mu_k + sigma z)", "1"),
    "trial": ("data-set index of the cell (data.GMMSpec.draw trial)", "1"),
    "first_width": ("width d1 of the first hidden layer (three-layer net)", "1"),
    "variant": ("regularizer variant (reg and coefficients)", "1"),
    "reg": ("regularizer: feature, weight_decay or none", "1"),
    "variant_lambda_W": ("lambda_W of the variant", "1"),
    "variant_lambda_H": ("lambda_H of the variant", "1"),
}


def describe(ds: xr.Dataset) -> xr.Dataset:
    """Give every coordinate of ``ds`` lacking them a ``description`` and ``units``."""
    for name in ds.variables:
        if name in COORD_ATTRS and "description" not in ds[name].attrs:
            desc, units = COORD_ATTRS[name]
            ds[name].attrs.update(description=desc, units=units)
    return ds


def _chunk_metrics(sub: BatchedNet, Xc, yc, Xtc, ytc, loss, reg, lam_W, lam_H, frozen, K):
    """Every TRAJ_VARS value of one chunk of runs, (R_chunk,) float64 tensors."""
    with torch.no_grad():
        logits, H = sub.forward(Xc)
        obj, data = objective(sub, Xc, yc, loss=loss, reg=reg, lambda_W=lam_W, lambda_H=lam_H,
                              forward=(logits, H), frozen=frozen)
        out, Hbar = NB.all_metrics(H, yc, sub.weights[-1], logits, loss, K)
        out.update(objective=obj, loss=data,
                   feature_norm=torch.linalg.vector_norm(H, dim=(1, 2)) / H.shape[2] ** 0.5)
        if Xtc is not None:
            logits_t, H_t = sub.forward(Xtc)
            out.update(NB.test_metrics(logits_t, H_t, ytc, Hbar, K))
    return out


def evaluate(net64: BatchedNet, X64, y_np, Xt64, yt_np, args, lam_W, lam_H, active,
             max_bytes: float = 2.5e8, frozen: int = 0) -> dict:
    """Metric dict name -> (R,) numpy array for the current state (float64; NaN for inactive
    runs and runs with a non-finite objective).

    Metrics are computed batched on the device (training.nc_batched, the formulas of
    shallownc.metrics), in chunks of runs whose float64 features (train and test) stay below
    ``max_bytes``: a 100-run sweep with 10^4 test samples fits on any device.
    args: {"loss": ..., "reg": ...}; frozen: leading layers excluded from weight decay.
    """
    R = net64.R
    dev = X64.device
    out = {k: np.full(R, np.nan) for k in TRAJ_VARS}
    p = net64.weights[-1].shape[2]
    n_all = X64.shape[-1] + (0 if Xt64 is None else Xt64.shape[-1])
    chunk = int(max(1, min(R, max_bytes // (8 * p * n_all))))
    K = net64.weights[-1].shape[1]
    y = torch.as_tensor(y_np, device=dev)
    yt = None if yt_np is None else torch.as_tensor(yt_np, device=dev)
    for c0 in range(0, R, chunk):
        c1 = min(R, c0 + chunk)
        pick = (lambda a: a if a is None or a.dim() <= (1 if a.dtype == torch.int64 else 2)
                else a[c0:c1])
        vals = _chunk_metrics(net64.runs(c0, c1), pick(X64), pick(y), pick(Xt64), pick(yt),
                              args["loss"], args["reg"], lam_W[c0:c1], lam_H[c0:c1], frozen, K)
        vals = {k: v.cpu().numpy() for k, v in vals.items()}
        ok = active[c0:c1] & np.isfinite(vals["objective"])
        for k in TRAJ_VARS:
            if k in vals:
                out[k][c0:c1] = np.where(ok, vals[k], np.nan)
    return out


def trajectory_dataset(records: dict, last_good: dict, diverged: np.ndarray,
                       diverged_epoch: np.ndarray, nc1_input: np.ndarray, blowup: float,
                       coords: dict, attrs: dict) -> xr.Dataset:
    """The (run, epoch) Dataset of a training call: every TRAJ_VARS trajectory, its final
    (last finite) value, the divergence flags and NC1 of the inputs."""
    ep = np.array(sorted(records))
    data_vars = {}
    for k in TRAJ_VARS:
        desc, units = TRAJ_ATTRS[k]
        data_vars[k] = (("run", "epoch"), np.stack([records[e][k] for e in ep], axis=1),
                        {"description": desc, "units": units})
        data_vars[f"final_{k}"] = (("run",), last_good[k],
                                   {"description": f"last finite value of {k} "
                                                   f"(the state before divergence)",
                                    "units": units})
    data_vars["diverged"] = (("run",), diverged.astype(np.int8),
                             {"description": "1 if the objective became NaN/inf or exceeded "
                                             f"{blowup:g}", "units": "1"})
    data_vars["diverged_epoch"] = (("run",), diverged_epoch,
                                   {"description": "first epoch with a bad objective (-1: none)",
                                    "units": "epoch"})
    data_vars["nc1_input"] = (("run",), nc1_input,
                              {"description": "NC1 of the raw inputs X (metrics.nc1): the "
                                              "data's own clustering", "units": "1"})
    coords = {"epoch": ("epoch", ep), **coords}
    return describe(xr.Dataset(data_vars, coords=coords, attrs=attrs))
