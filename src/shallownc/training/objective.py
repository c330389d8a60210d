"""The training objective of one run and its hand-written gradient (paper (2.1)), in torch.

The definition is :mod:`shallownc.objective` (numpy, float64); this is its batched torch
implementation with the trainer's regularizer choices and minibatch scaling.

Objective of run r, in the paper's normalization (paper (2.1); reports/training.md §1):

    F_r = (1/N) sum_i loss(f(x_i), y_i) + reg_r,
    loss = cross-entropy  log sum_k exp f_k - f_y                       (loss="ce")
         | squared error  c ||f - e_y||^2, c = MSE_SCALE = 1/2          (loss="mse"; paper (2.7):
           (1/2N) ||W^T H - Y||_F^2)
    reg  = (lambda_W/2) ||W_last||_F^2 + (lambda_H/2) ||H||_F^2, H = last hidden layer on all N
           training samples (reg="feature", the paper's activation regularization; default)
         | (lambda_W/2) sum_l ||W_l||_F^2 over every trained weight matrix, biases and a frozen
           first layer excluded (reg="weight_decay", ordinary weight decay; lambda_H unused)
         | 0 (reg="none").
Mini-batches (h_scale): with a batch of B samples the data term is the batch mean and the
feature term is (lambda_H/2) (N/B) ||H_batch||_F^2, an unbiased estimate of the paper's
(lambda_H/2) ||H||_F^2 over the whole training set (E ||H_batch||^2 = (B/N) ||H||^2 for a batch
drawn without replacement); ``h_scale`` = N/B, 1 for full batch. The whole minibatch objective
is therefore an unbiased estimate of F_r. Metrics and the recorded objective always use the
full training set (h_scale = 1).

Before the switch to the paper's normalization the code used lambda ||.||^2 without the 1/2:
paper lambda = 2 x old lambda (the quick configs were converted, so they keep their meaning).
"""

from __future__ import annotations

import torch

from shallownc.models import BatchedNet

# The objective's definition (losses, regularizers, the MSE scale c, the normalization string):
# shallownc.objective, the numpy definition the UPFM and the verdict use; this module is its
# batched torch implementation (equality: tests/test_objective.py).
from shallownc.objective import (LOSSES, MSE_SCALE, NORMALIZATION, REGS,  # noqa: F401
                                 check_loss_reg)

#: d/dz of c ||z - Y||^2 is 2c (z - Y): 1 for the paper's c = 1/2 (the residual itself)
_TWO_C = 2.0 * MSE_SCALE


