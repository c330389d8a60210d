"""The trainer's MSE scale, read from the trainer (issue 24).

The objective itself (paper (2.1)) and its normalization are defined once in
:mod:`shallownc.objective`; the trainer's torch implementation is checked equal to it by a
unit test (tests/test_objective.py), so lambdas are handed to the trainer unchanged. (This
module's former run-time probe, a toy training in every process, is gone: issue 20.)
"""

from __future__ import annotations

import functools

from .objective import NORMALIZATION

__all__ = ["NORMALIZATION", "trainer_mse_scale"]


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
