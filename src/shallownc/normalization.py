"""The project's regularization convention and its hand-over to the trainer.

Convention (paper (2.1), the project normalization since 2026-12; ``upfm.NORMALIZATION``):

    R = (1/N) sum_i loss(f(x_i), y_i) + (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2.

Every config value ``lambda_W`` / ``lambda_H`` of the sections ``upfm``, ``generalization`` and
``paper`` means the paper's lambda, and :mod:`shallownc.training` minimizes (2.1) too
(``training.objective.NORMALIZATION``), so lambdas are handed over unchanged.
:func:`trainer_lambda_factor` keeps that a checked fact rather than an assumption: once per
process it evaluates the trainer's reported objective on one tiny float64 run against
:func:`shallownc.upfm.objective` at the same lambdas and raises if they disagree.
"""

from __future__ import annotations

import functools

import numpy as np

from .upfm import NORMALIZATION, objective

__all__ = ["NORMALIZATION", "trainer_lambda_factor", "trainer_lambdas", "trainer_mse_scale"]


@functools.lru_cache(maxsize=1)
def trainer_lambda_factor() -> float:
    """1.0 when shallownc.training minimizes (2.1) (checked numerically); raises otherwise.

    Probe: one float64 run (K = 2, N = 4, width 3, 2 epochs); the trainer's reported final
    objective is compared with both conventions evaluated here at its final weights.
    """
    from . import training

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4))
    y = np.array([0, 0, 1, 1])
    lw, lh = 0.3, 0.2
    r = training.train_two_layer(X, y, width=3, loss="ce", lambda_W=lw, lambda_H=lh, epochs=2,
                                 lr=0.01, seeds=[0], dtype="float64", n_eval=2)
    W1, W2 = np.asarray(r.W1[0], dtype=np.float64), np.asarray(r.W2[0], dtype=np.float64)
    H = np.maximum(W1 @ X, 0.0)
    reported = float(r.objective[0])
    expected = objective(W2, H, y, lw, lh, "ce")          # paper (2.1)
    if abs(expected - reported) <= 1e-9 * max(1.0, abs(reported)):
        return 1.0
    raise RuntimeError("shallownc.training's objective is not paper (2.1) "
                       f"(reported {reported!r}, (2.1) gives {expected!r})")


def trainer_lambdas(lambda_W: float, lambda_H: float) -> tuple[float, float]:
    """(lambda_W, lambda_H) in the paper's sense -> the values to pass to shallownc.training."""
    f = trainer_lambda_factor()
    return f * float(lambda_W), f * float(lambda_H)


@functools.lru_cache(maxsize=1)
def trainer_mse_scale() -> float:
    """c of the trainer's MSE loss c ||f(x) - e_y||^2 (paper (2.1): c = 1/2), read from the
    trainer itself rather than configured (issue 24): its data term at the output f = 0 of one
    sample is c ||e_y||^2 = c. The UPFM optimum F* of an MSE run must use this c
    (upfm.closed_form's mse_scale); any other value moves F* and the gap."""
    import torch

    from .training.objective import data_term

    zero = torch.zeros(1, 2, 1, dtype=torch.float64)        # (runs, K, N): one sample, K = 2
    return float(data_term(zero, torch.zeros(1, dtype=torch.long), "mse")[0])
