"""Batched shallow ReLU networks: R independent runs in one tensor program (docs/science.md §1, §6).

Two-layer  f(x) = W2 relu(W1 x [+ b1]) [+ b2],            features H = relu(W1 X) (p x N);
three-layer f(x) = W3 relu(W2 relu(W1 x)) (biases optional), features = last hidden layer.

Parameters of R runs are stacked on a leading run axis: W_l has shape (R, out, in), b_l
(R, out, 1). The input is shared, X (d, N), or per run, X (R, d, N); a forward pass is one
batched matmul per layer (``torch.matmul`` broadcasts (R, out, in) @ (d, N) to a bmm), so a
GPU trains hundreds of runs at the cost of a few (docs/conventions.md, "Training cost").

Initialization (per run, independent of the other runs in the batch): W_l[r] has i.i.d.
N(0, (init_scale_r)^2 / fan_in) entries drawn from ``torch.Generator().manual_seed(seed_r)``
on the CPU in layer order, so run r gets the same weights whichever batch it is trained in
and on whichever device. init_scale = 1 is LeCun-normal; sqrt(2) is He (Kaiming) scaling.
Biases start at zero.

Frozen first layer (``freeze_first``; paper (2.5), Theorem 6 and Figure 6): W_1 has i.i.d.
N(0, 1/d1) entries, d1 = width of the first hidden layer (the paper's W1 in R^{d x d1} with
N(0, 1/d1) entries), drawn from the same per-run generator in the same order; it is never
trained and never regularized (training.loop applies it once, before the trained layers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

ARCHS = {"two_layer": 1, "three_layer": 2}  # number of hidden layers


def layer_shapes(arch: str, d: int, K: int, widths) -> list[tuple[int, int]]:
    """(out, in) of every weight matrix; ``widths`` = (p,) or (d1, p)."""
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; allowed: {sorted(ARCHS)}")
    widths = tuple(int(w) for w in np.atleast_1d(widths))
    if len(widths) != ARCHS[arch]:
        raise ValueError(f"{arch} needs {ARCHS[arch]} hidden width(s), got {widths}")
    if min(widths) < 1 or d < 1 or K < 2:
        raise ValueError(f"widths, d must be >= 1 and K >= 2 (widths={widths}, d={d}, K={K})")
    dims = (d, *widths, K)
    return [(dims[i + 1], dims[i]) for i in range(len(dims) - 1)]


@dataclass
class BatchedNet:
    """Parameters of R runs of one architecture (lists ordered from input to output)."""
    weights: list
    biases: list  # None entries when bias=False

    @property
    def R(self) -> int:
        return self.weights[0].shape[0]

    def parameters(self) -> list:
        return [*self.weights, *[b for b in self.biases if b is not None]]

    def forward(self, X: torch.Tensor):
        """(logits (R, K, N), features (R, p, N)) for X (d, N) or (R, d, N)."""
        h = X
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            z = torch.matmul(W, h)
            h = torch.relu(z if b is None else z + b)
        out = torch.matmul(self.weights[-1], h)
        if self.biases[-1] is not None:
            out = out + self.biases[-1]
        return out, h

    def to(self, device=None, dtype=None) -> "BatchedNet":
        return BatchedNet([w.to(device=device, dtype=dtype) for w in self.weights],
                          [None if b is None else b.to(device=device, dtype=dtype)
                           for b in self.biases])

    def detach(self) -> "BatchedNet":
        return BatchedNet([w.detach() for w in self.weights],
                          [None if b is None else b.detach() for b in self.biases])

    def runs(self, c0: int, c1: int) -> "BatchedNet":
        """Runs c0..c1-1 (a view sharing storage with self)."""
        return BatchedNet([w[c0:c1] for w in self.weights],
                          [None if b is None else b[c0:c1] for b in self.biases])

    def layers(self, first: int) -> "BatchedNet":
        """The net from weight matrix ``first`` on (a view): the trained part when the first
        ``first`` layers are frozen; its input is the frozen layers' output."""
        return BatchedNet(self.weights[first:], self.biases[first:])

    def hidden(self, X: torch.Tensor, n_layers: int) -> torch.Tensor:
        """relu(... relu(W_1 X + b_1) ...) after the first ``n_layers`` layers (R, width, N)."""
        h = X
        for W, b in zip(self.weights[:n_layers], self.biases[:n_layers]):
            z = torch.matmul(W, h)
            h = torch.relu(z if b is None else z + b)
        return h


def init_net(arch: str, d: int, K: int, widths, seeds, init_scale=1.0, bias: bool = False,
             dtype=torch.float32, device="cpu", freeze_first: bool = False,
             input_dims=None) -> BatchedNet:
    """Initial parameters of len(seeds) runs (module docstring); init_scale scalar or (R,).

    freeze_first: W_1 ~ N(0, 1/d1) (paper Theorem 6), not scaled by init_scale, and W_1 (and
    b_1) do not require gradients.
    input_dims: per-run input dimensions d_r <= d (runs of several d batched in one program,
    inputs zero-padded to d): W_1[r] is drawn exactly as for a d_r-dimensional input (same
    generator stream, fan_in d_r) into its first d_r columns, the other columns are zero. With
    zero-padded inputs the padded columns get zero gradient and stay zero, so the run follows
    its unpadded trajectory (up to rounding).
    """
    shapes = layer_shapes(arch, d, K, widths)
    seeds = [int(s) for s in seeds]
    R = len(seeds)
    scale = np.broadcast_to(np.asarray(init_scale, dtype=np.float64), (R,))
    weights = [torch.empty((R, o, i), dtype=torch.float64) for o, i in shapes]
    if freeze_first and len(shapes) < 2:
        raise ValueError("freeze_first needs at least one trained layer after the first")
    dims = [d] * R if input_dims is None else [int(x) for x in input_dims]
    if len(dims) != R or min(dims) < 1 or max(dims) > d:
        raise ValueError(f"input_dims must give one dimension in 1..{d} per run, got {dims}")
    for r, s in enumerate(seeds):
        g = torch.Generator().manual_seed(s % (2 ** 64))
        for l, (W, (o, i)) in enumerate(zip(weights, shapes)):
            i = dims[r] if l == 0 else i
            std = 1.0 / np.sqrt(o) if (freeze_first and l == 0) else scale[r] / np.sqrt(i)
            if i < W.shape[2]:
                W[r] = 0.0
            W[r, :, :i] = torch.randn((o, i), generator=g, dtype=torch.float64) * std
    biases = [torch.zeros((R, o, 1), dtype=torch.float64) if bias else None for o, _ in shapes]
    net = BatchedNet(weights, biases).to(device=device, dtype=dtype)
    for p in net.layers(int(freeze_first)).parameters():
        p.requires_grad_(True)
    return net
