"""Benchmark 2 — training sweep: the batched trainer vs a plain per-run PyTorch loop.

    .venv/bin/python bench/training.py                      # both cases, CPU
    .venv/bin/python bench/training.py --device cuda --steps-small 2000 --steps-large 500

Work: R = 64 two-layer runs f = W2 relu(W1 x) (science.md §1: feature-regularized CE,
lambda_W = lambda_H = 5e-3, full-batch gradient descent, float32), on a K-class orthogonal
Gaussian mixture (sigma = 0.1), in two sizes:
  small  K = 3,  n = 100, d = 100, width 500
  large  K = 10, n = 100, d = 200, width 1000
Each run has its own initialization seed; all runs see the same data.

Baseline: the loop a researcher writes — for each run, two tensors with requires_grad, the
objective, ``loss.backward()``, ``torch.optim.SGD`` step; one run after the other, torch's
default thread count.
Ours: ``shallownc.training.train_two_layer`` (a) with all 64 seeds at once (one batched
model), (b) called on chunks of ``--chunk`` seeds one after the other (the batch stays in
cache), (c) split over ``--procs`` worker processes with one torch thread each.
The trainer also evaluates NC metrics in float64 at epoch 0 and at the end (the final one
inside its timed loop); the "marginal" line removes both by subtracting a 1-step call.
Printed: run-steps per second
(runs x steps / seconds) and the ratio to the baseline, by wall time and by CPU time.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, machine  # noqa: E402

CASES = {"small": dict(K=3, n=100, d=100, width=500),
         "large": dict(K=10, n=100, d=200, width=1000)}
LAM_W = LAM_H = 5e-3
LR = 0.1


def make_data(K, n, d, seed=20240903):
    from shallownc import data as D

    X, y, _, _ = D.GMMSpec("orthogonal", K, n, d, 0.1).draw(seed, 0)
    return X.astype(np.float32), y


def plain_loop(X, y, width, steps, runs, device="cpu"):
    """The per-run baseline: one model per run, autograd + torch.optim.SGD."""
    import torch
    import torch.nn.functional as Fn

    Xt = torch.as_tensor(X, device=device)
    yt = torch.as_tensor(y, device=device)
    d, K = X.shape[0], int(y.max()) + 1
    for r in range(runs):
        g = torch.Generator().manual_seed(r)
        W1 = (torch.randn(width, d, generator=g) / math.sqrt(d)).to(device).requires_grad_()
        W2 = (torch.randn(K, width, generator=g) / math.sqrt(width)).to(device).requires_grad_()
        opt = torch.optim.SGD([W1, W2], lr=LR)
        for _ in range(steps):
            H = torch.relu(W1 @ Xt)
            out = W2 @ H
            loss = Fn.cross_entropy(out.T, yt) + LAM_W * (W2 ** 2).sum() \
                + LAM_H * (H ** 2).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return float(loss.detach())


def batched(X, y, width, steps, seeds, device="cpu", threads=None):
    """Our batched trainer on the given seeds; returns (loop steps/s, final objectives)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    from shallownc.training import train_two_layer

    res = train_two_layer(X, y, width=width, loss="ce", reg="feature", lambda_W=LAM_W,
                          lambda_H=LAM_H, epochs=steps, lr=LR, seeds=list(seeds),
                          device=device, dtype="float32", eval_epochs=[], n_eval=2,
                          check_every=max(steps, 1), log_every_s=1e9)
    return res.steps_per_s, res.objective


def batched_procs(X, y, width, steps, runs, procs):
    """The batched trainer split over ``procs`` processes, one torch thread each."""
    chunks = [c.tolist() for c in np.array_split(np.arange(runs), procs)]
    with ProcessPoolExecutor(procs) as ex:
        futs = [ex.submit(batched, X, y, width, steps, c, "cpu", 1) for c in chunks]
        out = [f.result() for f in futs]
    return out


