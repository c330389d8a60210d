"""Batched, resumable training of shallow ReLU networks with NC metrics over time.

Objective of run r (science.md §1; reports/training.md §1):

    L_r = (1/N) sum_i loss(f(x_i), y_i) + reg_r,
    loss = cross-entropy  log sum_k exp f_k - f_y                       (loss="ce")
         | squared error  (1/2) ||f - e_y||^2                           (loss="mse"; the 1/2 is
           the normalization of science.md §3, (1/2N)||W^T H - Y||^2)
    reg  = lambda_W ||W_last||_F^2 + lambda_H ||H||_F^2, H = last hidden layer on all N
           samples (reg="feature", the paper's; default)
         | lambda_W sum_l ||W_l||_F^2 over every weight matrix, biases excluded
           (reg="weight_decay", ordinary weight decay; lambda_H unused)
         | 0 (reg="none").
With mini-batches of B samples the data term is the batch mean and ||H||^2 is estimated by
(N/B) ||H_batch||^2 (unbiased).

R runs (seeds x hyper-parameters, same shapes) are trained together: the batched objective is
sum_r L_r, whose gradient with respect to run r's parameters is the gradient of L_r alone
(runs share no parameter; tested in tests/test_training.py). Updates are SGD with heavy-ball
momentum (PyTorch convention: b <- mu b + g, theta <- theta - lr_r(t) b); full-batch gradient
descent is batch_size = None, momentum = 0. lr, lambda_W, lambda_H, init_scale may differ per
run. Learning-rate schedules: constant; cosine lr (1 + cos(pi t/T))/2; step (times gamma at
the given fractions of the epochs).

Metrics (shallownc.metrics, float64 on features recomputed in float64) are taken at
log-spaced epochs (epoch e = state after e passes over the data, epoch 0 = initialization).

Divergence: a run whose objective becomes NaN/inf or exceeds ``blowup`` is marked diverged at
the first such epoch (tracked on the device every step, read at check points), its parameters
are zeroed and frozen, its later metrics are NaN and its ``final_*`` values are the last good
ones. The other runs go on.

Speed (issue 8): gradients are computed by hand (:func:`objective_and_grad`, default
``grad="manual"``; ``grad="autograd"`` is the reference path) and on the CPU each step
processes the runs in chunks (:func:`cpu_run_chunk`) so that a chunk's hidden layer stays in
cache; bench/training.py and bench/README.md §2 measure it against a per-run PyTorch loop.

Resumability: with ``checkpoint_dir`` the full state (parameters, momentum, RNG, epoch,
metrics so far) is saved atomically every ``checkpoint_every_s`` seconds and at the end, to a
file named by a fingerprint of the data and every setting. A re-run with the same arguments
continues from it; the update of each epoch depends only on the saved state, so in
deterministic CPU mode (same thread count) the trajectory equals the uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from shallownc import metrics as M
from shallownc.models import BatchedNet, init_net

log = logging.getLogger("shallownc.training")

LOSSES = ("ce", "mse")
REGS = ("feature", "weight_decay", "none")
SCHEDULES = ("constant", "cosine", "step")
TRAJ_VARS = ("objective", "loss", *M.METRIC_ATTRS, "test_error", "nc4_test", "nc1_test",
             "feature_norm")
TRAJ_ATTRS = {
    "objective": ("objective L_r of the run, full batch, float64 (training.py docstring)", "1"),
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
    "lambda_W": ("last-layer (feature reg.) or all-weight (weight decay) coefficient", "1"),
    "lambda_H": ("feature regularization coefficient of ||H||_F^2", "1"),
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


def log_epochs(epochs: int, n: int = 40) -> np.ndarray:
    """0 and about n log-spaced epochs from 1 to ``epochs`` (both included), unique, sorted."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    e = np.unique(np.round(np.logspace(0, np.log10(epochs), max(int(n), 2))).astype(np.int64))
    return np.unique(np.concatenate([[0], e, [epochs]]))


def lr_factor(schedule: str, epoch: int, epochs: int, milestones=(0.5, 0.75),
              gamma: float = 0.1) -> float:
    """Multiplier of the base learning rate at ``epoch`` (module docstring)."""
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    if schedule == "step":
        return gamma ** sum(epoch >= m * epochs for m in milestones)
    raise ValueError(f"unknown lr schedule {schedule!r}; allowed: {SCHEDULES}")


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} requested but CUDA is not available")
    return device


def _dtype(name: str):
    table = {"float32": torch.float32, "float64": torch.float64}
    if name not in table:
        raise ValueError(f"dtype must be one of {sorted(table)}, got {name!r}")
    return table[name]


def objective(net: BatchedNet, X: torch.Tensor, y: torch.Tensor, *, loss: str, reg: str,
              lambda_W: torch.Tensor, lambda_H: torch.Tensor, h_scale: float = 1.0,
              forward=None):
    """Per-run objective (R,) and data term (R,) of the module docstring.

    X (d, N) or (R, d, N); y (N,) or (R, N) int64; lambda_* (R,); h_scale = N/B for a batch.
    forward: (logits, H) = net.forward(X) if already computed (X is then not used).
    """
    logits, H = net.forward(X) if forward is None else forward
    R, K, N = logits.shape
    yy = y.expand(R, N) if y.dim() == 1 else y
    if loss == "ce":
        data = (torch.logsumexp(logits, dim=1) - logits.gather(1, yy[:, None, :])[:, 0]).mean(1)
    elif loss == "mse":
        Y = torch.nn.functional.one_hot(yy, K).transpose(1, 2).to(logits.dtype)
        data = 0.5 * ((logits - Y) ** 2).sum(dim=1).mean(dim=1)
    else:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if reg == "feature":
        r = lambda_W * (net.weights[-1] ** 2).sum(dim=(1, 2)) \
            + lambda_H * h_scale * (H ** 2).sum(dim=(1, 2))
    elif reg == "weight_decay":
        r = lambda_W * sum((W ** 2).sum(dim=(1, 2)) for W in net.weights)
    elif reg == "none":
        r = torch.zeros_like(data)
    else:
        raise ValueError(f"reg must be one of {REGS}, got {reg!r}")
    return data + r, data


