"""Training the first layer in the span of the data (TrainSpec.data_span).

Derivation: reports/training.md §9, labels SP§1-SP§4 (cited below). Under activation
(feature) regularization (paper (2.1)) and without regularization, the objective of a net
f(x) = W_L relu(... relu(W_1 x)) (paper (2.4), (2.5)) depends on the first layer W_1 (p x d;
stored batched as (R, p, d), models.BatchedNet) only through the products W_1 x_i of the N
training inputs. Its gradient is therefore G X_b^T for a minibatch X_b, whose rows lie in
range(X) (SP§1). Take Q (d x r) with orthonormal columns and range(Q) ⊇ range(X) (a thin QR
of X, float64, r = N < d) and split W_1 = V Q^T + W_perp with V = W_1 Q (p x r) and
W_perp = W_1 (I - Q Q^T). Then, for SGD with heavy-ball momentum (an update linear in the
gradient, training.loop._update; SP§2, SP§3):
  * W_perp X = 0, so the network on the training data is V R with R = Q^T X (r x N): the
    loss, the feature term and every metric of the features are those of a first layer V
    on the r-dimensional inputs R;
  * the gradient wrt W_1 is (grad wrt V) Q^T, so W_perp receives none: W_perp and the
    W_perp part of the momentum buffer stay at W_perp(0) and 0 for the whole run;
  * the update of V is the update the same optimizer applies to a first layer V trained on
    R, with the same minibatches.
So training V on R from V(0) = W_1(0) Q and returning W_1 = V Q^T + W_1(0)(I - Q Q^T) is the
same computation as training W_1 on X (equal up to rounding; tests/test_training_span.py
compares the trajectories), at r/d of the first layer's cost. Test inputs x_t need
W_perp x_t, a constant: Q spans the training *and* test inputs, so r = min(d, N + N_test) and
the test features are exact as well.

Not exact, hence refused (SP§3) (:func:`unsupported`): weight decay (reg "weight_decay" shrinks
W_perp every step), Adam/AdamW (the coordinate-wise normalization of the update is not
equivariant under the rotation Q), a frozen first layer (nothing to train in its span).
When r = d the span is the whole input space and training runs in it unchanged
(:func:`basis` returns None; SP§4).
"""

from __future__ import annotations

import numpy as np
import torch


def unsupported(reg: str, optimizer: str, freeze_first: bool) -> str | None:
    """Why the span run would not equal the full run for these settings (module docstring),
    or None when it does."""
    if reg == "weight_decay":
        return ("weight decay shrinks the part of the first layer orthogonal to the data, "
                "which a span run holds fixed (use reg 'feature' or 'none')")
    if optimizer != "sgd":
        return (f"optimizer {optimizer!r} normalizes the update coordinate-wise, which does "
                "not commute with the change of basis (use optimizer 'sgd')")
    if freeze_first:
        return "the first layer is frozen: only a trained first layer is trained in the span"
    return None


def _stack(A: np.ndarray, B: np.ndarray | None) -> np.ndarray:
    """[A, B] along the samples, broadcasting a shared (d, n) array against per-run ones."""
    if B is None:
        return A
    if A.ndim != B.ndim:
        R = (A if A.ndim == 3 else B).shape[0]
        A, B = (np.broadcast_to(M, (R, *M.shape[-2:])) for M in (A, B))
    return np.concatenate([A, B], axis=-1)


def basis(X: np.ndarray, X_test: np.ndarray | None = None) -> np.ndarray | None:
    """Q with orthonormal columns whose range contains every training and test input
    (module docstring): (d, r) for shared inputs, (R, d, r) for per-run ones,
    r = N + N_test; None when r >= d (the span is the whole input space).

    A thin (Householder) QR of [X, X_test] in float64: A = Q T with Q^T Q = I, so
    range(A) ⊆ range(Q) even when A is rank deficient."""
    A = _stack(np.asarray(X, np.float64), None if X_test is None
               else np.asarray(X_test, np.float64))
    d, m = A.shape[-2:]
    if m >= d:
        return None
    Q, _ = np.linalg.qr(A, mode="reduced")
    return Q


def coordinates(Q: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Q^T X: the inputs in the basis Q, (r, N) or (R, r, N)."""
    return np.swapaxes(Q, -1, -2) @ np.asarray(X, np.float64)


def project(W1: torch.Tensor, Q: np.ndarray) -> torch.Tensor:
    """V = W_1 Q (R, p, r) in W_1's dtype, computed in float64 (module docstring)."""
    Qt = torch.as_tensor(Q, dtype=torch.float64, device=W1.device)
    return torch.matmul(W1.detach().to(torch.float64), Qt).to(W1.dtype)


def lift(V: torch.Tensor, W1_0: torch.Tensor, Q: np.ndarray) -> torch.Tensor:
    """W_1 = V Q^T + W_1(0)(I - Q Q^T) = W_1(0) + (V - W_1(0) Q) Q^T, float64 (R, p, d): the
    first layer of the full run (module docstring)."""
    Qt = torch.as_tensor(Q, dtype=torch.float64, device=V.device)
    W0 = W1_0.detach().to(torch.float64)
    return W0 + torch.matmul(V.detach().to(torch.float64) - torch.matmul(W0, Qt),
                             Qt.transpose(-1, -2))
