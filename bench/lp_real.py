"""Benchmark — the class LPs of the paper's Figure 6 features at real-data scale (issue 22).

    .venv/bin/python bench/lp_real.py                       # N = 1000, 2000, 5000
    .venv/bin/python bench/lp_real.py --N 5000 --scipy-classes 0 1 --scipy-time-limit 300

Instances: Fashion-MNIST (shallownc.fashion_mnist.balanced_unit: N/10 images per class of the
training split, seeded, standardized, unit norm), a frozen Gaussian first layer W1 (784 x d1,
i.i.d. N(0, 1/d1)) and the features H = relu(W1^T X) at d1 = ``--ratio`` N (default 0.5: Figure
6's smallest width, d1 = 2500 at N = 5000). For every class k the class LP
H_k^T w = 1, H_j^T w <= 0 (paper (2.12)).

Ours: ``shallownc.feasibility.solve_classes(H, y, separability=False)`` with the schema's solver
defaults -- all ten class LPs, every verdict a proof (verified w, or exact Farkas certificate).
Previous engine (``--old-max-N``): the same call with the shared-Gram path switched off (the
per-class active set / NNLS / LP path that decided these LPs before issue 22).
Baseline: ``scipy.optimize.linprog(method="highs")`` with default options (presolve on, no
verification) on the classes ``--scipy-classes`` (default: all at N <= 2000, classes 0 and 1
above), each with ``time_limit`` = ``--scipy-time-limit`` s (reported as "time limit").
Verdicts are compared class by class; wall and CPU seconds and the machine's load are printed.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, machine  # noqa: E402

from shallownc import config as C  # noqa: E402
from shallownc import data as D  # noqa: E402
from shallownc import fashion_mnist as FM  # noqa: E402
from shallownc import feasibility as F  # noqa: E402

SCIPY_STATUS = {0: "feasible", 2: "infeasible", 1: "time limit"}


def instance(path, N: int, ratio: float, seed: int):
    """(H, y, d1) of the module docstring."""
    X, y = FM.balanced_unit(path, N // 10, D.cell_seed(seed, 0, purpose="lp_real", N=N))
    d1 = int(round(ratio * X.shape[1]))
    W1 = np.random.default_rng(D.cell_seed(seed, 0, purpose="lp_real_W1", N=N, d1=d1))
    W1 = W1.standard_normal((X.shape[0], d1)) / np.sqrt(d1)
    return np.maximum(W1.T @ X, 0.0), y, d1


def scipy_class(H, y, k, time_limit):
    from scipy.optimize import linprog

    own = y == k
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Timer() as t:
            r = linprog(np.zeros(H.shape[0]), A_ub=H[:, ~own].T, b_ub=np.zeros((~own).sum()),
                        A_eq=H[:, own].T, b_eq=np.ones(own.sum()), bounds=(None, None),
                        method="highs", options={"time_limit": float(time_limit)})
    return SCIPY_STATUS.get(r.status, f"status {r.status}"), t


def ours(H, y, opts, gram: bool):
    saved = F.GRAM_MIN_SAMPLES
    if not gram:
        F.GRAM_MIN_SAMPLES = 10 ** 12
    try:
        with Timer() as t:
            nc, _ = F.solve_classes(H, y, opts, separability=False)
    finally:
        F.GRAM_MIN_SAMPLES = saved
    return nc, t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--N", type=int, nargs="+", default=[1000, 2000, 5000])
    ap.add_argument("--ratio", type=float, default=0.5, help="d1 / N")
    ap.add_argument("--seed", type=int, default=20240903)
    ap.add_argument("--scipy-classes", type=int, nargs="*", default=None)
    ap.add_argument("--scipy-time-limit", type=float, default=300.0)
    ap.add_argument("--old-max-N", type=int, default=2000,
                    help="also time the previous engine up to this N")
    args = ap.parse_args(argv)
    cfg = C.validate({})
    path = cfg["data"]["fashion_mnist"]["path"]
    if not FM.available(path):
        print(f"Fashion-MNIST not found at {path}: apt-get install {FM.PACKAGE}")
        return 2
    opts = F.SolverOptions.from_config(cfg["solver"])
    print(f"machine: {machine()}")
    for N in args.N:
        H, y, d1 = instance(path, N, args.ratio, args.seed)
        print(f"\nN = {N}, d1 = {d1} (Fashion-MNIST, n = {N // 10} per class, K = 10)")
        nc, t = ours(H, y, opts, gram=True)
        proofs = all(v.status in F.DECISIVE for v in nc)
        print(f"  ours, 10 class LPs: {t.s:7.1f} s wall, {t.cpu:7.1f} s CPU; verdicts "
              f"{[v.name for v in nc]} ({'all proofs' if proofs else 'NOT all proofs'}); "
              f"methods {sorted({v.method for v in nc})}")
        if N <= args.old_max_N:
            old, to = ours(H, y, opts, gram=False)
            same = [a.status for a in old] == [b.status for b in nc]
            print(f"  previous engine:    {to.s:7.1f} s wall, {to.cpu:7.1f} s CPU; verdicts "
                  f"{'agree' if same else 'DISAGREE'}; methods {sorted({v.method for v in old})}")
        classes = args.scipy_classes
        if classes is None:
            classes = list(range(10)) if N <= 2000 else [0, 1]
        tot_s = tot_ours = 0.0
        for k in classes:
            st, ts = scipy_class(H, y, k, args.scipy_time_limit)
            agree = ("agree" if st == nc[k].name else "DIFFER" if st in ("feasible", "infeasible")
                     else "scipy: no verdict")
            print(f"  class {k}: scipy linprog {ts.s:7.1f} s -> {st:10s} | ours "
                  f"{nc[k].solve_time:6.2f} s -> {nc[k].name} ({nc[k].method}) {agree}")
            tot_s += ts.s
            tot_ours += nc[k].solve_time
        if classes:
            print(f"  same {len(classes)} classes: scipy {tot_s:.1f} s, ours {tot_ours:.1f} s "
                  f"({tot_s / max(tot_ours, 1e-9):.1f}x); load now {machine().split('load avg ')[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
