"""What a batched training call is: the validated spec, the data, the schedules.

:class:`TrainSpec` holds every setting of :func:`shallownc.training.train` (the defaults
below serve direct Python calls only: the config path gives every field from the schema's
$defs/train_recipe and $defs/train_runtime through :func:`shallownc.training.recipe.train_kwargs`,
tests/test_recipe.py); its constructor
checks every field and raises a ValueError naming the field. :class:`TrainData` holds the
validated arrays. Schedules: log-spaced evaluation epochs and the learning-rate factor.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch

from shallownc.models import ARCHS
from shallownc.training.objective import check_loss_reg
from shallownc.training.span import unsupported as span_unsupported

SCHEDULES = ("constant", "cosine", "step")
OPTIMIZERS = ("sgd", "adam", "adamw")
GRADS = ("manual", "autograd")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
PER_RUN = ("lambda_W", "lambda_H", "lr", "init_scale")
# fields that do not change the trajectory (left out of the checkpoint key)
NOT_IN_KEY = ("device", "checkpoint_dir", "checkpoint_every_s", "log_every_s", "name",
              "run_chunk", "compile")


def log_epochs(epochs: int, n: int = 40) -> np.ndarray:
    """0 and about n log-spaced epochs from 1 to ``epochs`` (both included), unique, sorted."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    e = np.unique(np.round(np.logspace(0, np.log10(epochs), max(int(n), 2))).astype(np.int64))
    return np.unique(np.concatenate([[0], e, [epochs]]))


def lr_factor(schedule: str, epoch: int, epochs: int, milestones=(1 / 3, 2 / 3),
              gamma: float = 0.1) -> float:
    """Multiplier of the base learning rate at ``epoch``: constant 1; cosine
    (1 + cos(pi e/T))/2; step gamma^(number of milestones m with e >= m T) (the paper's
    recipe, Section 3: lr 0.1 divided by 10 at 1/3 and 2/3 of training)."""
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    if schedule == "step":
        return gamma ** sum(epoch >= m * epochs for m in milestones)
    raise ValueError(f"unknown lr schedule {schedule!r}; allowed: {SCHEDULES}")


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda' when available else 'cpu'; a CUDA request without CUDA is an error."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} requested but CUDA is not available")
    return device


def _per_run(name, v, R) -> tuple:
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 0:
        return (float(a),) * R
    if a.shape != (R,):
        raise ValueError(f"{name} must be a scalar or have one value per run ({R}), "
                         f"got shape {a.shape}")
    return tuple(float(x) for x in a)