def objective_and_grad(net: BatchedNet, X: torch.Tensor, Y: torch.Tensor, *, loss: str,
                       reg: str, lambda_W: torch.Tensor, lambda_H: torch.Tensor,
                       h_scale: float = 1.0, weight: torch.Tensor | None = None,
                       col_block: int | None = None):
    """Per-run objective (R,) and the gradients of sum_r weight_r L_r, by hand (no autograd).

    Same objective as :func:`objective` (module docstring); ``Y`` is the one-hot label matrix
    (K, N) or (R, K, N) in the parameters' dtype, ``weight`` (R,) (default 1) masks frozen
    runs. Back-propagation of the module docstring's L_r (science.md §1 objective; the chain
    rule through f = W_L h_{L-1} + b_L, h_l = relu(W_l h_{l-1} + b_l), derived here):
        dL/df      = (softmax(f) - Y) / N  (ce)  |  (f - Y) / N  (mse)
        dL/dW_l    = G_l h_{l-1}^T  [+ 2 lambda_W W_l: last layer (feature), all (weight_decay)]
        dL/db_l    = G_l 1
        dL/dh_{L-1} += 2 lambda_H h_scale H        (feature regularization, H = h_{L-1})
        G_{l-1}    = (W_l^T G_l + ...) * 1[h_{l-1} > 0]   (relu'(z) = 1[z > 0], as in torch)
    Every term is a sum over the N samples, so with ``col_block`` the samples are processed in
    blocks of that many columns and the gradients summed (same result up to rounding; bounds
    the memory of a step; not faster on CPU at width 1000, N = 1000: bench/README.md).
    Returns (objective, data term, [grad W_1..W_L, grad b_1..b_L with bias]) under no_grad;
    tests/test_training_grad.py checks it against autograd of :func:`objective`.
    """
    Ws, bs = net.weights, net.biases
    L = len(Ws)
    R = Ws[0].shape[0]
    N = X.shape[-1]
    nb = N if not col_block else max(1, min(N, int(col_block)))
    w = torch.ones(R, dtype=Ws[0].dtype, device=Ws[0].device) if weight is None else weight
    w3 = w.view(R, 1, 1)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if reg not in REGS:
        raise ValueError(f"reg must be one of {REGS}, got {reg!r}")
    c_H = 2.0 * h_scale * lambda_H * w
    gW = [None] * L
    gb = [None] * L
    data_sum = torch.zeros(R, dtype=Ws[0].dtype, device=Ws[0].device)
    hsq = torch.zeros_like(data_sum)
    with torch.no_grad():
        # every term is a sum over samples: columns are processed in blocks of nb so that a
        # block's hidden layer stays in cache (CPU); gradients are accumulated over blocks
        for c0 in range(0, N, nb):
            Xb, Yb = X[..., c0:c0 + nb], Y[..., c0:c0 + nb]
            hs = [Xb]
            h = Xb
            for W, b in zip(Ws[:-1], bs[:-1]):
                z = _mm(W, h)
                if b is not None:
                    z += b
                h = z.clamp_min_(0.0)
                hs.append(h)
            out = _mm(Ws[-1], h)
            if bs[-1] is not None:
                out += bs[-1]
            if loss == "ce":
                m = out.amax(dim=1, keepdim=True)
                e = (out - m).exp_()
                s = e.sum(dim=1, keepdim=True)
                lse = s.log() + m                                   # (R, 1, nb)
                data_sum += (lse[:, 0] - (out * Yb).sum(dim=1)).sum(dim=1)
                g = e.div_(s).sub_(Yb)
            else:
                g = out.sub_(Yb)
                data_sum += 0.5 * (g * g).sum(dim=(1, 2))
            g.mul_(w3 / N)
            if reg == "feature":
                hsq += _sqnorm(h)
            for l in range(L - 1, -1, -1):
                hin = hs[l]
                gl = _mm(g, hin.transpose(-1, -2))
                gW[l] = gl if gW[l] is None else gW[l].add_(gl)
                if bs[l] is not None:
                    gbl = g.sum(dim=-1, keepdim=True)
                    gb[l] = gbl if gb[l] is None else gb[l].add_(gbl)
                if l > 0:
                    if reg == "feature" and l == L - 1:
                        g = _mm(Ws[l].transpose(-1, -2), g, add=hin, beta=c_H)
                    else:
                        g = _mm(Ws[l].transpose(-1, -2), g)
                    g = torch.ops.aten.threshold_backward(g, hin, 0.0)  # g * 1[h > 0]
        data = data_sum / N
        if reg == "feature":
            r = lambda_W * _sqnorm(Ws[-1]) + lambda_H * h_scale * hsq
        elif reg == "weight_decay":
            r = lambda_W * sum(_sqnorm(W) for W in Ws)
        else:
            r = torch.zeros_like(data)
        for l in range(L):
            if reg == "weight_decay" or (reg == "feature" and l == L - 1):
                gW[l].addcmul_((2.0 * lambda_W * w).view(R, 1, 1), Ws[l])
    return data + r, data, [*gW, *[x for x in gb if x is not None]]