def data_term(logits: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """(1/N) sum_i loss(f(x_i), y_i) per run (R,), logits (R, K, N), y (N,) or (R, N)."""
    R, K, N = logits.shape
    yy = y.expand(R, N) if y.dim() == 1 else y
    if loss == "ce":
        return (torch.logsumexp(logits, dim=1) - logits.gather(1, yy[:, None, :])[:, 0]).mean(1)
    if loss == "mse":
        Y = torch.nn.functional.one_hot(yy, K).transpose(1, 2).to(logits.dtype)
        return MSE_SCALE * ((logits - Y) ** 2).sum(dim=1).mean(dim=1)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def objective(net: BatchedNet, X: torch.Tensor, y: torch.Tensor, *, loss: str, reg: str,
              lambda_W: torch.Tensor, lambda_H: torch.Tensor, h_scale: float = 1.0,
              forward=None, frozen: int = 0):
    """Per-run objective F_r (R,) and data term (R,) of the module docstring (paper (2.1)).

    X (d, N) or (R, d, N); y (N,) or (R, N) int64; lambda_* (R,); h_scale = N/B for a batch.
    forward: (logits, H) = net.forward(X) if already computed (X is then not used).
    frozen: number of leading weight matrices that are not trained (excluded from weight decay).
    """
    logits, H = net.forward(X) if forward is None else forward
    data = data_term(logits, y, loss)
    if reg == "feature":
        r = 0.5 * lambda_W * (net.weights[-1] ** 2).sum(dim=(1, 2)) \
            + 0.5 * lambda_H * h_scale * (H ** 2).sum(dim=(1, 2))
    elif reg == "weight_decay":
        r = 0.5 * lambda_W * sum((W ** 2).sum(dim=(1, 2)) for W in net.weights[frozen:])
    elif reg == "none":
        r = torch.zeros_like(data)
    else:
        raise ValueError(f"reg must be one of {REGS}, got {reg!r}")
    return data + r, data


def _forward_block(Ws, bs, Xb):
    """Hidden layers [x, h_1, ..., h_{L-1}] and the logits of one block of samples (in place)."""
    hs = [Xb]
    h = Xb
    for W, b in zip(Ws[:-1], bs[:-1]):
        z = _mm(W, h)
        if b is not None:
            z += b
        h = z.clamp_min_(0.0)
        hs.append(h)
    out = _mm(Ws[-1], h)
    if bs[-1] is not None:
        out += bs[-1]
    return hs, out


def _output_grad(out, Yb, loss):
    """(sum over the block of the data loss (R,), dloss/dlogits (R, K, nb)); overwrites out."""
    if loss == "ce":
        m = out.amax(dim=1, keepdim=True)
        e = (out - m).exp_()
        s = e.sum(dim=1, keepdim=True)
        lse = s.log() + m                                   # (R, 1, nb)
        return (lse[:, 0] - (out * Yb).sum(dim=1)).sum(dim=1), e.div_(s).sub_(Yb)
    g = out.sub_(Yb)
    data = MSE_SCALE * (g * g).sum(dim=(1, 2))
    return data, (g if _TWO_C == 1.0 else g.mul_(_TWO_C))


def _backward_block(Ws, bs, hs, g, gW, gb, c_H, grad_out=None):
    """Accumulate the weight/bias gradients of one block into gW, gb (chain rule, see
    :func:`objective_and_grad`); c_H (R,) is the feature-term coefficient or None;
    grad_out: buffers the first block's weight gradients are written into (or None)."""
    L = len(Ws)
    for l in range(L - 1, -1, -1):
        hin = hs[l]
        out = grad_out[l] if grad_out is not None and gW[l] is None else None
        gl = _mm(g, hin.transpose(-1, -2), out=out)
        gW[l] = gl if gW[l] is None else gW[l].add_(gl)
        if bs[l] is not None:
            gbl = g.sum(dim=-1, keepdim=True)
            gb[l] = gbl if gb[l] is None else gb[l].add_(gbl)
        if l > 0:
            if c_H is not None and l == L - 1:
                g = _mm(Ws[l].transpose(-1, -2), g, add=hin, beta=c_H)
            else:
                g = _mm(Ws[l].transpose(-1, -2), g)
            g = torch.ops.aten.threshold_backward(g, hin, 0.0)  # g * 1[h > 0]


def objective_and_grad(net: BatchedNet, X: torch.Tensor, Y: torch.Tensor, *, loss: str,
                       reg: str, lambda_W: torch.Tensor, lambda_H: torch.Tensor,
                       h_scale: float = 1.0, weight: torch.Tensor | None = None,
                       col_block: int | None = None, grad_out: list | None = None):
    """Per-run objective (R,) and the gradients of sum_r weight_r F_r, by hand (no autograd).

    Same objective as :func:`objective` (module docstring, paper (2.1)); ``Y`` is the one-hot
    label matrix (K, N) or (R, K, N) in the parameters' dtype, ``weight`` (R,) (default 1)
    masks frozen runs. Every weight of ``net`` is trained (a frozen first layer is applied
    before: training.loop). Back-propagation (chain rule through f = W_L h_{L-1} + b_L,
    h_l = relu(W_l h_{l-1} + b_l)):
        dF/df      = (softmax(f) - Y) / N  (ce)  |  (f - Y) / N  (mse)
        dF/dW_l    = G_l h_{l-1}^T  [+ lambda_W W_l: last layer (feature), all (weight_decay)]
        dF/db_l    = G_l 1
        dF/dh_{L-1} += lambda_H h_scale H        (feature regularization, H = h_{L-1})
        G_{l-1}    = (W_l^T G_l + ...) * 1[h_{l-1} > 0]   (relu'(z) = 1[z > 0], as in torch)
    Every term is a sum over the N samples, so with ``col_block`` the samples are processed in
    blocks of that many columns and the gradients summed (same result up to rounding).
    grad_out: one buffer per weight matrix, shaped like it, that receives its gradient (the
    returned tensors are then these buffers): on the CPU a fresh multi-MB gradient costs page
    faults on every step (mm into a new 512 x 1200 tensor 1.38 ms, into a reused one 1.10 ms;
    reports/performance.md §T), the same numbers either way.
    Returns (objective, data term, [grad W_1..W_L, grad b_1..b_L with bias]) under no_grad;
    tests/test_training_grad.py checks it against autograd of :func:`objective`.
    """
    check_loss_reg(loss, reg)
    Ws, bs = net.weights, net.biases
    L, R, N = len(Ws), Ws[0].shape[0], X.shape[-1]
    nb = N if not col_block else max(1, min(N, int(col_block)))
    w = torch.ones(R, dtype=Ws[0].dtype, device=Ws[0].device) if weight is None else weight
    c_H = h_scale * lambda_H * w if reg == "feature" else None
    gW, gb = [None] * L, [None] * L
    data_sum = torch.zeros(R, dtype=Ws[0].dtype, device=Ws[0].device)
    hsq = torch.zeros_like(data_sum)
    with torch.no_grad():
        for c0 in range(0, N, nb):
            hs, out = _forward_block(Ws, bs, X[..., c0:c0 + nb])
            part, g = _output_grad(out, Y[..., c0:c0 + nb], loss)
            data_sum += part
            g.mul_(w.view(R, 1, 1) / N)
            if reg == "feature":
                hsq += _sqnorm(hs[-1])
            _backward_block(Ws, bs, hs, g, gW, gb, c_H, grad_out)
        data = data_sum / N
        if reg == "feature":
            r = 0.5 * lambda_W * _sqnorm(Ws[-1]) + 0.5 * lambda_H * h_scale * hsq
        elif reg == "weight_decay":
            r = 0.5 * lambda_W * sum(_sqnorm(W) for W in Ws)
        else:
            r = torch.zeros_like(data)
        for l in range(L):
            if reg == "weight_decay" or (reg == "feature" and l == L - 1):
                gW[l].addcmul_((lambda_W * w).view(R, 1, 1), Ws[l])
    return data + r, data, [*gW, *[x for x in gb if x is not None]]


def _mm(A: torch.Tensor, B: torch.Tensor, add: torch.Tensor | None = None,
        beta: torch.Tensor | None = None, out: torch.Tensor | None = None) -> torch.Tensor:
    """Batched product A @ B [+ beta_r add_r], (R, a, b) @ (R, b, c) or (b, c) -> (R, a, c),
    into ``out`` when given (only without ``add``).

    One flattened GEMM when B is shared; otherwise one torch.mm (addmm) per run on the CPU:
    there the batched bmm of the thin K x p layers was 3-7x slower than a loop of mm calls, and
    addmm adds beta_r add_r inside the GEMM instead of an extra pass (bench/README.md).
    """
    if B.dim() == 2 or A.dim() == 2 or A.device.type != "cpu":
        if out is not None:
            return torch.matmul(A, B, out=out)
        out = torch.matmul(A, B)
        if add is not None:
            out.addcmul_(beta.view(-1, 1, 1), add)
        return out
    if out is None:
        out = torch.empty((A.shape[0], A.shape[1], B.shape[2]), dtype=A.dtype, device=A.device)
    if add is None:
        for r in range(A.shape[0]):
            torch.mm(A[r], B[r], out=out[r])
    else:
        for r, b in enumerate(beta.tolist()):
            torch.addmm(add[r], A[r], B[r], beta=b, out=out[r])
    return out


def _sqnorm(A: torch.Tensor) -> torch.Tensor:
    """||A[r]||_F^2 per run (R,), one pass without a temporary."""
    return torch.linalg.vector_norm(A, dim=(1, 2)).square()
