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
    "lp_verdict": ("class-LP verdict (row of the confusion matrix)", "1"),
    "trained": ("training outcome (column of the confusion matrix)", "1"),
}


def describe(ds: xr.Dataset) -> xr.Dataset:
    """Give every coordinate of ``ds`` lacking them a ``description`` and ``units``."""
    for name in ds.variables:
        if name in COORD_ATTRS and "description" not in ds[name].attrs:
            desc, units = COORD_ATTRS[name]
            ds[name].attrs.update(description=desc, units=units)
    return ds


def _per_run(a, r):
    return a if a.ndim == 1 else a[r]


def _chunk_arrays(sub: BatchedNet, Xc, yc, Xtc, loss, reg, lam_W, lam_H, frozen):
    """Forward pass of one chunk of runs in float64: numpy arrays of the quantities needed."""
    with torch.no_grad():
        y_t = torch.as_tensor(yc, device=Xc.device)
        logits, H = sub.forward(Xc)
        obj, data = objective(sub, Xc, y_t, loss=loss, reg=reg, lambda_W=lam_W,
                              lambda_H=lam_H, forward=(logits, H), frozen=frozen)
        test = None
        if Xtc is not None:
            logits_t, H_t = sub.forward(Xtc)
            test = (logits_t.cpu().numpy(), H_t.cpu().numpy())
    return (obj.cpu().numpy(), data.cpu().numpy(), logits.cpu().numpy(), H.cpu().numpy(),
            sub.weights[-1].detach().cpu().numpy(), test)


def _record_run(out, r, i, arrays, yr, ytr, loss, K):
    """Fill run r's metrics (index i in its chunk) into ``out``."""
    obj, data, logits, H, W, test = arrays
    out["objective"][r], out["loss"][r] = obj[i], data[i]
    out["feature_norm"][r] = np.linalg.norm(H[i]) / np.sqrt(H.shape[2])
    for k, v in M.all_metrics(H[i], yr, W[i], logits[i], loss, K).items():
        out[k][r] = v
    if test is not None:
        logits_t, H_t = test
        Hbar = M.class_means(H[i], yr, K)
        out["test_error"][r] = M.error_rate(logits_t[i], ytr)
        out["nc4_test"][r] = M.nc4(logits_t[i], H_t[i], Hbar)
        out["nc1_test"][r] = M.nc1(H_t[i], ytr, K)


def evaluate(net64: BatchedNet, X64, y_np, Xt64, yt_np, args, lam_W, lam_H, active,
             max_bytes: float = 2.5e8, frozen: int = 0) -> dict:
    """Metric dict name -> (R,) array for the current state (float64; NaN for inactive runs).

    Runs are evaluated in chunks so that the float64 features of a chunk (train and test)
    stay below ``max_bytes``: a 100-run sweep with 10^4 test samples fits on any device.
    args: {"loss": ..., "reg": ...}; frozen: leading layers excluded from weight decay.
    """
    R = net64.R
    out = {k: np.full(R, np.nan) for k in TRAJ_VARS}
    p = net64.weights[-1].shape[2]
    n_all = X64.shape[-1] + (0 if Xt64 is None else Xt64.shape[-1])
    chunk = int(max(1, min(R, max_bytes // (8 * p * n_all))))
    K = net64.weights[-1].shape[1]
    for c0 in range(0, R, chunk):
        c1 = min(R, c0 + chunk)
        Xc = X64 if X64.dim() == 2 else X64[c0:c1]
        Xtc = None if Xt64 is None else (Xt64 if Xt64.dim() == 2 else Xt64[c0:c1])
        arrays = _chunk_arrays(net64.runs(c0, c1), Xc, y_np if y_np.ndim == 1 else y_np[c0:c1],
                               Xtc, args["loss"], args["reg"], lam_W[c0:c1], lam_H[c0:c1],
                               frozen)
        for i in range(c1 - c0):
            r = c0 + i
            if not active[r] or not np.isfinite(arrays[0][i]):
                continue
            _record_run(out, r, i, arrays, _per_run(y_np, r),
                        None if yt_np is None else _per_run(yt_np, r), args["loss"], K)
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