def _mm(A: torch.Tensor, B: torch.Tensor, add: torch.Tensor | None = None,
        beta: torch.Tensor | None = None) -> torch.Tensor:
    """Batched product A @ B [+ beta_r add_r], (R, a, b) @ (R, b, c) or (b, c) -> (R, a, c).

    One flattened GEMM when B is shared; otherwise one torch.mm (addmm) per run: on CPU the
    batched bmm of the thin K x p layers was 3-7x slower than a loop of mm calls, and addmm
    adds beta_r add_r inside the GEMM instead of an extra pass (bench/README.md).
    """
    if B.dim() == 2 or A.dim() == 2 or A.device.type != "cpu":
        out = torch.matmul(A, B)
        if add is not None:
            out.addcmul_(beta.view(-1, 1, 1), add)
        return out
    out = torch.empty((A.shape[0], A.shape[1], B.shape[2]), dtype=A.dtype, device=A.device)
    if add is None:
        for r in range(A.shape[0]):
            torch.mm(A[r], B[r], out=out[r])
    else:
        for r, b in enumerate(beta.tolist()):
            torch.addmm(add[r], A[r], B[r], beta=b, out=out[r])
    return out


def _sqnorm(A: torch.Tensor) -> torch.Tensor:
    """||A[r]||_F^2 per run (R,), one pass without a temporary."""
    return torch.linalg.vector_norm(A, dim=(1, 2)).square()


