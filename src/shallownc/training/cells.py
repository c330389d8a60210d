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
class CellRuns:
    """The outcome of :func:`train_cells`: the cells, their data, LP statuses, seeds and the
    batched training result (run r = cells[r])."""
    cells: list
    X: list
    y: list
    lp_status: np.ndarray | None
    seeds: list
    result: TrainResult


def _seed_key(cell: dict) -> dict:
    return {k: v for k, v in cell.items() if k != "trial"}


def train_cells(cells: Sequence[dict], draw: Callable, recipe: dict, runtime: dict, *,
                base_seed: int, experiment: str, name: str, lp: Callable | None = None,
                shared: bool = False, **overrides) -> CellRuns:
    """Train one run per cell in one batched call (module docstring).

    ``draw(cell)`` returns (X, y) or (X, y, X_test, y_test) of the cell (d x N, labels 0..K-1).
    ``lp(X, y, cell)`` (optional) gives the class-LP status of each training set. ``shared``: every
    cell trains on the same data set (drawn once, passed unbatched: the trainer's shared-data
    path). ``overrides``: TrainSpec settings a stage sets itself (e.g. arch and widths of a
    three-layer net, eval_epochs, input_dims, a job's device and checkpoint folder).
    """
    cells = [dict(c) for c in cells]
    if not cells:
        raise ValueError("train_cells needs at least one cell")
    draws = [draw(cells[0])] if shared else [draw(c) for c in cells]
    X = [dr[0] for dr in draws]
    y = [dr[1] for dr in draws]
    with_test = len(draws[0]) == 4
    lps = None if lp is None else np.asarray([lp(a, b, c) for a, b, c in zip(X, y, cells)],
                                             dtype=np.int8)
    seeds = [network_seed(base_seed, experiment, c["trial"], **_seed_key(c)) for c in cells]
    kw = {**train_kwargs(recipe, runtime), **overrides}
    if with_test:
        Xt, yt = [dr[2] for dr in draws], [dr[3] for dr in draws]
        kw.update(X_test=Xt[0] if shared else np.stack(Xt),
                  y_test=yt[0] if shared else np.stack(yt))
    data = (X[0], y[0]) if shared else (np.stack(X), np.stack(y))
    res = train(*data, seeds=seeds, name=name, **kw)
    return CellRuns(cells, X, y, lps, seeds, res)
