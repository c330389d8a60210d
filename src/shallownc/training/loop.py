"""The batched training loop and :func:`train`, its short orchestrator.

R runs (seeds x hyper-parameters, same shapes) are trained together: the batched objective is
sum_r F_r (training.objective, paper (2.1)), whose gradient with respect to run r's parameters
is the gradient of F_r alone (runs share no parameter; tested in tests/test_training.py).
Updates (spec.optimizer, :func:`_update`): "sgd", SGD with heavy-ball momentum (PyTorch
convention: b <- mu b + g, theta <- theta - lr_r(t) b), plain SGD is momentum = 0 (the
default, the paper's recipe), full-batch gradient descent is batch_size = None; "adam" and
"adamw" (decoupled weight decay), the torch.optim.Adam / AdamW updates (tested against them). Minibatches: each epoch draws one random
permutation of the N samples per run (a CPU generator seeded from the run seeds) and takes
N // B batches of B samples (a remainder is dropped). The permutations of all runs are
drawn together from one generator seeded by the call's seeds, so a run's minibatch order
(unlike its initialization) depends on the other runs of the call.

Frozen first layer (spec.freeze_first, paper Figure 6): the features F = relu(W_1 X) of the
frozen layer are computed once, in the training dtype, and the trained layers are trained on
F exactly as a shallower net on data F (its minibatches gather columns of F).

Span of the data (spec.data_span; training.span, reports/training.md §9): the first layer is
initialized in d-space from the run seeds as always, projected onto an orthonormal basis Q of
the training and test inputs (V = W_1 Q) and trained on the inputs Q^T X, and the result is
returned in d-space (W_1 = V Q^T + W_1(0)(I - Q Q^T)): the same trajectory as the full run up
to rounding, at r/d of the first layer's cost (r = N + N_test < d).

Metrics (training.evaluation, float64) are taken at the epochs of spec.eval_schedule().
Divergence: a run whose objective becomes NaN/inf or exceeds ``blowup`` is flagged on the
device in every step and marked diverged at the next read of the flags (every
``check_every`` epochs and at evaluations: the only host syncs of the step loop); its
parameters are then zeroed and frozen, its later metrics are NaN and its ``final_*`` values
are the last good ones. The other runs go on.

Speed (issue 8, 16): gradients are computed by hand (training.objective.objective_and_grad,
default ``grad="manual"``; ``grad="autograd"`` is the reference path) and on the CPU each step
processes the runs in chunks (:func:`cpu_run_chunk`) so that a chunk's hidden layer stays in
cache; bench/training.py measures it against a per-run PyTorch loop.

Resumability: training.state (checkpoints keyed by everything that determines the
trajectory, code version included). The update of each epoch depends only on the saved
state, so in deterministic CPU mode (same thread count) a resumed trajectory equals the
uninterrupted one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import xarray as xr

from shallownc import metrics as M
from shallownc.models import BatchedNet
from shallownc.training import span as S
from shallownc.training.evaluation import TRAJ_VARS, evaluate, trajectory_dataset
from shallownc.training.objective import NORMALIZATION, objective, objective_and_grad
from shallownc.training.spec import TrainData, TrainSpec, lr_factor, resolve_device
from shallownc.training.state import Checkpointer, TrainState, code_version

log = logging.getLogger("shallownc.training")


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


def cpu_run_chunk(R: int, sizes, itemsize: int = 4, budget: float = 1e7) -> int:
    """Runs per chunk of a CPU training step: the most runs whose hidden activations (sum of
    widths x N x itemsize per run) stay within ``budget`` bytes, at least 1 (measured in
    bench/training.py: a batch of 64 hidden layers falls out of cache and the
    element-wise work becomes memory-bound; chunks that fit stay compute-bound)."""
    per_run = max(1, int(sum(sizes)) * itemsize)
    return int(max(1, min(R, budget // per_run)))


class _Tensors:
    """The device tensors of a call: training-dtype data (the frozen layer's features when
    the first layer is frozen), float64 data for the metrics, per-run coefficients."""

    def __init__(self, spec: TrainSpec, data: TrainData, state: TrainState, device: str):
        td = spec.torch_dtype
        X = torch.as_tensor(data.X, dtype=td, device=device)
        if spec.frozen:
            with torch.no_grad():
                X = state.net.hidden(X, spec.frozen).contiguous()
        self.X = X
        self.y = torch.as_tensor(data.y, device=device)
        self.Y = torch.nn.functional.one_hot(self.y, data.K).transpose(-1, -2).to(td)
        self.X64 = torch.as_tensor(data.X, device=device)
        self.Xt64 = None if data.X_test is None else torch.as_tensor(data.X_test, device=device)
        self.lam_W = torch.as_tensor(spec.per_run("lambda_W"), dtype=td, device=device)
        self.lam_H = torch.as_tensor(spec.per_run("lambda_H"), dtype=td, device=device)
        self.lam_W64 = torch.as_tensor(spec.per_run("lambda_W"), device=device)
        self.lam_H64 = torch.as_tensor(spec.per_run("lambda_H"), device=device)
        self.lr = torch.as_tensor(spec.per_run("lr"), dtype=td, device=device)
        self.K, self.device, self.dtype = data.K, device, td
        self._rows = None
        self._grad_bufs = None

    def grad_buffers(self, tnet, compiled: bool):
        """Reused weight-gradient buffers on the CPU (objective_and_grad grad_out); None on a
        GPU (its caching allocator makes fresh tensors free) and for compiled steps."""
        if self.device != "cpu" or compiled:
            return None
        if self._grad_bufs is None:
            self._grad_bufs = [torch.empty_like(w, requires_grad=False).detach()
                               for w in tnet.weights]
        return self._grad_bufs

    def rows(self) -> torch.Tensor:
        """X with samples as contiguous rows, (N, d) or (R, N, d), for minibatch gathers
        (gathering rows reads memory in order; bench/README.md)."""
        if self._rows is None:
            self._rows = self.X.transpose(-1, -2).contiguous()
        return self._rows


def _batches(spec: TrainSpec, T: _Tensors, gen: torch.Generator, one_hot: bool):
    """(X_b, y_b, Y_b or None) of every step of one epoch (module docstring)."""
    if spec.batch_size is None:
        yield T.X, T.y, T.Y
        return
    R, N, B = spec.R, T.X.shape[-1], spec.batch_size
    perm = torch.rand((R, N), generator=gen, device=gen.device).argsort(dim=1).to(T.device)
    XT = T.rows()
    for b in range(N // B):
        idx = perm[:, b * B:(b + 1) * B]
        if XT.dim() == 2:
            Xb = XT[idx].transpose(1, 2)                       # rows gathered, (R, d, B) view
        else:
            Xb = torch.gather(XT, 1, idx[:, :, None].expand(R, B, XT.shape[2])).transpose(1, 2)
        yb = T.y[idx] if T.y.dim() == 1 else torch.gather(T.y, 1, idx)
        Yb = torch.nn.functional.one_hot(yb, T.K).transpose(-1, -2).to(T.dtype) \
            if one_hot else None
        yield Xb, yb, Yb


def _flag_bad(first_bad, obj, epoch, blowup):
    bad = ~torch.isfinite(obj) | (obj.abs() > blowup)
    first_bad.masked_fill_(bad & (first_bad < 0), epoch)


def _bcast(v, p):
    return v.view(-1, *([1] * (p.dim() - 1)))


class _GradFn:
    """objective_and_grad, or its torch.compile'd version (spec.compile; on CUDA in mode
    "reduce-overhead", i.e. replayed as a CUDA graph, which removes the ~40 kernel launches
    of a step): a compilation that fails, now or at a later call, is logged and the step
    falls back to eager for good."""

    def __init__(self, use_compile: bool, name: str, device: str = "cpu"):
        self.fn, self.name = objective_and_grad, name
        if use_compile:
            mode = "reduce-overhead" if device.startswith("cuda") else "default"
            try:
                self.fn = torch.compile(objective_and_grad, dynamic=False, mode=mode)
            except Exception as exc:  # noqa: BLE001 (any failure means: eager)
                self._fallback(exc)

    def _fallback(self, exc):
        log.warning("%s: torch.compile unavailable (%s: %s); eager steps", self.name,
                    type(exc).__name__, str(exc)[:200])
        self.fn = objective_and_grad

    def __call__(self, *args, **kw):
        if self.fn is objective_and_grad:
            return self.fn(*args, **kw)
        try:
            return self.fn(*args, **kw)
        except Exception as exc:  # noqa: BLE001
            self._fallback(exc)
            return self.fn(*args, **kw)


def _update(spec, params, grads, bufs, neg_lr, step: int) -> None:
    """Apply one optimizer step in place (module docstring); neg_lr (R,) = -lr_r(t) of the
    runs of ``params``, bufs = the optimizer buffers of these runs (TrainState.fresh: one per
    parameter for SGD, first then second moments for Adam/AdamW), step = t >= 1.

    sgd:   b <- mu b + g (mu > 0),  theta <- theta - lr b          (torch.optim.SGD)
    adam:  m <- b1 m + (1-b1) g,  v <- b2 v + (1-b2) g^2,
           theta <- theta - lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps)  (torch.optim.Adam;
           Kingma & Ba 2015, Algorithm 1)
    adamw: theta <- theta (1 - lr wd) first, then the adam step (torch.optim.AdamW;
           Loshchilov & Hutter 2019, decoupled weight decay wd = spec.adamw_decay)
    """
    P = len(params)
    if spec.optimizer == "sgd":
        for p, g, buf in zip(params, grads, bufs[:P]):
            if spec.momentum > 0:
                buf.mul_(spec.momentum).add_(g)
                g = buf
            p.addcmul_(_bcast(neg_lr, p), g)
        return
    b1, b2 = spec.betas
    c1, c2 = 1.0 - b1 ** step, math.sqrt(1.0 - b2 ** step)
    for p, g, m, v in zip(params, grads, bufs[:P], bufs[P:]):
        if spec.optimizer == "adamw" and spec.adamw_decay > 0:
            p.addcmul_(_bcast(neg_lr * spec.adamw_decay, p), p)
        m.mul_(b1).add_(g, alpha=1.0 - b1)
        v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
        p.addcdiv_(m * _bcast(neg_lr / c1, p), v.sqrt().div_(c2).add_(spec.adam_eps))


def _step_manual(spec, T, state, chunks, Xb, Yb, lr_e, epoch, h_scale, grad_fn, step):
    """One optimizer step with the hand-written gradient, run chunk by run chunk (on the CPU
    the weight gradients go to reused buffers, T.grad_buffers)."""
    tnet = state.net.layers(spec.frozen)
    neg_lr = -lr_e
    bufs = T.grad_buffers(tnet, spec.compile)
    for c0, c1 in chunks:
        sub = tnet.runs(c0, c1)
        obj, _, grads = grad_fn(
            sub, Xb if Xb.dim() == 2 else Xb[c0:c1], Yb if Yb.dim() == 2 else Yb[c0:c1],
            loss=spec.loss, reg=spec.reg, lambda_W=T.lam_W[c0:c1], lambda_H=T.lam_H[c0:c1],
            h_scale=h_scale, weight=state.active_d[c0:c1],
            **({} if bufs is None else {"grad_out": [b[c0:c1] for b in bufs]}))
        with torch.no_grad():
            _flag_bad(state.first_bad[c0:c1], obj, epoch, spec.blowup)
            _update(spec, sub.parameters(), grads, [b[c0:c1] for b in state.bufs],
                    neg_lr[c0:c1], step)


def _step_autograd(spec, T, state, Xb, yb, lr_e, epoch, h_scale, step):
    """One optimizer step with torch.autograd on training.objective (the reference path)."""
    tnet = state.net.layers(spec.frozen)
    params = tnet.parameters()
    obj, _ = objective(tnet, Xb, yb, loss=spec.loss, reg=spec.reg, lambda_W=T.lam_W,
                       lambda_H=T.lam_H, h_scale=h_scale)
    _flag_bad(state.first_bad, obj.detach(), epoch, spec.blowup)
    total = torch.where(state.active_d > 0, obj, torch.zeros_like(obj)).sum()
    grads = torch.autograd.grad(total, params)
    with torch.no_grad():
        _update(spec, params, grads, state.bufs, -lr_e, step)


def _chunks(spec: TrainSpec, T: _Tensors, device: str):
    """Run chunks of a step (None for autograd): all runs on a GPU, cache-sized on a CPU."""
    if spec.grad == "autograd":
        return None
    chunk = spec.run_chunk
    if chunk is None:
        cols = T.X.shape[-1] if spec.batch_size is None else spec.batch_size
        chunk = spec.R if device != "cpu" else cpu_run_chunk(
            spec.R, [w * cols for w in spec.widths[spec.frozen:]],
            itemsize=torch.finfo(T.dtype).bits // 8)
    chunk = int(min(spec.R, chunk))
    return [(c0, min(spec.R, c0 + chunk)) for c0 in range(0, spec.R, chunk)]


def _run_epoch(spec, T, state, chunks, h_scale, grad_fn) -> int:
    """All steps of epoch state.epoch; returns the number of steps."""
    epoch = state.epoch
    lr_e = T.lr * lr_factor(spec.lr_schedule, epoch, spec.epochs, spec.lr_milestones,
                            spec.lr_gamma)
    per_epoch = 1 if spec.batch_size is None else T.X.shape[-1] // spec.batch_size
    steps = 0
    for Xb, yb, Yb in _batches(spec, T, state.gen, one_hot=chunks is not None):
        step = epoch * per_epoch + steps + 1          # optimizer step t >= 1 (Adam's bias fix)
        if chunks is None:
            _step_autograd(spec, T, state, Xb, yb, lr_e, epoch, h_scale, step)
        else:
            _step_manual(spec, T, state, chunks, Xb, Yb, lr_e, epoch, h_scale, grad_fn, step)
        steps += 1
    state.epoch = epoch + 1
    return steps


class _Evaluator:
    """Records the float64 metrics of the current state (training.evaluation)."""

    def __init__(self, spec, data, T, state):
        self.spec, self.data, self.T, self.state = spec, data, T, state
        self.seconds = self.cpu_seconds = 0.0

    def __call__(self, epoch: int) -> dict:
        if self.T.device.startswith("cuda"):
            torch.cuda.synchronize()  # queued steps are not charged to the evaluation
        t, c = time.perf_counter(), time.process_time()
        st, T = self.state, self.T
        net64 = st.net.detach().to(dtype=torch.float64)
        rec = evaluate(net64, T.X64, self.data.y, T.Xt64, self.data.y_test,
                       {"loss": self.spec.loss, "reg": self.spec.reg}, T.lam_W64, T.lam_H64,
                       st.active, frozen=self.spec.frozen)
        st.records[epoch] = rec
        good = np.isfinite(rec["objective"])
        for k in TRAJ_VARS:
            st.last_good[k][good] = rec[k][good]
        self.seconds += time.perf_counter() - t
        self.cpu_seconds += time.process_time() - c
        return rec


def _nanmedian(a):
    return np.nanmedian(a) if np.isfinite(a).any() else float("nan")


def _log_progress(spec, state, rate, n_batches):
    last = state.records[max(state.records)]
    eta = (spec.epochs - state.epoch) * n_batches / max(rate, 1e-9)
    log.info("%s: epoch %d/%d  objective(median) %.4g  NC1(median, epoch %d) %.3g  "
             "%.1f steps/s  ETA %.0f s  diverged %d/%d", spec.name, state.epoch, spec.epochs,
             _nanmedian(last["objective"]), max(state.records), _nanmedian(last["nc1"]), rate,
             eta, int((~state.active).sum()), spec.R)


def _loop(spec, T, state, ckpt, evaluator, chunks, n_batches, h_scale) -> int:
    """Train from state.epoch to spec.epochs; evaluate, check, log, checkpoint on the way.
    Returns the number of steps taken."""
    eval_set = set(int(e) for e in spec.eval_schedule())
    t0 = time.perf_counter()
    t_ckpt = t_log = t0
    steps = 0
    start = state.epoch
    grad_fn = _GradFn(spec.compile and chunks is not None, spec.name, T.device)
    if state.epoch == 0 and 0 not in state.records:
        evaluator(0)
    while state.epoch < spec.epochs:
        steps += _run_epoch(spec, T, state, chunks, h_scale, grad_fn)
        epoch = state.epoch
        if epoch in eval_set or epoch % spec.check_every == 0:
            state.mark_diverged(spec.name, spec.blowup)
        if epoch in eval_set:
            evaluator(epoch)
        now = time.perf_counter()
        if now - t_log >= spec.log_every_s or epoch == spec.epochs:
            t_log = now
            _log_progress(spec, state, steps / max(now - t0, 1e-9), n_batches)
        if ckpt.path is not None and now - t_ckpt >= ckpt.every_s:
            ckpt.save(state)
            t_ckpt = time.perf_counter()
    state.mark_diverged(spec.name, spec.blowup)
    if start < spec.epochs:
        ckpt.save(state)
    return steps


@contextlib.contextmanager
def _matmul_precision(spec: TrainSpec, device: str):
    """TF32 matmuls on CUDA during the call when spec.tf32 (metrics are float64 anyway)."""
    if not (spec.tf32 and device.startswith("cuda")):
        yield
        return
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old


def _result(spec, data, state, device, timing) -> TrainResult:
    """TrainResult with the trajectory Dataset (attributes: every setting, normalization)."""
    R = spec.R
    nc1_in = np.asarray([M.nc1(data.X if data.X.ndim == 2 else data.X[r],
                               data.y if data.y.ndim == 1 else data.y[r], data.K)
                         for r in range(R)])
    coords = {"run": np.arange(R), "seed": ("run", np.asarray([int(s) for s in spec.seeds], np.uint64)),
              "lambda_W": ("run", spec.per_run("lambda_W")),
              "lambda_H": ("run", spec.per_run("lambda_H")),
              "lr": ("run", spec.per_run("lr")), "init_scale": ("run", spec.per_run("init_scale"))}
    attrs = {"arch": spec.arch, "widths": json.dumps(list(spec.widths)), "loss": spec.loss,
             "reg": spec.reg, "epochs": spec.epochs, "dtype": spec.dtype, "device": device,
             "bias": int(spec.bias),
             "batch_size": -1 if spec.batch_size is None else spec.batch_size,
             "momentum": float(spec.momentum), "lr_schedule": spec.lr_schedule,
             "optimizer": spec.optimizer, "betas": json.dumps(list(spec.betas)),
             "adam_eps": float(spec.adam_eps), "adamw_decay": float(spec.adamw_decay),
             "lr_milestones": json.dumps(list(spec.lr_milestones)),
             "lr_gamma": float(spec.lr_gamma), "freeze_first": int(spec.freeze_first),
             "tf32": int(spec.tf32 and device.startswith("cuda")),
             "data_span": int(spec.data_span), "span_dim": int(timing["span_dim"]),
             "K": data.K, "N": data.N, "d": data.d, "steps_per_s": float(timing["rate"]),
             "normalization": NORMALIZATION, "objective_definition": NORMALIZATION,
             "training_code_version": code_version()}
    traj = trajectory_dataset(state.records, state.last_good, ~state.active,
                              state.diverged_epoch, nc1_in, spec.blowup, coords, attrs)
    net = state.net
    return TrainResult(
        weights=[w.detach().cpu().numpy().astype(np.float64) for w in net.weights],
        biases=[None if b is None else b.detach().cpu().numpy().astype(np.float64)
                for b in net.biases],
        objective=state.last_good["objective"].copy(), diverged=~state.active,
        diverged_epoch=state.diverged_epoch.copy(), trajectory=traj,
        resumed_from_epoch=timing["start"], steps_per_s=timing["rate"], wall_s=timing["wall"],
        extras={"eval_s": timing["eval_s"], "run_chunk": timing["chunk"],
                "steps_done": timing["steps"], "step_s": timing["elapsed"] - timing["eval_s"],
                "step_cpu_s": timing["step_cpu_s"]})


@dataclass
class _Span:
    """A span run (module docstring): the basis Q, the data in it, the initial first layer
    W_1(0) in d-space and the initial net with V(0) = W_1(0) Q."""
    Q: np.ndarray
    data: TrainData
    W1_0: torch.Tensor
    net: BatchedNet

    @classmethod
    def of(cls, spec: TrainSpec, data: TrainData, device: str) -> "_Span | None":
        """The span run of ``spec`` on ``data``, or None without data_span or when the span
        of the inputs is all of R^d (span.basis)."""
        Q = S.basis(data.X, data.X_test) if spec.data_span else None
        if Q is None:
            return None
        sdata = TrainData.from_arrays(
            S.coordinates(Q, data.X), data.y,
            None if data.X_test is None else S.coordinates(Q, data.X_test), data.y_test, spec.R)
        net0 = TrainState.initial_net(spec, data, device)
        W1_0 = net0.weights[0].detach()
        net = BatchedNet([S.project(W1_0, Q).requires_grad_(True), *net0.weights[1:]],
                         net0.biases)
        log.info("%s: first layer trained in the %d-dimensional span of the inputs (d = %d)",
                 spec.name, Q.shape[-1], data.d)
        return cls(Q, sdata, W1_0, net)

    def lifted(self, net: BatchedNet, active: np.ndarray) -> BatchedNet:
        """The trained net with its first layer back in d-space (span.lift); diverged runs'
        first layers are zero, as in a full run (TrainState.mark_diverged)."""
        W1 = S.lift(net.weights[0], self.W1_0, self.Q)
        W1[torch.as_tensor(~active, device=W1.device)] = 0.0
        return BatchedNet([W1, *net.weights[1:]], net.biases)


def train(X, y, spec: TrainSpec | None = None, *, X_test=None, y_test=None,
          **settings) -> TrainResult:
    """Train R = len(seeds) runs of a shallow ReLU net together (module docstring).

    X: (d, N) shared data or (R, d, N) one data set per run; y: (N,) or (R, N) labels 0..K-1;
    X_test, y_test: optional test data (same layout) for test error, NC1 and NC4 on fresh
    samples. ``spec`` (a TrainSpec) and/or keyword ``settings`` (TrainSpec fields, which
    override the spec's) give every setting; see TrainSpec for fields and defaults.
    """
    t_start = time.perf_counter()
    spec = TrainSpec(**settings) if spec is None else dataclasses.replace(spec, **settings)
    data = TrainData.from_arrays(X, y, X_test, y_test, spec.R)
    data.check(spec)
    device = resolve_device(spec.device)
    span = _Span.of(spec, data, device)
    tdata = data if span is None else span.data                # the inputs the loop sees
    state = TrainState.fresh(spec, tdata, device, TRAJ_VARS,
                             net=None if span is None else span.net)
    ckpt = Checkpointer(spec.checkpoint_dir, spec.name, Checkpointer.key_meta(spec, data),
                        spec.checkpoint_every_s)
    start = ckpt.resume(state, spec.epochs)
    T = _Tensors(spec, tdata, state, device)
    chunks = _chunks(spec, T, device)
    evaluator = _Evaluator(spec, tdata, T, state)
    n_batches = 1 if spec.batch_size is None else data.N // spec.batch_size
    h_scale = 1.0 if spec.batch_size is None else data.N / spec.batch_size
    t0, c0 = time.perf_counter(), time.process_time()
    with _matmul_precision(spec, device):
        steps = _loop(spec, T, state, ckpt, evaluator, chunks, n_batches, h_scale)
    elapsed = time.perf_counter() - t0
    timing = {"start": start, "steps": steps, "elapsed": elapsed, "eval_s": evaluator.seconds,
              "step_cpu_s": time.process_time() - c0 - evaluator.cpu_seconds,
              "rate": steps / elapsed if steps else 0.0,
              "chunk": None if chunks is None else chunks[0][1] - chunks[0][0],
              "span_dim": data.d if span is None else span.Q.shape[-1]}
    if span is not None:
        state.net = span.lifted(state.net, state.active)
    timing["wall"] = time.perf_counter() - t_start
    res = _result(spec, data, state, device, timing)
    log.info("%s: done, %d runs x %d epochs, %.1f steps/s, wall %.1f s", spec.name, spec.R,
             spec.epochs, timing["rate"], res.wall_s)
    return res


def train_two_layer(X, y, *, width, **settings) -> TrainResult:
    """Two-layer net f = W2 relu(W1 x) (paper (2.4)); full-batch GD unless batch_size is set."""
    return train(X, y, arch="two_layer", widths=(width,), **settings)


def train_three_layer(X, y, *, widths, batch_size=None, momentum=0.9,
                      **settings) -> TrainResult:
    """Three-layer net f = W3 relu(W2 relu(W1 x)) (paper (2.5)), mini-batch SGD with momentum
    by default; freeze_first=True fixes W1 at N(0, 1/d1) (paper Figure 6)."""
    return train(X, y, arch="three_layer", widths=widths, batch_size=batch_size,
                 momentum=momentum, **settings)
