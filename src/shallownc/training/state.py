"""The mutable state of a training call and its checkpoints (issue 14 item 4).

A :class:`TrainState` holds everything the next epoch depends on: the parameters, the momentum
buffers, the minibatch generator, the divergence flags, the epoch, and the metrics recorded so
far. :class:`Checkpointer` saves it atomically (write to ``.tmp``, then ``os.replace``) to
``<checkpoint_dir>/<name>-<key>.pt`` and loads it back.

The key is a hash of everything that determines the trajectory: the data (train and test
arrays), every setting of the spec that can change the numbers (TrainSpec.key_settings: the
per-run hyper-parameters, schedule, epochs, dtype, device type, ...), the torch version and
the code version: a hash of the source of the training package, models.py and metrics.py
with comments and docstrings removed (:func:`code_version`), so an edit of the code that
computes the trajectory or its metrics never reuses an old checkpoint, and a comment edit
does. A checkpoint with another key is never loaded: it is listed in the log with the
fields that differ (from its ``.json`` side file) and ignored; an unreadable or inconsistent
file is ignored with a warning.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from shallownc.codehash import normalized_source
from shallownc.models import BatchedNet, init_net

log = logging.getLogger("shallownc.training")

_PKG = Path(__file__).resolve().parent
CODE_FILES = (*sorted(_PKG.glob("*.py")), _PKG.parent / "models.py", _PKG.parent / "metrics.py")


def source_hash(paths) -> str:
    """sha256 of the normalized sources of ``paths`` (comments and docstrings stripped, the
    same normalization as the rules' code versions: :func:`shallownc.codehash.normalized_source`)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).name.encode() + normalized_source(p).encode())
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code that determines a trajectory and its metrics (module docstring);
    computed once per process."""
    return source_hash(CODE_FILES)


def fingerprint(arrays, settings: dict) -> str:
    """Hash of arrays (shape, dtype, bytes) and of a JSON-able settings dict."""
    h = hashlib.sha256()
    for a in arrays:
        if a is not None:
            a = np.ascontiguousarray(a)
            h.update(str(a.shape).encode() + str(a.dtype).encode() + a.tobytes())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()[:20]


def minibatch_generator(seeds, device: str = "cpu") -> torch.Generator:
    """The generator of the minibatch permutations, seeded from the run seeds: on the CPU for
    CPU training; on the GPU for GPU training (no host-to-device copy, hence no sync, per
    epoch; the permutations then differ from the CPU ones, and the checkpoint key holds the
    device type)."""
    dev = "cpu" if not str(device).startswith("cuda") else device
    return torch.Generator(device=dev).manual_seed(
        int(fingerprint([], {"s": list(seeds)}), 16) % (2 ** 63))


@dataclass
class TrainState:
    """Parameters, optimizer buffers, generator, divergence flags, epoch and records."""
    net: BatchedNet
    bufs: list
    gen: torch.Generator
    first_bad: torch.Tensor       # (R,) first epoch with a bad objective, -1 (on the device)
    active: np.ndarray            # (R,) bool, False once diverged
    active_d: torch.Tensor        # (R,) 1.0 / 0.0 on the device (masks frozen runs)
    diverged_epoch: np.ndarray    # (R,) int64
    records: dict                 # epoch -> {metric: (R,) array}
    last_good: dict               # metric -> (R,) last finite value
    epoch: int = 0
    frozen: int = 0               # leading weight matrices that are not trained

    @classmethod
    def fresh(cls, spec, data, device: str, traj_vars, net: BatchedNet | None = None
              ) -> "TrainState":
        """The state at epoch 0: ``net`` (default: :meth:`initial_net`), zero buffers."""
        tdtype, R = spec.torch_dtype, spec.R
        net = cls.initial_net(spec, data, device) if net is None else net
        # optimizer buffers: one per parameter (SGD momentum), two for Adam/AdamW (moments)
        n_buf = 1 if spec.optimizer == "sgd" else 2
        bufs = [torch.zeros_like(p) for _ in range(n_buf)
                for p in net.layers(spec.frozen).parameters()]
        return cls(net, bufs, minibatch_generator(spec.seeds, device),
                   torch.full((R,), -1, dtype=torch.int64, device=device),
                   np.ones(R, dtype=bool), torch.ones(R, dtype=tdtype, device=device),
                   np.full(R, -1, dtype=np.int64), {},
                   {k: np.full(R, np.nan) for k in traj_vars}, 0, spec.frozen)

    @staticmethod
    def initial_net(spec, data, device: str) -> BatchedNet:
        """The initial network of the runs (models.init_net from the run seeds)."""
        return init_net(spec.arch, data.d, data.K, spec.widths, spec.seeds,
                        spec.per_run("init_scale"), spec.bias, spec.torch_dtype, device,
                        spec.freeze_first, spec.input_dims)

    @property
    def params(self) -> list:
        """The trained parameters (a frozen first layer excluded), in net.parameters order."""
        return self.net.layers(self.frozen).parameters()

    def mark_diverged(self, name: str, blowup: float) -> None:
        """Read the on-device flags; zero and freeze runs that went bad since the last read."""
        fb = self.first_bad.cpu().numpy()
        new = (fb >= 0) & self.active
        if not new.any():
            return
        idx = np.flatnonzero(new)
        self.diverged_epoch[idx] = fb[idx]
        self.active[idx] = False
        with torch.no_grad():
            self.active_d[idx] = 0.0
            for p in self.params:
                p[idx] = 0.0
            for b in self.bufs:
                b[idx] = 0.0
        log.warning("%s: run(s) %s diverged (objective NaN/inf or > %.0e) at epoch(s) %s",
                    name, idx.tolist(), blowup, fb[idx].tolist())

    def to_dict(self) -> dict:
        return {"params": [p.detach().cpu() for p in self.params],
                "bufs": [b.cpu() for b in self.bufs],
                "first_bad": self.first_bad.cpu(), "active": torch.as_tensor(self.active),
                "diverged_epoch": torch.as_tensor(self.diverged_epoch),
                "gen": self.gen.get_state(),
                "records": {str(e): {k: torch.as_tensor(v) for k, v in r.items()}
                            for e, r in self.records.items()},
                "last_good": {k: torch.as_tensor(v) for k, v in self.last_good.items()},
                "epoch": int(self.epoch)}

    def load_dict(self, st: dict, epochs: int) -> None:
        """Apply a saved state; everything is parsed and checked first, so a bad file raises
        and leaves this state untouched."""
        params = self.params
        shapes = [tuple(v.shape) for v in (*st["params"], *st["bufs"])]
        if shapes != [tuple(p.shape) for p in (*params, *self.bufs)] \
                or not 0 <= int(st["epoch"]) <= epochs:
            raise ValueError("checkpoint does not match this run's shapes/epochs")
        active = st["active"].cpu().numpy().astype(bool)
        div = st["diverged_epoch"].cpu().numpy().astype(np.int64)
        records = {int(e): {k: np.asarray(v, dtype=np.float64) for k, v in r.items()}
                   for e, r in st["records"].items()}
        last = {k: np.asarray(v, dtype=np.float64) for k, v in st["last_good"].items()}
        if active.shape != self.active.shape or set(last) != set(self.last_good):
            raise ValueError("checkpoint does not match this run's layout")
        gen_state = st["gen"].cpu()
        with torch.no_grad():
            for p, v in zip(params, st["params"]):
                p.copy_(v)
            for b, v in zip(self.bufs, st["bufs"]):
                b.copy_(v)
        self.first_bad.copy_(st["first_bad"])
        self.active[:] = active
        self.active_d.copy_(torch.as_tensor(active, dtype=self.active_d.dtype))
        self.diverged_epoch[:] = div
        self.gen.set_state(gen_state)
        self.records, self.last_good = records, last
        self.epoch = int(st["epoch"])


class Checkpointer:
    """Saves and loads a TrainState under its key (module docstring); no-op without a dir."""

    def __init__(self, checkpoint_dir, name: str, key_meta: dict, every_s: float):
        self.meta = key_meta
        self.every_s = float(every_s)
        self.path = None
        if checkpoint_dir is not None:
            key = fingerprint([], key_meta)
            self.path = Path(checkpoint_dir) / f"{name}-{key}.pt"
            self.name = name

    @staticmethod
    def key_meta(spec, data) -> dict:
        """Everything that determines the trajectory, as a JSON-able dict."""
        return {"settings": spec.key_settings(), "code": code_version(),
                "torch": torch.__version__,
                "data": fingerprint([data.X, data.y, data.X_test, data.y_test], {})}

    def _report_stale(self) -> None:
        for other in sorted(self.path.parent.glob(f"{self.name}-*.pt")):
            if other == self.path:
                continue
            try:
                old = json.loads(other.with_suffix(".json").read_text())
                diff = sorted(k for k in set(old) | set(self.meta)
                              if json.dumps(old.get(k), sort_keys=True, default=str)
                              != json.dumps(self.meta.get(k), sort_keys=True, default=str))
                if "settings" in diff:
                    o, n = old.get("settings", {}), self.meta["settings"]
                    diff += [f"settings.{k}" for k in sorted(set(o) | set(n))
                             if json.dumps(o.get(k), default=str)
                             != json.dumps(n.get(k), default=str)]
            except (OSError, ValueError):
                diff = ["unknown (no readable key file)"]
            log.info("%s: ignoring checkpoint %s: written for another trajectory (differs in: "
                     "%s)", self.name, other, ", ".join(diff))

    def resume(self, state: TrainState, epochs: int) -> int:
        """Load the matching checkpoint into ``state`` if there is one; returns its epoch."""
        if self.path is None:
            return 0
        if not self.path.exists():
            if self.path.parent.is_dir():
                self._report_stale()
            return 0
        try:
            st = torch.load(self.path, map_location=state.first_bad.device, weights_only=True)
            state.load_dict(st, epochs)
        except Exception as exc:  # corrupt / incompatible: say so and start afresh
            log.warning("%s: ignoring unreadable checkpoint %s (%s: %s)", self.name, self.path,
                        type(exc).__name__, exc)
            return 0
        log.info("%s: resumed from checkpoint %s at epoch %d/%d", self.name, self.path,
                 state.epoch, epochs)
        return state.epoch

    def save(self, state: TrainState) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        meta = self.path.with_suffix(".json")
        if not meta.exists():
            meta.write_text(json.dumps(self.meta, sort_keys=True, default=str, indent=1))
        tmp = self.path.with_name(self.path.name + ".tmp")
        torch.save(state.to_dict(), tmp)
        os.replace(tmp, self.path)