def bench_case(name, steps, runs, procs, device, chunk=16):
    import torch

    c = CASES[name]
    X, y = make_data(c["K"], c["n"], c["d"])
    w = c["width"]
    N = c["K"] * c["n"]
    # matmul flops of one step, per run: first layer forward + weight gradient (X needs no
    # gradient) 2 x 2pdN; second layer forward, weight and input gradient 3 x 2KpN
    flops_step = 4 * w * c["d"] * N + 6 * c["K"] * w * N
    batched(X, y, w, 2, range(2), device)          # warm-up: imports, allocator
    plain_loop(X, y, w, 2, 1, device)
    work = runs * steps
    print(f"\n[{name}] K={c['K']} n={c['n']} d={c['d']} width={w}: {runs} runs x {steps} "
          f"steps on {device} (torch threads {torch.get_num_threads()})")
    with Timer() as tb:
        plain_loop(X, y, w, steps, runs, device)
    base = work / tb.s
    print(f"  baseline per-run loop        : {tb.s:7.2f} s wall {tb.cpu:7.2f} s CPU "
          f"{base:9.0f} run-steps/s  ({base * flops_step / 1e9:.1f} GFLOP/s)")
    with Timer() as t1:
        rate, obj = batched(X, y, w, steps, range(runs), device)
    print(f"  batched trainer, 1 process   : {t1.s:7.2f} s wall {t1.cpu:7.2f} s CPU "
          f"{work / t1.s:9.0f} run-steps/s -> {tb.s / t1.s:5.2f}x wall, "
          f"{tb.cpu / t1.cpu:5.2f}x CPU;  loop only {rate * runs:9.0f} run-steps/s -> "
          f"{rate * runs / base:5.2f}x  ({rate * runs * flops_step / 1e9:.1f} GFLOP/s)")
    if not np.isfinite(obj).all():
        print("  WARNING: non-finite objectives in the batched run")
    with Timer() as t0:   # same call with 1 step: set-up + the two NC evaluations + 1 step
        batched(X, y, w, 1, range(runs), device)
    marg = runs * (steps - 1) / max(t1.s - t0.s, 1e-9)
    print(f"  batched trainer, marginal    : (wall(steps) - wall(1 step)) / (steps - 1): "
          f"{marg:9.0f} run-steps/s -> {marg / base:5.2f}x  (evaluation and set-up excluded)")
    if chunk and chunk < runs:
        with Timer() as tc:
            rates = [batched(X, y, w, steps, range(i, min(runs, i + chunk)), device)[0]
                     for i in range(0, runs, chunk)]
        loop = work / sum(steps / r for r in rates)
        print(f"  batched trainer, {chunk} runs per call: {tc.s:7.2f} s wall {tc.cpu:7.2f} s CPU "
              f"{work / tc.s:9.0f} run-steps/s -> {tb.s / tc.s:5.2f}x wall, "
              f"{tb.cpu / tc.cpu:5.2f}x CPU;  loop only {loop:9.0f} run-steps/s -> "
              f"{loop / base:5.2f}x")
    if device == "cpu" and procs > 1:
        with Timer() as tp:
            out = batched_procs(X, y, w, steps, runs, procs)
        loop = sum(r * len(c) for (r, _), c in
                   zip(out, np.array_split(np.arange(runs), procs)))
        print(f"  batched trainer, {procs} processes: {tp.s:7.2f} s wall {tp.cpu:7.2f} s CPU "
              f"{work / tp.s:9.0f} run-steps/s -> {tb.s / tp.s:5.2f}x wall "
              f"(target >= 1.5x);  loop only {loop:9.0f} run-steps/s -> {loop / base:5.2f}x")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=64)
    ap.add_argument("--steps-small", type=int, default=100)
    ap.add_argument("--steps-large", type=int, default=10)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--chunk", type=int, default=16,
                    help="also time the trainer called on chunks of this many runs (0: off)")
    a = ap.parse_args(argv)
    import torch

    print(f"machine: {machine()}; torch {torch.__version__}; "
          f"CUDA available: {torch.cuda.is_available()}")
    if a.device.startswith("cuda") and torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name()}")
    bench_case("small", a.steps_small, a.runs, a.procs, a.device, a.chunk)
    bench_case("large", a.steps_large, a.runs, a.procs, a.device, a.chunk)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(len(os.sched_getaffinity(0))))
    sys.exit(main())
