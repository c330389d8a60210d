"""The NC metrics of shallownc.metrics for R runs at once, in float64 torch (on any device).

Same formulas as shallownc.metrics (its docstring cites them: Papyan et al. 2020, paper
(3.2)-(3.3), docs/conventions.md), written on batched tensors so that an evaluation of a sweep is a
few batched products instead of R numpy calls (issue 16 item 2; on a GPU it stays on the
device). shallownc.metrics is the reference: tests/test_training_eval.py checks every value
against it. Shapes: H (R, p, N), Y one-hot (R, K, N) or (K, N), W (R, K, p), logits (R, K, N).
Undefined values are NaN exactly where shallownc.metrics returns NaN.
"""

from __future__ import annotations

import math

import torch

NAN = float("nan")


def one_hot(y: torch.Tensor, K: int) -> torch.Tensor:
    """(R, K, N) or (K, N) float64 indicator of the labels y (R, N) or (N,)."""
    return torch.nn.functional.one_hot(y, K).transpose(-1, -2).to(torch.float64)


def class_means(H: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Hbar (R, p, K): column k = mean of the samples of class k."""
    return (H @ Y.transpose(-1, -2)) / Y.sum(dim=-1).unsqueeze(-2)


def _fro(A: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(A, dim=(-2, -1))


def _gram_err(G: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||G/||G||_F - target||_F per run; NaN where ||G||_F is 0 or not finite."""
    n = _fro(G)
    ok = (n > 0) & torch.isfinite(n)
    err = _fro(G / torch.where(ok, n, 1.0)[:, None, None] - target)
    return torch.where(ok, err, NAN)


def _simplex(K: int, like: torch.Tensor) -> torch.Tensor:
    """C_K / sqrt(K-1), C_K = I - 11^T/K (paper (3.3))."""
    eye = torch.eye(K, dtype=like.dtype, device=like.device)
    return (eye - 1.0 / K) / math.sqrt(K - 1)


def nc1(H: torch.Tensor, Y: torch.Tensor, Hbar: torch.Tensor) -> tuple:
    """(NC1, Tr(Sigma_W)/Tr(Sigma_B)) per run (metrics.nc1, metrics.nc1_trace_ratio)."""
    R, p, K = Hbar.shape
    N = H.shape[-1]
    Cm = Hbar - Hbar.mean(dim=-1, keepdim=True)
    A = H - Hbar @ Y                                   # h_i - mu_{y_i}
    U, s, _ = torch.linalg.svd(Cm / math.sqrt(K), full_matrices=False)
    s0 = s[:, :1]
    tol = max(p, K) * torch.finfo(torch.float64).eps * s0
    keep = (s > tol) & (torch.arange(s.shape[1], device=s.device) < K - 1)
    defined = (s0[:, 0] > 0) & torch.isfinite(s0[:, 0]) & torch.isfinite(H).flatten(1).all(1)
    proj = ((A.transpose(-1, -2) @ U) ** 2).sum(dim=-2) / N          # (R, K)
    lam = torch.where(keep, s ** 2, 1.0)
    v = (torch.where(keep, proj / lam, 0.0)).sum(dim=-1) / K
    nc1_ = torch.where(defined & keep.any(dim=-1), v, NAN)
    tw = (A ** 2).sum(dim=(-2, -1)) / N
    tb = (Cm ** 2).sum(dim=(-2, -1)) / K
    return nc1_, torch.where(tb > 0, tw / torch.where(tb > 0, tb, 1.0), NAN)


def mean_geometry(Hbar: torch.Tensor) -> dict:
    """nc2_of, nc2_etf, equinorm, equiangular, nc2_h_paper of the class means."""
    R, p, K = Hbar.shape
    eye = torch.eye(K, dtype=Hbar.dtype, device=Hbar.device)
    Cm = Hbar - Hbar.mean(dim=-1, keepdim=True)
    nc2_of = _gram_err(Hbar.transpose(-1, -2) @ Hbar, eye / math.sqrt(K))
    norms = torch.linalg.vector_norm(Cm, dim=-2)                      # (R, K)
    m = norms.mean(dim=-1)
    equinorm = torch.where(m > 0, norms.std(dim=-1, correction=0) / torch.where(m > 0, m, 1.0),
                           NAN)
    nz = (norms > 0).all(dim=-1)
    safe = torch.where(norms > 0, norms, 1.0)
    cos = (Cm.transpose(-1, -2) @ Cm) / (safe[:, :, None] * safe[:, None, :])
    off = ~eye.bool()
    eqa = (cos + 1.0 / (K - 1)).abs()[:, off].mean(dim=-1)
    return {"nc2_of": nc2_of, "nc2_h_paper": nc2_of,
            "nc2_etf": _gram_err(Cm.transpose(-1, -2) @ Cm, _simplex(K, Hbar)),
            "equinorm": equinorm, "equiangular": torch.where(nz, eqa, NAN)}


def classifier(W: torch.Tensor, Hbar: torch.Tensor, loss: str) -> dict:
    """nc3 (metrics.nc3), nc0 (metrics.nc0), nc2_w_paper and nc3_paper (paper (3.3), paper
    W = our W^T)."""
    K = Hbar.shape[-1]
    M = Hbar - Hbar.mean(dim=-1, keepdim=True) if loss == "ce" else Hbar
    nw, nm = _fro(W), _fro(M)
    ok = (nw > 0) & (nm > 0) & torch.isfinite(nw) & torch.isfinite(nm)
    nc3 = _fro(W.transpose(-1, -2) / torch.where(ok, nw, 1.0)[:, None, None]
               - M / torch.where(ok, nm, 1.0)[:, None, None])
    target = _simplex(K, W)
    return {"nc3": torch.where(ok, nc3, NAN),
            "nc0": torch.linalg.vector_norm(W.sum(dim=-2), dim=-1),
            "nc2_w_paper": _gram_err(W @ W.transpose(-1, -2), target),
            "nc3_paper": _gram_err(W @ Hbar, target)}


def ncc_predict(H: torch.Tensor, Hbar: torch.Tensor) -> torch.Tensor:
    """argmin_k ||h_i - mu_k|| (R, N) (metrics.ncc_predict)."""
    d2 = (H ** 2).sum(dim=-2)[:, :, None] - 2 * H.transpose(-1, -2) @ Hbar \
        + (Hbar ** 2).sum(dim=-2)[:, None, :]
    return d2.argmin(dim=-1)


def predictions(logits: torch.Tensor, H: torch.Tensor, Hbar: torch.Tensor,
                y: torch.Tensor) -> dict:
    """nc4 (network vs nearest class mean), error and margin (metrics.nc4, error_rate, margin)."""
    pred = logits.argmax(dim=-2)                                      # (R, N)
    yy = y.expand(pred.shape)
    true = logits.gather(-2, yy[:, None, :])[:, 0]
    other = logits.scatter(-2, yy[:, None, :], -math.inf).amax(dim=-2)
    return {"nc4": (pred != ncc_predict(H, Hbar)).double().mean(dim=-1),
            "error": (pred != yy).double().mean(dim=-1),
            "margin": (true - other).amin(dim=-1)}


def all_metrics(H, y, W, logits, loss: str, K: int) -> tuple:
    """(every metric of metrics.all_metrics as name -> (R,) tensor, Hbar)."""
    Y = one_hot(y, K)
    Hbar = class_means(H, Y)
    out = dict(zip(("nc1", "nc1_trace"), nc1(H, Y, Hbar)))
    out.update(mean_geometry(Hbar))
    out.update(classifier(W, Hbar, loss))
    out.update(predictions(logits, H, Hbar, y))
    return out, Hbar


def test_metrics(logits_t, H_t, y_t, Hbar, K: int) -> dict:
    """test_error, nc4_test (against the training class means) and nc1_test."""
    Y_t = one_hot(y_t, K)
    pred = logits_t.argmax(dim=-2)
    return {"test_error": (pred != y_t.expand(pred.shape)).double().mean(dim=-1),
            "nc4_test": (pred != ncc_predict(H_t, Hbar)).double().mean(dim=-1),
            "nc1_test": nc1(H_t, Y_t, class_means(H_t, Y_t))[0]}
