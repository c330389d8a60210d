"""The objective (2.1) of the paper, defined once for the trainer, the UPFM and the verdict.

Paper (2.1), the project normalization (reports/upfm.md D§1, reports/training.md §1):

    F(W, H) = (1/N) sum_i loss(W h_i, y_i) + (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2,

W the K x p classifier (logits W h), H the p x N features of the whole training set (for a
network H = relu(W1 X): F_net(W1, W2) = F(W2, relu(W1 X)), V§1). Losses:

* ``ce``:  loss(z, y) = log sum_j exp(z_j) - z_y;
* ``mse``: loss(z, y) = c ||z - e_y||^2; the trainer's c is :data:`MSE_SCALE` = 1/2 (paper
  (2.7): (1/2N) ||W^T H - Y||_F^2, whose gradient is the plain residual); the UPFM functions take
  c as ``mse_scale`` (default :data:`MSE_SCALE`).

This module is the numpy (float64) definition; the batched torch implementation the trainer
steps with is :mod:`shallownc.training.objective`, which imports its constants from here, and
tests/test_objective.py checks that both give the same number at the same weights (for both
losses; this replaced a toy training run at run time, normalization.trainer_lambda_factor).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, softmax

LOSSES = ("ce", "mse")
#: regularizers of the trainer (training.objective): the paper's activation (feature)
#: regularization (2.1), weight decay on every trained weight matrix, none
REGS = ("feature", "weight_decay", "none")
#: c of the trainer's MSE loss c ||f - e_y||^2 (paper (2.7): 1/2)
MSE_SCALE = 0.5
#: The regularization convention of every objective of the project (paper (2.1)); written as
#: the ``normalization`` attribute of NetCDF files. Until 2026-12 the project used
#: lambda ||.||^2 without the 1/2 (old lambda = paper lambda / 2).
NORMALIZATION = "paper (2.1): (1/N) sum_i loss + (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2"


def check_loss_reg(loss: str, reg: str) -> None:
    """Raise a ValueError naming the allowed values when ``loss`` or ``reg`` is unknown."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if reg not in REGS:
        raise ValueError(f"reg must be one of {REGS}, got {reg!r}")


def onehot(y: np.ndarray, K: int) -> np.ndarray:
    """K x N one-hot matrix Y (Y[k, i] = 1 iff y_i = k)."""
    y = np.asarray(y, dtype=np.int64)
    Y = np.zeros((K, y.size))
    Y[y, np.arange(y.size)] = 1.0
    return Y


def loss_terms(Z: np.ndarray, y: np.ndarray, loss: str, mse_scale: float = MSE_SCALE):
    """Per-sample losses (N,) and per-sample gradients G = d loss / d z_i (K x N).

    CE: loss = logsumexp(z) - z_y, gradient softmax(z) - e_y.
    MSE: loss = c ||z - e_y||^2, gradient 2 c (z - e_y).
    """
    Z = np.asarray(Z, dtype=np.float64)
    K = Z.shape[0]
    Y = onehot(y, K)
    if loss == "ce":
        ell = logsumexp(Z, axis=0) - (Z * Y).sum(axis=0)
        G = softmax(Z, axis=0) - Y
    elif loss == "mse":
        R = Z - Y
        ell = mse_scale * (R ** 2).sum(axis=0)
        G = 2.0 * mse_scale * R
    else:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return ell, G


def objective(W, H, y, lam_W: float, lam_H: float, loss: str,
              mse_scale: float = MSE_SCALE) -> float:
    """F(W, H) of the module docstring, paper (2.1) (float64)."""
    W = np.asarray(W, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    ell, _ = loss_terms(W @ H, y, loss, mse_scale)
    return float(ell.mean() + 0.5 * lam_W * (W ** 2).sum() + 0.5 * lam_H * (H ** 2).sum())
