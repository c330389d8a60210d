"""Benchmark: a batched sweep vs the same runs one at a time, on one device.

Not a pipeline rule; run by hand on a GPU machine (issue 4, "GPU"):
    .venv/bin/python workflow/scripts/train_benchmark.py --runs 256 --epochs 2000
Prints steps/s of the batched sweep, of single runs, and the speed-up per run-step.
"""
import argparse
import time

import numpy as np
import torch

from shallownc.data import GMMSpec
from shallownc.training import resolve_device, train_two_layer

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--runs", type=int, default=256)
ap.add_argument("--single", type=int, default=2, help="runs timed one at a time")
ap.add_argument("--epochs", type=int, default=2000)
ap.add_argument("--n", type=int, default=150, help="samples per class (K = 2)")
ap.add_argument("--d", type=int, default=100)
ap.add_argument("--width", type=int, default=500)
ap.add_argument("--device", default="auto")
ap.add_argument("--dtype", default="float32")
a = ap.parse_args()
device = resolve_device(a.device)
X, y, _, _ = GMMSpec("antipodal", 2, a.n, a.d, 0.3).draw(0, 0)
kw = dict(width=a.width, epochs=a.epochs, lr=0.5, lambda_W=1e-2, lambda_H=1e-3 / a.n,
          device=device, dtype=a.dtype, eval_epochs=[], log_every_s=1e9)
train_two_layer(X, y, seeds=range(2), **{**kw, "epochs": 20})  # warm-up (CUDA context)
t0 = time.perf_counter()
res = train_two_layer(X, y, seeds=range(a.runs), **kw)
if device.startswith("cuda"):
    torch.cuda.synchronize()
t_batch = time.perf_counter() - t0
t_single = []
for s in range(a.single):
    t0 = time.perf_counter()
    train_two_layer(X, y, seeds=(s,), **kw)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t_single.append(time.perf_counter() - t0)
ts = float(np.mean(t_single))
print(f"device {device} ({torch.cuda.get_device_name(0) if device.startswith('cuda') else 'cpu'})"
      f", N={2 * a.n} d={a.d} p={a.width} {a.dtype}, {a.epochs} full-batch steps")
print(f"batched {a.runs} runs: {a.epochs / t_batch:.1f} steps/s, "
      f"{1e6 * t_batch / (a.epochs * a.runs):.2f} us per run-step")
print(f"one run at a time: {a.epochs / ts:.1f} steps/s, {1e6 * ts / a.epochs:.2f} us per run-step")
print(f"speed-up of batching per run-step: {ts * a.runs / t_batch:.1f}x; "
      f"diverged {int(res.diverged.sum())}/{a.runs}")