def cpu_run_chunk(R: int, sizes, itemsize: int = 4, budget: float = 1e7) -> int:
    """Runs per chunk of a CPU training step: the most runs whose hidden activations (sum of
    widths x N x itemsize per run) stay within ``budget`` bytes, at least 1 (measured in
    bench/training.py: a batch of 64 hidden layers falls out of cache and the
    element-wise work becomes memory-bound; chunks that fit stay compute-bound)."""
    per_run = max(1, int(sum(sizes)) * itemsize)
    return int(max(1, min(R, budget // per_run)))


@dataclass
class TrainResult:
    """Outcome of a batched training call (numpy, float64 where it matters)."""
    weights: list                 # [W1 (R,p,d), W2 (R,K,p)] or [W1, W2, W3]
    biases: list                  # None entries without bias
    objective: np.ndarray         # (R,) final objective (last good for diverged runs)
    diverged: np.ndarray          # (R,) bool
    diverged_epoch: np.ndarray    # (R,) first bad epoch, -1 if none
    trajectory: xr.Dataset        # dims (run, epoch)
    resumed_from_epoch: int = 0
    steps_per_s: float = float("nan")
    wall_s: float = 0.0
    extras: dict = field(default_factory=dict)

    @property
    def W1(self):
        return self.weights[0]

    @property
    def W2(self):
        return self.weights[1]

    @property
    def W_last(self):
        return self.weights[-1]


def _as_runs(name, v, R):
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 0:
        return np.full(R, float(a))
    if a.shape != (R,):
        raise ValueError(f"{name} must be a scalar or have one value per run ({R}), "
                         f"got shape {a.shape}")
    return a.copy()


def _fingerprint(arrays, settings: dict) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is not None:
            a = np.ascontiguousarray(a)
            h.update(str(a.shape).encode() + str(a.dtype).encode() + a.tobytes())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()[:20]


def _eval(net64: BatchedNet, X64, y_np, Xt64, yt_np, args, lam_W, lam_H, active,
          max_bytes: float = 2.5e8):
    """Metric dict name -> (R,) array for the current state (float64).

    Runs are evaluated in chunks so that the float64 features of a chunk (train and test)
    stay below ``max_bytes``: a 100-run sweep with 10^4 test samples fits on any device.
    """
    R = net64.R
    out = {k: np.full(R, np.nan) for k in TRAJ_VARS}
    p = net64.weights[-1].shape[2]
    n_all = X64.shape[-1] + (0 if Xt64 is None else Xt64.shape[-1])
    chunk = int(max(1, min(R, max_bytes // (8 * p * n_all))))
    K = net64.weights[-1].shape[1]
    for c0 in range(0, R, chunk):
        c1 = min(R, c0 + chunk)
        sub = BatchedNet([w[c0:c1] for w in net64.weights],
                         [None if b is None else b[c0:c1] for b in net64.biases])
        Xc = X64 if X64.dim() == 2 else X64[c0:c1]
        yc = y_np if y_np.ndim == 1 else y_np[c0:c1]
        with torch.no_grad():
            y_t = torch.as_tensor(yc, device=X64.device)
            logits, H = sub.forward(Xc)
            obj, data = objective(sub, Xc, y_t, loss=args["loss"], reg=args["reg"],
                                  lambda_W=lam_W[c0:c1], lambda_H=lam_H[c0:c1],
                                  forward=(logits, H))
            if Xt64 is not None:
                logits_t, H_t = sub.forward(Xt64 if Xt64.dim() == 2 else Xt64[c0:c1])
                logits_t, H_t = logits_t.cpu().numpy(), H_t.cpu().numpy()
        obj, data = obj.cpu().numpy(), data.cpu().numpy()
        logits, H = logits.cpu().numpy(), H.cpu().numpy()
        W = sub.weights[-1].detach().cpu().numpy()
        for i in range(c1 - c0):
            r = c0 + i
            if not active[r] or not np.isfinite(obj[i]):
                continue
            yr = y_np if y_np.ndim == 1 else y_np[r]
            out["objective"][r], out["loss"][r] = obj[i], data[i]
            out["feature_norm"][r] = np.linalg.norm(H[i]) / np.sqrt(H.shape[2])
            for k, v in M.all_metrics(H[i], yr, W[i], logits[i], args["loss"], K).items():
                out[k][r] = v
            if Xt64 is not None:
                ytr = yt_np if yt_np.ndim == 1 else yt_np[r]
                Hbar = M.class_means(H[i], yr, K)
                out["test_error"][r] = M.error_rate(logits_t[i], ytr)
                out["nc4_test"][r] = M.nc4(logits_t[i], H_t[i], Hbar)
                out["nc1_test"][r] = M.nc1(H_t[i], ytr, K)
    return out


def train(X, y, *, arch: str = "two_layer", widths=(100,), loss: str = "ce",
          reg: str = "feature", lambda_W=5e-3, lambda_H=5e-3, epochs: int = 1000, lr=0.1,
          init_scale=1.0, seeds=(0,), device: str = "cpu", dtype: str = "float32",
          bias: bool = False, batch_size: int | None = None, momentum: float = 0.0,
          lr_schedule: str = "constant", lr_milestones=(0.5, 0.75), lr_gamma: float = 0.1,
          eval_epochs=None, n_eval: int = 40, X_test=None, y_test=None,
          checkpoint_dir=None, checkpoint_every_s: float = 60.0, log_every_s: float = 30.0,
          check_every: int = 100, blowup: float = 1e12, name: str = "train",
          grad: str = "manual", run_chunk: int | None = None) -> TrainResult:
    """Train R = len(seeds) runs of a shallow ReLU net together (module docstring).

    X: (d, N) shared data or (R, d, N) one data set per run; y: (N,) or (R, N) labels 0..K-1.
    Per-run values (scalar or length R): lambda_W, lambda_H, lr, init_scale.
    grad: "manual" (hand-written back-propagation, :func:`objective_and_grad`; default)
    or "autograd" (torch.autograd on :func:`objective`); both give the same gradients up
    to rounding. run_chunk: runs per chunk of each training step (the runs are
    independent, so a step may process them in chunks); None = all runs on a GPU,
    :func:`cpu_run_chunk` on the CPU (keeps a chunk's hidden layer in cache).
    """
    t_start = time.perf_counter()
    X_np = np.asarray(X, dtype=np.float64)
    y_np = np.asarray(y).astype(np.int64)
    if X_np.ndim not in (2, 3):
        raise ValueError(f"X must be d x N or R x d x N, got shape {X_np.shape}")
    seeds = [int(s) for s in seeds]
    R = len(seeds)
    if R < 1:
        raise ValueError("seeds must name at least one run")
    if X_np.ndim == 3 and X_np.shape[0] != R:
        raise ValueError(f"X has {X_np.shape[0]} data sets but there are {R} runs (seeds)")
    d, N = X_np.shape[-2:]
    if y_np.shape[-1] != N or (y_np.ndim == 2 and y_np.shape[0] != R) or y_np.ndim > 2:
        raise ValueError(f"y must have shape ({N},) or ({R}, {N}), got {y_np.shape}")
    if not np.isfinite(X_np).all():
        raise ValueError("X contains NaN or inf")
    if y_np.min() < 0:
        raise ValueError("labels must be 0..K-1")
    K = int(y_np.max()) + 1
    for row in (y_np if y_np.ndim == 2 else y_np[None]):
        if (np.bincount(row, minlength=K) == 0).any():
            raise ValueError(f"every class 0..{K - 1} needs a training sample")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if reg not in REGS:
        raise ValueError(f"reg must be one of {REGS}, got {reg!r}")
    if grad not in ("manual", "autograd"):
        raise ValueError(f"grad must be 'manual' or 'autograd', got {grad!r}")
    if run_chunk is not None and int(run_chunk) < 1:
        raise ValueError(f"run_chunk must be >= 1 or None, got {run_chunk}")
    if lr_schedule not in SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {SCHEDULES}, got {lr_schedule!r}")
    epochs = int(epochs)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if batch_size is not None and not (1 <= int(batch_size) <= N):
        raise ValueError(f"batch_size must be in 1..N={N} or None, got {batch_size}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    lam_W_np, lam_H_np = _as_runs("lambda_W", lambda_W, R), _as_runs("lambda_H", lambda_H, R)
    lr_np, scale_np = _as_runs("lr", lr, R), _as_runs("init_scale", init_scale, R)
    if (lam_W_np < 0).any() or (lam_H_np < 0).any() or (lr_np <= 0).any() \
            or (scale_np <= 0).any():
        raise ValueError("lambdas must be >= 0, lr and init_scale > 0")
    Xt_np = yt_np = None
    if X_test is not None:
        Xt_np = np.asarray(X_test, dtype=np.float64)
        yt_np = np.asarray(y_test).astype(np.int64)
        if Xt_np.shape[-2] != d or yt_np.shape[-1] != Xt_np.shape[-1]:
            raise ValueError(f"X_test must be d x N_test with d = {d} and y_test of length "
                             f"N_test; got {Xt_np.shape} and {yt_np.shape}")
    eval_ep = log_epochs(epochs, n_eval) if eval_epochs is None else \
        np.unique(np.concatenate([[0], np.asarray(eval_epochs, dtype=np.int64), [epochs]]))
    if eval_ep.min() < 0 or eval_ep.max() > epochs:
        raise ValueError(f"eval_epochs must lie in 0..{epochs}")
    eval_set = set(int(e) for e in eval_ep)

    device = resolve_device(device)
    tdtype = _dtype(dtype)
    widths = tuple(int(w) for w in np.atleast_1d(widths))
    settings = dict(arch=arch, widths=widths, loss=loss, reg=reg, lambda_W=lam_W_np.tolist(),
                    lambda_H=lam_H_np.tolist(), epochs=epochs, lr=lr_np.tolist(),
                    init_scale=scale_np.tolist(), seeds=seeds, dtype=dtype, bias=bool(bias),
                    batch_size=batch_size, momentum=momentum, lr_schedule=lr_schedule,
                    lr_milestones=list(lr_milestones), lr_gamma=lr_gamma,
                    eval_epochs=eval_ep.tolist(), check_every=check_every, blowup=blowup,
                    device_type=device.split(":")[0])
    args = dict(loss=loss, reg=reg)

    # ---------------------------------------------------------------- state
    net = init_net(arch, d, K, widths, seeds, scale_np, bias, tdtype, device)
    params = net.parameters()
    bufs = [torch.zeros_like(p) for p in params]
    Xd = torch.as_tensor(X_np, dtype=tdtype, device=device)
    yd = torch.as_tensor(y_np, device=device)
    X64 = torch.as_tensor(X_np, device=device)
    Xt64 = None if Xt_np is None else torch.as_tensor(Xt_np, device=device)
    lam_W_d = torch.as_tensor(lam_W_np, dtype=tdtype, device=device)
    lam_H_d = torch.as_tensor(lam_H_np, dtype=tdtype, device=device)
    lam_W_64, lam_H_64 = torch.as_tensor(lam_W_np, device=device), \
        torch.as_tensor(lam_H_np, device=device)
    lr_d = torch.as_tensor(lr_np, dtype=tdtype, device=device)
    first_bad = torch.full((R,), -1, dtype=torch.int64, device=device)
    active = np.ones(R, dtype=bool)
    active_d = torch.ones(R, dtype=tdtype, device=device)
    diverged_epoch = np.full(R, -1, dtype=np.int64)
    gen = torch.Generator().manual_seed(int(_fingerprint([], {"s": seeds}), 16) % (2 ** 63))
    records: dict[int, dict] = {}
    last_good: dict[str, np.ndarray] = {k: np.full(R, np.nan) for k in TRAJ_VARS}
    start_epoch = 0

    ckpt_path = None
    if checkpoint_dir is not None:
        fp = _fingerprint([X_np, y_np, Xt_np, yt_np], settings)
        ckpt_path = Path(checkpoint_dir) / f"{name}-{fp}.pt"
        if ckpt_path.exists():
            try:
                st = torch.load(ckpt_path, map_location=device, weights_only=True)
                shapes = [tuple(v.shape) for v in (*st["params"], *st["bufs"])]
                if shapes != [tuple(p.shape) for p in (*params, *bufs)] \
                        or not 0 <= int(st["epoch"]) <= epochs:
                    raise ValueError("checkpoint does not match this run's shapes/epochs")
                # parse everything first, then apply: a bad file leaves the fresh state intact
                new_active = st["active"].cpu().numpy().astype(bool)
                new_div = st["diverged_epoch"].cpu().numpy().astype(np.int64)
                new_records = {int(e): {k: np.asarray(v, dtype=np.float64)
                                        for k, v in r.items()}
                               for e, r in st["records"].items()}
                new_last = {k: np.asarray(v, dtype=np.float64)
                            for k, v in st["last_good"].items()}
                if new_active.shape != (R,) or set(new_last) != set(TRAJ_VARS):
                    raise ValueError("checkpoint does not match this run's layout")
                gen_state = st["gen"].cpu()
                with torch.no_grad():
                    for p, v in zip(params, st["params"]):
                        p.copy_(v)
                    for b, v in zip(bufs, st["bufs"]):
                        b.copy_(v)
                first_bad.copy_(st["first_bad"])
                active[:] = new_active
                active_d.copy_(torch.as_tensor(active, dtype=tdtype))
                diverged_epoch[:] = new_div
                gen.set_state(gen_state)
                records, last_good = new_records, new_last
                start_epoch = int(st["epoch"])
                log.info("%s: resumed from checkpoint %s at epoch %d/%d", name, ckpt_path,
                         start_epoch, epochs)
            except Exception as exc:  # corrupt / incompatible: say so and start afresh
                log.warning("%s: ignoring unreadable checkpoint %s (%s: %s)", name, ckpt_path,
                            type(exc).__name__, exc)
                start_epoch = 0

    def save_checkpoint(epoch):
        if ckpt_path is None:
            return
        ckpt_path.parent.mkdir(parents=True, exist_ok=True)
        st = {"params": [p.detach().cpu() for p in params],
              "bufs": [b.cpu() for b in bufs],
              "first_bad": first_bad.cpu(), "active": torch.as_tensor(active),
              "diverged_epoch": torch.as_tensor(diverged_epoch), "gen": gen.get_state(),
              "records": {str(e): {k: torch.as_tensor(v) for k, v in r.items()}
                          for e, r in records.items()},
              "last_good": {k: torch.as_tensor(v) for k, v in last_good.items()},
              "epoch": int(epoch)}
        tmp = ckpt_path.with_name(ckpt_path.name + ".tmp")
        torch.save(st, tmp)
        os.replace(tmp, ckpt_path)

    def check_divergence(epoch):
        fb = first_bad.cpu().numpy()
        new = (fb >= 0) & active
        if new.any():
            idx = np.flatnonzero(new)
            diverged_epoch[idx] = fb[idx]
            active[idx] = False
            with torch.no_grad():
                active_d[idx] = 0.0
                for p, b in zip(params, bufs):
                    p[idx] = 0.0
                    b[idx] = 0.0
            log.warning("%s: run(s) %s diverged (objective NaN/inf or > %.0e) at epoch(s) %s",
                        name, idx.tolist(), blowup, fb[idx].tolist())

    eval_s = [0.0]

    def evaluate(epoch):
        t_ev = time.perf_counter()
        net64 = net.detach().to(dtype=torch.float64)
        rec = _eval(net64, X64, y_np, Xt64, yt_np, args, lam_W_64, lam_H_64, active)
        records[epoch] = rec
        good = np.isfinite(rec["objective"])
        for k in TRAJ_VARS:
            last_good[k][good] = rec[k][good]
        eval_s[0] += time.perf_counter() - t_ev
        return rec

    # ---------------------------------------------------------------- loop
    n_batches = 1 if batch_size is None else N // int(batch_size)
    h_scale = 1.0 if batch_size is None else N / int(batch_size)
    if grad == "manual":
        Yd = torch.nn.functional.one_hot(yd, K).transpose(-1, -2).to(tdtype)
        if run_chunk is None:
            run_chunk = R if device != "cpu" else cpu_run_chunk(
                R, [w * (N if batch_size is None else int(batch_size)) for w in widths],
                itemsize=torch.finfo(tdtype).bits // 8)
        chunk = int(min(R, run_chunk))
        chunks = [(c0, min(R, c0 + chunk)) for c0 in range(0, R, chunk)]
    t0 = time.perf_counter()
    t_ckpt = t_log = t0
    steps_done = 0
    if start_epoch == 0 and 0 not in records:
        evaluate(0)
    epoch = start_epoch
    while epoch < epochs:
        lr_e = lr_d * lr_factor(lr_schedule, epoch, epochs, lr_milestones, lr_gamma)
        perm = None if batch_size is None else \
            torch.rand((R, N), generator=gen).argsort(dim=1).to(device)
        for b in range(n_batches):
            if perm is None:
                Xb, yb = Xd, yd
            else:
                idx = perm[:, b * batch_size:(b + 1) * batch_size]
                if Xd.dim() == 2:
                    Xb = Xd[:, idx].permute(1, 0, 2)
                else:
                    Xb = torch.gather(Xd, 2, idx[:, None, :].expand(R, d, -1))
                yb = (yd[idx] if yd.dim() == 1 else torch.gather(yd, 1, idx))
            if grad == "autograd":
                obj, _ = objective(net, Xb, yb, loss=loss, reg=reg, lambda_W=lam_W_d,
                                   lambda_H=lam_H_d, h_scale=h_scale)
                bad = ~torch.isfinite(obj) | (obj.abs() > blowup)
                first_bad.masked_fill_(bad & (first_bad < 0), epoch)
                total = torch.where(active_d > 0, obj, torch.zeros_like(obj)).sum()
                grads = torch.autograd.grad(total, params)
                with torch.no_grad():
                    for p, g, buf in zip(params, grads, bufs):
                        if momentum > 0:
                            buf.mul_(momentum).add_(g)
                            g = buf
                        p.sub_(lr_e.view(-1, *([1] * (p.dim() - 1))) * g)
            else:
                Yb = Yd if perm is None else \
                    torch.nn.functional.one_hot(yb, K).transpose(-1, -2).to(tdtype)
                neg_lr = -lr_e
                for c0, c1 in chunks:
                    sub = BatchedNet([w[c0:c1] for w in net.weights],
                                     [None if b_ is None else b_[c0:c1] for b_ in net.biases])
                    obj, _, grads = objective_and_grad(
                        sub, Xb if Xb.dim() == 2 else Xb[c0:c1],
                        Yb if Yb.dim() == 2 else Yb[c0:c1], loss=loss, reg=reg,
                        lambda_W=lam_W_d[c0:c1], lambda_H=lam_H_d[c0:c1], h_scale=h_scale,
                        weight=active_d[c0:c1])
                    with torch.no_grad():
                        bad = ~torch.isfinite(obj) | (obj.abs() > blowup)
                        fb = first_bad[c0:c1]
                        fb.masked_fill_(bad & (fb < 0), epoch)
                        for p, g, buf in zip(params, grads, bufs):
                            p, buf = p[c0:c1], buf[c0:c1]
                            if momentum > 0:
                                buf.mul_(momentum).add_(g)
                                g = buf
                            p.addcmul_(neg_lr[c0:c1].view(-1, *([1] * (p.dim() - 1))), g)
            steps_done += 1
        epoch += 1
        if epoch in eval_set or epoch % check_every == 0:
            check_divergence(epoch)
        if epoch in eval_set:
            evaluate(epoch)
        now = time.perf_counter()
        if now - t_log >= log_every_s or epoch == epochs:
            t_log = now
            rate = steps_done / max(now - t0, 1e-9)
            last = records[max(records)]
            eta = (epochs - epoch) * n_batches / max(rate, 1e-9)
            log.info("%s: epoch %d/%d  objective(median) %.4g  NC1(median, epoch %d) %.3g  "
                     "%.1f steps/s  ETA %.0f s  diverged %d/%d", name, epoch, epochs,
                     np.nanmedian(last["objective"]) if np.isfinite(last["objective"]).any()
                     else float("nan"), max(records),
                     np.nanmedian(last["nc1"]) if np.isfinite(last["nc1"]).any()
                     else float("nan"), rate, eta, int((~active).sum()), R)
        if ckpt_path is not None and (now - t_ckpt >= checkpoint_every_s):
            save_checkpoint(epoch)
            t_ckpt = time.perf_counter()
    check_divergence(epochs)
    if ckpt_path is not None and start_epoch < epochs:
        save_checkpoint(epochs)
    elapsed = time.perf_counter() - t0
    rate = steps_done / elapsed if steps_done else 0.0

    # ---------------------------------------------------------------- result
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
    data_vars["diverged"] = (("run",), (~active).astype(np.int8),
                             {"description": "1 if the objective became NaN/inf or exceeded "
                                             f"{blowup:g}", "units": "1"})
    data_vars["diverged_epoch"] = (("run",), diverged_epoch,
                                   {"description": "first epoch with a bad objective (-1: none)",
                                    "units": "epoch"})
    nc1_in = [M.nc1(X_np if X_np.ndim == 2 else X_np[r], y_np if y_np.ndim == 1 else y_np[r], K)
              for r in range(R)]
    data_vars["nc1_input"] = (("run",), np.asarray(nc1_in),
                              {"description": "NC1 of the raw inputs X (metrics.nc1): the "
                                              "data's own clustering", "units": "1"})
    traj = xr.Dataset(
        data_vars,
        coords={"run": np.arange(R), "epoch": ("epoch", ep, {"units": "epoch",
                "description": "passes over the training data (0 = initialization)"}),
                "seed": ("run", np.asarray([str(s) for s in seeds])),
                "lambda_W": ("run", lam_W_np), "lambda_H": ("run", lam_H_np),
                "lr": ("run", lr_np), "init_scale": ("run", scale_np)},
        attrs={"arch": arch, "widths": json.dumps(list(widths)), "loss": loss, "reg": reg,
               "epochs": epochs, "dtype": dtype, "device": device, "bias": int(bias),
               "batch_size": -1 if batch_size is None else int(batch_size),
               "momentum": float(momentum), "lr_schedule": lr_schedule, "K": K, "N": N, "d": d,
               "steps_per_s": float(rate), "objective_definition": __doc__.split("\n\n")[1]},
    )
    traj = describe(traj)
    weights = [w.detach().cpu().numpy().astype(np.float64) for w in net.weights]
    biases = [None if b is None else b.detach().cpu().numpy().astype(np.float64)
              for b in net.biases]
    res = TrainResult(weights=weights, biases=biases, objective=last_good["objective"].copy(),
                      diverged=~active, diverged_epoch=diverged_epoch.copy(), trajectory=traj,
                      resumed_from_epoch=start_epoch, steps_per_s=rate,
                      wall_s=time.perf_counter() - t_start,
                      extras={"eval_s": eval_s[0], "run_chunk": None if grad == "autograd"
                              else chunk, "steps_done": steps_done,
                              "step_s": elapsed - eval_s[0]})
    log.info("%s: done, %d runs x %d epochs, %.1f steps/s, wall %.1f s", name, R, epochs,
             rate, res.wall_s)
    return res


def train_two_layer(X, y, *, width, loss="ce", reg="feature", lambda_W=5e-3, lambda_H=5e-3,
                    epochs=1000, lr=0.1, init_scale=1.0, seeds=(0,), device="cpu",
                    dtype="float32", bias=False, eval_epochs=None, X_test=None, y_test=None,
                    **kw) -> TrainResult:
    """Two-layer net f = W2 relu(W1 x), full-batch GD by default (contract of issue 4)."""
    return train(X, y, arch="two_layer", widths=(width,), loss=loss, reg=reg,
                 lambda_W=lambda_W, lambda_H=lambda_H, epochs=epochs, lr=lr,
                 init_scale=init_scale, seeds=seeds, device=device, dtype=dtype, bias=bias,
                 eval_epochs=eval_epochs, X_test=X_test, y_test=y_test, **kw)


def train_three_layer(X, y, *, widths, batch_size=None, momentum=0.9, **kw) -> TrainResult:
    """Three-layer net f = W3 relu(W2 relu(W1 x)), mini-batch SGD with momentum by default."""
    return train(X, y, arch="three_layer", widths=widths, batch_size=batch_size,
                 momentum=momentum, **kw)


# =========================================================================== experiments
# The four experiments of issue 4 (reports/training.md §4), each returning an xarray Dataset
# with named dimensions (run parameters..., epoch). Data cells come from shallownc.data; the
# network seed of a run is data.cell_seed of (base seed, experiment, cell, trial), so a run's
# initialization does not depend on how the sweep is batched or chunked into jobs.

def hparams(train_cfg: dict) -> dict:
    """Keyword arguments of :func:`train` from a config ``train`` block (schema defaults)."""
    c = dict(train_cfg)
    bs = int(c.pop("batch_size", 0))
    width = c.pop("width")
    return dict(widths=(width,), batch_size=None if bs == 0 else bs, **c)


def draw_cell(data_cfg: dict, d: int, sigma: float, base_seed: int, trial: int):
    """(X, y, X_test, y_test, seed) of one cell: test data are fresh samples of the same mixture.

    The training set is GMMSpec(...).draw(base_seed, trial); the test set reuses its means M
    with an independent generator seeded by cell_seed(data seed, purpose='test').
    """
    from shallownc.data import GMMSpec, cell_seed, sample_gmm

    spec = GMMSpec(data_cfg["geometry"], data_cfg["K"], data_cfg["n"], int(d), float(sigma),
                   data_cfg.get("mean_norm", 1.0), data_cfg.get("angle_deg", 120.0))
    X, y, Mm, seed = spec.draw(base_seed, trial)
    rng = np.random.default_rng(cell_seed(seed, 0, purpose="test"))
    Xt, yt = sample_gmm(Mm, data_cfg["n_test"], float(sigma), rng)
    return X, y, Xt, yt, seed


def lp_status(X, y, solver_cfg: dict | None = None) -> int:
    """Class-LP verdict of the data (science.md §4): 1 feasible, 0 infeasible, -1 undecided."""
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


def _common(run_cfg: dict) -> dict:
    return dict(device=run_cfg.get("device", "cpu"), dtype=run_cfg.get("dtype", "float32"),
                checkpoint_dir=run_cfg.get("checkpoint_dir"),
                checkpoint_every_s=run_cfg.get("checkpoint_every_s", 60.0),
                log_every_s=run_cfg.get("log_every_s", 20.0))


def run_grid(exp: dict, run_cfg: dict, base_seed: int, experiment: str, d_over_n: float,
             solver_cfg: dict | None = None, with_lp: bool = True) -> xr.Dataset:
    """Train every (sigma, trial) cell at one d = round(d_over_n n), batched in one call.

    Returns dims (d_over_n, sigma, trial, epoch); with ``with_lp`` also ``lp_status`` of each
    training set. Used by experiments 1 (dynamics) and 2 (theory vs training).
    """
    data = exp["data"]
    d = int(round(d_over_n * data["n"]))
    if d < 1:
        raise ValueError(f"d_over_n = {d_over_n} gives d = {d} < 1 for n = {data['n']}")
    Xs, ys, Xts, yts, seeds, sig, tri, lps = [], [], [], [], [], [], [], []
    for s in exp["sigma"]:
        for t in range(exp["trials"]):
            X, y, Xt, yt, _ = draw_cell(data, d, s, base_seed, t)
            Xs.append(X), ys.append(y), Xts.append(Xt), yts.append(yt)
            seeds.append(_net_seed(base_seed, experiment, t, d=d, sigma=float(s)))
            sig.append(float(s)), tri.append(t)
            if with_lp:
                lps.append(lp_status(X, y, solver_cfg))
    res = train(np.stack(Xs), np.stack(ys), seeds=seeds, X_test=np.stack(Xts),
                y_test=np.stack(yts), name=f"{experiment}_d{d}", **hparams(exp["train"]),
                **_common(run_cfg))
    traj = res.trajectory
    if with_lp:
        traj["lp_status"] = (("run",), np.asarray(lps, dtype=np.int8),
                             {"description": "class-LP verdict of the training data "
                                             "(science.md 4; feasibility.solve_classes): "
                                             "1 feasible, 0 infeasible, -1 undecided",
                              "units": "1"})
    out = _unstack(traj, sigma=sig, trial=tri).expand_dims(d_over_n=[float(d_over_n)])
    out = out.assign_coords(d=("d_over_n", [d]))
    out.attrs.update(geometry=data["geometry"], n=data["n"], n_test=data["n_test"],
                     mean_norm=data["mean_norm"], experiment=experiment)
    return describe(out)


def run_dynamics(exp: dict, run_cfg: dict, base_seed: int, solver_cfg=None) -> xr.Dataset:
    """Experiment 1: two-layer NC metrics vs epoch, dims (d_over_n, sigma, trial, epoch)."""
    parts = [run_grid(exp, run_cfg, base_seed, "dynamics", r, solver_cfg)
             for r in exp["d_over_n"]]
    return describe(xr.concat(parts, dim="d_over_n", data_vars="all", coords="different",
                              compat="equals", join="outer", combine_attrs="override"))


def collapse_summary(ds: xr.Dataset, threshold: float) -> xr.Dataset:
    """Add ``collapsed`` (final NC1 < threshold, never for diverged runs) and the confusion
    matrix of collapse vs LP verdict (decided LPs only), with the agreement rate as attribute.
    """
    collapsed = (ds["final_nc1"] < threshold) & (ds["diverged"] == 0)
    ds["collapsed"] = collapsed.astype(np.int8).assign_attrs(
        description=f"1 if final NC1 < {threshold:g} and the run did not diverge "
                    "(reports/training.md 3)", units="1")
    lp = ds["lp_status"]
    cm = np.zeros((2, 2), dtype=np.int64)
    for i, lpv in enumerate((1, 0)):
        for j, cv in enumerate((1, 0)):
            cm[i, j] = int(((lp == lpv) & (ds["collapsed"] == cv)).sum())
    ds["confusion"] = (("lp_verdict", "trained"), cm,
                       {"description": "number of runs: rows LP feasible/infeasible, "
                                       "columns collapsed/not collapsed", "units": "runs"})
    ds = ds.assign_coords(lp_verdict=["feasible", "infeasible"],
                          trained=["collapsed", "not_collapsed"])
    decided = cm.sum()
    ds.attrs["collapse_threshold"] = float(threshold)
    ds.attrs["agreement_rate"] = float(np.trace(cm) / decided) if decided else float("nan")
    ds.attrs["n_decided"] = int(decided)
    ds.attrs["n_undecided_lp"] = int((lp == -1).sum())
    return describe(ds)


def run_three_layer(exp: dict, run_cfg: dict, base_seed: int, solver_cfg=None) -> xr.Dataset:
    """Experiment 3: three-layer nets, one data set, dims (first_width, seed, epoch)."""
    data = exp["data"]
    X, y, Xt, yt, _ = draw_cell(data, exp["d"], exp["sigma"], base_seed, 0)
    hp = hparams(exp["train"])
    p = hp.pop("widths")[0]
    parts = []
    for d1 in exp["first_width"]:
        seeds = [_net_seed(base_seed, "three_layer", s, d1=int(d1)) for s in range(exp["seeds"])]
        res = train(X, y, arch="three_layer", widths=(int(d1), p), seeds=seeds, X_test=Xt,
                    y_test=yt, name=f"three_layer_d1_{d1}", **hp, **_common(run_cfg))
        parts.append(_unstack(res.trajectory, seed_index=np.arange(exp["seeds"]))
                     .drop_vars("seed").expand_dims(first_width=[int(d1)]))
    out = xr.concat(parts, dim="first_width", data_vars="all", coords="different",
                    compat="equals", join="outer", combine_attrs="override")
    out["lp_status_input"] = ((), np.int8(lp_status(X, y, solver_cfg)),
                              {"description": "class-LP verdict of the raw inputs "
                                              "(a two-layer net on X)", "units": "1"})
    out.attrs.update(d=exp["d"], sigma=exp["sigma"], width=p, geometry=data["geometry"],
                     n=data["n"], N=data["n"] * data["K"], experiment="three_layer")
    return describe(out)


def run_regularization(exp: dict, run_cfg: dict, base_seed: int,
                       solver_cfg=None) -> xr.Dataset:
    """Experiment 4: regularizer variants on one data set, dims (variant, seed, epoch)."""
    data = exp["data"]
    d = int(round(exp["d_over_n"] * data["n"]))
    X, y, Xt, yt, _ = draw_cell(data, d, exp["sigma"], base_seed, 0)
    parts, labels = [], []
    for v in exp["variants"]:
        hp = hparams({**exp["train"], **v})
        seeds = [_net_seed(base_seed, "regularization", s) for s in range(exp["seeds"])]
        label = (f"{v['reg']} lW={v['lambda_W']:g} lH={v['lambda_H']:g}"
                 if v["reg"] == "feature" else
                 f"{v['reg']} l={v['lambda_W']:g}" if v["reg"] == "weight_decay" else "none")
        labels.append(label)
        res = train(X, y, seeds=seeds, X_test=Xt, y_test=yt, name=f"reg_{len(parts)}",
                    **hp, **_common(run_cfg))
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
                     experiment="regularization")
    out.attrs.pop("reg", None)
    return describe(out)
