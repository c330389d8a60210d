"""Batched, resumable training of shallow ReLU networks with NC metrics over time.

The package, bottom up (no module imports one above it):
- :mod:`~shallownc.training.objective`: the objective in the paper's normalization (paper
  (2.1)) and its hand-written gradient;
- :mod:`~shallownc.training.spec`: the validated settings (TrainSpec), data, schedules;
- :mod:`~shallownc.training.state`: the training state and its checkpoints (keyed by
  everything that determines the trajectory, code version included);
- :mod:`~shallownc.training.evaluation`: the float64 NC evaluation and the trajectory Dataset;
- :mod:`~shallownc.training.loop`: the loop and :func:`train`;
- :mod:`~shallownc.training.experiments`: the pipeline's experiment drivers (the only module
  that uses shallownc.feasibility).
``from shallownc.training import X`` works for every public name below.
"""

from shallownc.training.evaluation import (COORD_ATTRS, TRAJ_ATTRS, TRAJ_VARS, describe,
                                           evaluate)
from shallownc.training.experiments import (draw_train_test, hparams,
                                            lp_status, run_dynamics, run_grid,
                                            run_padded_grid,
                                            run_regularization, run_three_layer)
from shallownc.training.loop import (TrainResult, cpu_run_chunk, train, train_three_layer,
                                     train_two_layer)
from shallownc.training.objective import (LOSSES, NORMALIZATION, REGS, objective,
                                          objective_and_grad)
from shallownc.training.spec import (SCHEDULES, TrainData, TrainSpec, log_epochs, lr_factor,
                                     resolve_device)
from shallownc.training.state import Checkpointer, TrainState, code_version

__all__ = ["COORD_ATTRS", "TRAJ_ATTRS", "TRAJ_VARS", "describe", "evaluate",
           "draw_train_test", "hparams", "lp_status", "run_dynamics",
           "run_grid", "run_padded_grid", "run_regularization", "run_three_layer", "TrainResult", "cpu_run_chunk",
           "train", "train_three_layer", "train_two_layer", "LOSSES", "NORMALIZATION", "REGS",
           "objective", "objective_and_grad", "SCHEDULES", "TrainData", "TrainSpec",
           "log_epochs", "lr_factor", "resolve_device", "Checkpointer", "TrainState",
           "code_version"]