@dataclass(frozen=True)
class TrainSpec:
    """Every setting of a batched training call of R = len(seeds) runs (validated).

    Per-run fields (a scalar or one value per run): lambda_W, lambda_H (paper (2.1)
    normalization, training.objective), lr, init_scale. batch_size None = full batch.
    optimizer: "sgd" (with ``momentum``), "adam" or "adamw" (``betas``, ``adam_eps``;
    ``adamw_decay`` the decoupled weight decay of adamw), the torch.optim updates
    (training.loop._update).
    lr_schedule "step" multiplies lr by lr_gamma at each fraction of ``epochs`` in
    lr_milestones. freeze_first: the first layer is fixed at N(0, 1/d1) (paper Theorem 6,
    Figure 6), not trained and not regularized. eval_epochs: explicit metric epochs (0 and
    ``epochs`` are always added), else about n_eval log-spaced ones. check_every: epochs
    between reads of the on-device divergence flags (the only host syncs of the step loop
    besides evaluations). grad: "manual" (hand-written gradient) or "autograd" (reference).
    run_chunk: runs per chunk of a CPU step (None: training.loop.cpu_run_chunk). tf32:
    allow TF32 matmuls on CUDA for the training steps (metrics stay float64). compile: try
    torch.compile on the step (falls back to eager on failure). input_dims: per-run input
    dimensions when runs of several d are batched with zero-padded inputs (models.init_net;
    experiments.run_padded_grid), None = every run uses all d inputs. data_span: train the
    first layer in the span of the training and test inputs when that span is smaller than d
    (training.span, reports/training.md §9: the same computation up to rounding; refused
    where it is not exact: weight decay, Adam/AdamW, a frozen first layer).
    """
    arch: str = "two_layer"
    widths: tuple = (100,)
    loss: str = "ce"
    reg: str = "feature"
    lambda_W: tuple | float = 1e-2
    lambda_H: tuple | float = 1e-2
    epochs: int = 1000
    lr: tuple | float = 0.1
    init_scale: tuple | float = 1.0
    seeds: tuple = (0,)
    device: str = "cpu"
    dtype: str = "float32"
    bias: bool = False
    batch_size: int | None = None
    momentum: float = 0.0
    optimizer: str = "sgd"
    betas: tuple = (0.9, 0.999)
    adam_eps: float = 1e-8
    adamw_decay: float = 0.0
    lr_schedule: str = "constant"
    lr_milestones: tuple = (1 / 3, 2 / 3)
    lr_gamma: float = 0.1
    freeze_first: bool = False
    eval_epochs: tuple | None = None
    n_eval: int = 40
    checkpoint_dir: str | None = None
    checkpoint_every_s: float = 60.0
    log_every_s: float = 30.0
    check_every: int = 100
    blowup: float = 1e12
    name: str = "train"
    grad: str = "manual"
    run_chunk: int | None = None
    tf32: bool = False
    compile: bool = False
    input_dims: tuple | None = None
    data_span: bool = False

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        seeds = tuple(int(s) for s in self.seeds)
        if not seeds:
            raise ValueError("seeds must name at least one run")
        set_("seeds", seeds)
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {sorted(ARCHS)}, got {self.arch!r}")
        set_("widths", tuple(int(w) for w in np.atleast_1d(self.widths)))
        check_loss_reg(self.loss, self.reg)
        for k in PER_RUN:
            set_(k, _per_run(k, getattr(self, k), len(seeds)))
        if min(self.lambda_W) < 0 or min(self.lambda_H) < 0 or min(self.lr) <= 0 \
                or min(self.init_scale) <= 0:
            raise ValueError("lambdas must be >= 0, lr and init_scale > 0")
        set_("epochs", int(self.epochs))
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        self._check_optimizer()
        self._check_run_options()

    def _check_optimizer(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        if self.batch_size is not None:
            set_("batch_size", int(self.batch_size))
            if self.batch_size < 1:
                raise ValueError(f"batch_size must be >= 1 or None, got {self.batch_size}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.optimizer != "sgd" and self.momentum > 0:
            raise ValueError(f"momentum is an SGD setting; optimizer {self.optimizer!r} uses "
                             f"betas (got momentum {self.momentum})")
        set_("betas", tuple(float(b) for b in self.betas))
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas}")
        if not self.adam_eps > 0:
            raise ValueError(f"adam_eps must be > 0, got {self.adam_eps}")
        if self.adamw_decay < 0 or (self.adamw_decay > 0 and self.optimizer != "adamw"):
            raise ValueError(f"adamw_decay must be >= 0 and is used by optimizer 'adamw' "
                             f"only (got {self.adamw_decay} with {self.optimizer!r})")
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {SCHEDULES}, got "
                             f"{self.lr_schedule!r}")
        set_("lr_milestones", tuple(float(m) for m in self.lr_milestones))
        if any(not 0.0 < m < 1.0 for m in self.lr_milestones) or \
                list(self.lr_milestones) != sorted(self.lr_milestones):
            raise ValueError(f"lr_milestones must be increasing fractions in (0, 1), got "
                             f"{self.lr_milestones}")
        if not 0.0 < self.lr_gamma <= 1.0:
            raise ValueError(f"lr_gamma must be in (0, 1], got {self.lr_gamma}")
        if self.freeze_first and len(self.widths) < 2:
            raise ValueError("freeze_first needs a three-layer net (a trained layer after the "
                             "frozen one)")

    def _check_run_options(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {self.dtype!r}")
        if self.grad not in GRADS:
            raise ValueError(f"grad must be 'manual' or 'autograd', got {self.grad!r}")
        if self.run_chunk is not None and int(self.run_chunk) < 1:
            raise ValueError(f"run_chunk must be >= 1 or None, got {self.run_chunk}")
        if int(self.check_every) < 1 or int(self.n_eval) < 2:
            raise ValueError("check_every must be >= 1 and n_eval >= 2")
        if self.input_dims is not None:
            set_("input_dims", tuple(int(x) for x in self.input_dims))
            if len(self.input_dims) != len(self.seeds):
                raise ValueError(f"input_dims needs one value per run ({len(self.seeds)}), got "
                                 f"{len(self.input_dims)}")
        if self.eval_epochs is not None:
            ee = tuple(int(e) for e in self.eval_epochs)
            if ee and (min(ee) < 0 or max(ee) > self.epochs):
                raise ValueError(f"eval_epochs must lie in 0..{self.epochs}")
            set_("eval_epochs", ee)
        set_("data_span", bool(self.data_span))
        why = span_unsupported(self.reg, self.optimizer, self.freeze_first) \
            if self.data_span else None
        if why is not None:
            raise ValueError(f"data_span: {why}")

    @property
    def R(self) -> int:
        return len(self.seeds)

    @property
    def frozen(self) -> int:
        """Number of leading weight matrices that are not trained (0 or 1)."""
        return int(self.freeze_first)

    @property
    def torch_dtype(self):
        return DTYPES[self.dtype]

    def per_run(self, name: str) -> np.ndarray:
        return np.asarray(getattr(self, name), dtype=np.float64)

    def eval_schedule(self) -> np.ndarray:
        """Sorted epochs at which metrics are taken (0 and ``epochs`` always included)."""
        if self.eval_epochs is None:
            return log_epochs(self.epochs, self.n_eval)
        return np.unique(np.concatenate([[0], np.asarray(self.eval_epochs, np.int64),
                                         [self.epochs]])).astype(np.int64)

    def key_settings(self) -> dict:
        """The settings that determine the trajectory (for the checkpoint key)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.name not in NOT_IN_KEY}
        d["eval_epochs"] = self.eval_schedule().tolist()
        d["device_type"] = resolve_device(self.device).split(":")[0]
        return d


@dataclass(frozen=True)
class TrainData:
    """Validated training (and optional test) data: X (d, N) shared or (R, d, N) per run,
    y (N,) or (R, N) labels 0..K-1 (numpy, float64 / int64)."""
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    K: int

    @property
    def d(self) -> int:
        return self.X.shape[-2]

    @property
    def N(self) -> int:
        return self.X.shape[-1]

    @classmethod
    def from_arrays(cls, X, y, X_test, y_test, R: int) -> "TrainData":
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y).astype(np.int64)
        if X.ndim not in (2, 3):
            raise ValueError(f"X must be d x N or R x d x N, got shape {X.shape}")
        if X.ndim == 3 and X.shape[0] != R:
            raise ValueError(f"X has {X.shape[0]} data sets but there are {R} runs (seeds)")
        d, N = X.shape[-2:]
        if y.shape[-1] != N or (y.ndim == 2 and y.shape[0] != R) or y.ndim > 2:
            raise ValueError(f"y must have shape ({N},) or ({R}, {N}), got {y.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or inf")
        if y.min() < 0:
            raise ValueError("labels must be 0..K-1")
        K = int(y.max()) + 1
        for row in (y if y.ndim == 2 else y[None]):
            if (np.bincount(row, minlength=K) == 0).any():
                raise ValueError(f"every class 0..{K - 1} needs a training sample")
        Xt = yt = None
        if X_test is not None:
            Xt = np.asarray(X_test, dtype=np.float64)
            yt = np.asarray(y_test).astype(np.int64)
            if Xt.shape[-2] != d or yt.shape[-1] != Xt.shape[-1]:
                raise ValueError(f"X_test must be d x N_test with d = {d} and y_test of "
                                 f"length N_test; got {Xt.shape} and {yt.shape}")
        return cls(X, y, Xt, yt, K)

    def check(self, spec: TrainSpec) -> None:
        """Cross-checks of the data against the spec."""
        if spec.batch_size is not None and spec.batch_size > self.N:
            raise ValueError(f"batch_size must be in 1..N={self.N} or None, got "
                             f"{spec.batch_size}")
        if spec.input_dims is not None:
            if self.X.ndim != 3 or max(spec.input_dims) > self.d:
                raise ValueError("input_dims needs per-run data X (R, d, N) with every "
                                 f"input_dims <= d = {self.d}")
            for r, dr in enumerate(spec.input_dims):
                if np.any(self.X[r, dr:] != 0):
                    raise ValueError(f"run {r}: inputs beyond input_dims[{r}] = {dr} must be "
                                     "zero (padding)")
