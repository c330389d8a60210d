"""Speed-up of training the first layer in the span of the data (TrainSpec.data_span).

    PYTHONPATH=src .venv/bin/python bench/training_span.py [--d 1200] [--n 300] [--epochs 200]

One Figure 3 cell of the paper (K = 2, mu_1 = -mu_2 = e_1, n = 300 per class so N = 600,
sigma 0.18, d = 1200 i.e. d/n = 4), the paper's recipe (CE, activation regularization (2.1)
lambda_W = 1e-3, lambda_H = 1e-6, plain minibatch SGD, lr 0.1 with the step schedule),
width 128, batch 100, trained for ``--epochs`` epochs twice in this process: in d-space
(baseline) and in the N-dimensional span of the data (training.span, reports/training.md §9).
Both runs use the pipeline's code path (training.train) with the same seeds; the script prints
the step time (training.TrainResult.extras: wall "step_s" and CPU "step_cpu_s" of the steps,
evaluations excluded; on a shared machine the CPU time is the robust one), the whole-call wall
time, the best of ``--repeats`` alternating repeats and their ratios and the agreement of the two final
objectives and first layers (the same computation up to rounding: in float32 the two runs
round differently, in float64 they agree to ~1e-15). Threads: ``--threads`` (default 1, as
the pipeline's training jobs).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=1200)
    ap.add_argument("--n", type=int, default=300, help="samples per class (N = 2n)")
    ap.add_argument("--sigma", type=float, default=0.18)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2, help="alternating repeats of each run")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from shallownc import training
    from shallownc.data import GMMSpec

    X, y, _M, _s = GMMSpec("antipodal", 2, a.n, a.d, a.sigma, 1.0).draw(0, 0)
    kw = dict(width=a.width, seeds=[7], epochs=a.epochs, batch_size=a.batch_size, lr=0.1,
              lr_schedule="step", lambda_W=1e-3, lambda_H=1e-6, dtype=a.dtype, n_eval=4,
              log_every_s=1e9)
    print(f"machine: {machine()}; torch {torch.__version__}, {a.threads} thread(s)")
    print(f"cell: d = {a.d}, N = {2 * a.n}, sigma = {a.sigma}, width {a.width}, batch "
          f"{a.batch_size}, {a.epochs} epochs ({a.epochs * (2 * a.n // a.batch_size)} steps), "
          f"{a.dtype}")
    best = {}
    res = {}
    for rep in range(a.repeats):
        for name, span in (("full d-space", False), ("span", True)):
            r = training.train_two_layer(X, y, data_span=span, **kw)
            t = np.array([r.extras["step_cpu_s"], r.extras["step_s"], r.wall_s])
            best[name] = np.minimum(best.get(name, t), t)
            res[name] = r
            print(f"  repeat {rep}: {name:13s} steps CPU {t[0]:7.2f} s, wall {t[1]:7.2f} s "
                  f"({r.steps_per_s:6.0f} steps/s)  call wall {t[2]:7.2f} s  "
                  f"span_dim {r.trajectory.attrs['span_dim']}")
    f, s = res["full d-space"], res["span"]
    bf, bs = best["full d-space"], best["span"]
    steps = a.epochs * (2 * a.n // a.batch_size)
    print(f"best of {a.repeats}: steps CPU full {bf[0]:.2f} s ({1e3 * bf[0] / steps:.3f} ms/step),"
          f" span {bs[0]:.2f} s ({1e3 * bs[0] / steps:.3f} ms/step) -> speed-up "
          f"{bf[0] / bs[0]:.2f}x; steps wall {bf[1] / bs[1]:.2f}x; whole call wall "
          f"{bf[2] / bs[2]:.2f}x")
    dW = np.linalg.norm(f.weights[0] - s.weights[0]) / np.linalg.norm(f.weights[0])
    dF = abs(f.objective[0] - s.objective[0]) / abs(f.objective[0])
    print(f"agreement: final objective rel. diff {dF:.2e}, first layer rel. diff {dW:.2e} "
          f"({a.dtype})")


if __name__ == "__main__":
    main()
