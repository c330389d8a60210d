"""One sweep that trains: :func:`train_cells`, used by every stage that trains networks.

A *cell* is one training run's coordinates (e.g. ``{"d": 12, "sigma": 0.3, "trial": 1}``);
the caller supplies them and a ``draw`` function giving each cell's data. :func:`train_cells`
draws every cell, takes the class-LP status of each training set when asked, derives every
run's network seed by the one convention :func:`network_seed`, and trains all runs in ONE
batched call of :func:`shallownc.training.train` with the validated recipe and runtime
(``$defs/train_recipe``, ``$defs/train_runtime``; :func:`shallownc.training.recipe.train_kwargs`).
Users: the training stage (training.experiments), the verdict study (verdict.train_cells),
the paper's Figures 3 and 6 (paper_training) and generalization's trained networks.

Network seeds (one convention, issue 20): ``network_seed(base_seed, experiment, trial, **cell)``
= data.cell_seed(base_seed, trial, purpose="network", experiment=experiment, **cell) mod 2^63,
with ``cell`` the run's coordinates other than the trial; so a run's initialization depends
only on the base seed, the experiment and its own cell, never on how the sweep is batched or
split into jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from shallownc.training.loop import TrainResult, train
from shallownc.training.recipe import train_kwargs


def network_seed(base_seed: int, experiment: str, trial: int, **cell) -> int:
    """The network seed of one run (module docstring): data.cell_seed with purpose "network"."""
    from shallownc.data import cell_seed

    return cell_seed(base_seed, int(trial), purpose="network", experiment=experiment,
                     **cell) % (2 ** 63)


@dataclass
class CellData:
    """Drawn cells: their coordinates, data (per cell, or one shared data set), the ``lp``
    callback's value per cell (None without one) and the network seeds."""
    cells: list
    X: list
    y: list
    X_test: list | None
    y_test: list | None
    lp: list | None
    seeds: list
    shared: bool

    @property
    def lp_status(self) -> np.ndarray | None:
        """The LP statuses (when ``lp`` returned a status, or (status, ...) tuples)."""
        if self.lp is None:
            return None
        return np.asarray([v[0] if isinstance(v, tuple) else v for v in self.lp], dtype=np.int8)


@dataclass
class CellRuns:
    """The outcome of :func:`train_cells`: the drawn cells and the batched training result
    (run r = cells[r])."""
    data: CellData
    result: TrainResult

    @property
    def X(self) -> list:
        return self.data.X

    @property
    def y(self) -> list:
        return self.data.y

    @property
    def lp_status(self) -> np.ndarray | None:
        return self.data.lp_status


def _seed_key(cell: dict) -> dict:
    return {k: v for k, v in cell.items() if k != "trial"}


def draw_cells(cells: Sequence[dict], draw: Callable, *, base_seed: int, experiment: str,
               lp: Callable | None = None, shared: bool = False) -> CellData:
    """Draw every cell (``draw(cell)`` -> (X, y) or (X, y, X_test, y_test)), evaluate
    ``lp(X, y, cell)`` on each training set if given, derive the network seeds
    (:func:`network_seed`). ``shared``: every cell trains on the one data set of the first
    (drawn once; ``lp`` then gives one value)."""
    cells = [dict(c) for c in cells]
    if not cells:
        raise ValueError("train_cells needs at least one cell")
    draws = [draw(cells[0])] if shared else [draw(c) for c in cells]
    X, y = [dr[0] for dr in draws], [dr[1] for dr in draws]
    Xt = [dr[2] for dr in draws] if len(draws[0]) == 4 else None
    yt = [dr[3] for dr in draws] if len(draws[0]) == 4 else None
    lps = None if lp is None else [lp(a, b, c) for a, b, c in zip(X, y, cells)]
    seeds = [network_seed(base_seed, experiment, c["trial"], **_seed_key(c)) for c in cells]
    return CellData(cells, X, y, Xt, yt, lps, seeds, shared)


def train_drawn(data: CellData, recipe: dict, runtime: dict, *, name: str,
                **overrides) -> CellRuns:
    """Train the drawn cells in ONE batched call with the validated recipe and runtime;
    ``overrides``: TrainSpec settings a stage sets itself (e.g. arch and widths of a
    three-layer net, eval_epochs, input_dims, per-run lr, a job's device and checkpoints)."""
    kw = {**train_kwargs(recipe, runtime), **overrides}
    pick = (lambda v: v[0]) if data.shared else np.stack
    if data.X_test is not None:
        kw.update(X_test=pick(data.X_test), y_test=pick(data.y_test))
    res = train(pick(data.X), pick(data.y), seeds=data.seeds, name=name, **kw)
    return CellRuns(data, res)


def train_cells(cells: Sequence[dict], draw: Callable, recipe: dict, runtime: dict, *,
                base_seed: int, experiment: str, name: str, lp: Callable | None = None,
                shared: bool = False, **overrides) -> CellRuns:
    """Train one run per cell in one batched call (module docstring): :func:`draw_cells`
    then :func:`train_drawn` (a stage that needs the data before choosing a setting, e.g.
    the verdict's step size from the sharpness, calls the two itself)."""
    data = draw_cells(cells, draw, base_seed=base_seed, experiment=experiment, lp=lp,
                      shared=shared)
    return train_drawn(data, recipe, runtime, name=name, **overrides)
