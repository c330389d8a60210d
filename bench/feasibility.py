"""Benchmark 1 — feasibility sweep: our verified engine vs the script a researcher would write.

    .venv/bin/python bench/feasibility.py                 # K=3 subset + K=10 projection
    .venv/bin/python bench/feasibility.py --trials 2 --k10-trials 0

Instances: the K = 3, n = 100 orthogonal phase-diagram grid of presets/paper.yaml (every d and
sigma of the preset; ``--trials`` trials per cell instead of the preset's 50: a fixed subset).
Each cell's data comes from shallownc.phase.draw_cell, so both sides solve identical LPs.

Baseline: for each class k, one ``scipy.optimize.linprog(method="highs")`` call with default
options on  X_k^T w = 1, X_j^T w <= 0, w free (docs/science.md §4), one process, nothing verified;
status 0 -> feasible, 2 -> infeasible, anything else -> undecided.

Ours: shallownc.phase.solve_cells (the code path of every pipeline job) with ``--workers``
processes; every verdict carries a verified certificate (shallownc.feasibility). Timed three
ways on the same cells: NC class LPs only with 1 process and with ``--workers`` processes (the
like-for-like comparison), and the pipeline's full work (NC + separability LPs).

The verdicts are compared class by class; a disagreement is printed with both answers, and
where scipy claimed "feasible" its x is checked with our verifier. The K = 10 projection times
``--k10-trials`` trial(s) of every (d, sigma) cell of the preset's k10_orthogonal grid (NC +
separability, ``--workers`` processes) and scales by preset trials / measured trials.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Timer, load_preset, machine  # noqa: E402

from shallownc import feasibility as F  # noqa: E402
from shallownc import phase  # noqa: E402

SCIPY_STATUS = {0: F.FEASIBLE, 2: F.INFEASIBLE}


def baseline_cell(grid, d, sigma, trial, seed):
    """What a researcher would write: one default linprog per class, answers trusted."""
    from scipy.optimize import linprog

    X, y, _, _ = phase.draw_cell(grid, d, sigma, trial, seed)
    out = []
    for k in range(grid.K):
        Xk, Xo = X[:, y == k], X[:, y != k]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = linprog(np.zeros(X.shape[0]), A_ub=Xo.T, b_ub=np.zeros(Xo.shape[1]),
                        A_eq=Xk.T, b_eq=np.ones(Xk.shape[1]), bounds=(None, None),
                        method="highs")
        out.append((SCIPY_STATUS.get(r.status, F.UNDECIDED), r.status, r.x))
    return out


def run_baseline(grid, cells, seed):
    """Baseline answers and the wall time of each cell."""
    out, times = [], []
    for d, s, t in cells:
        with Timer() as tc:
            out.append(baseline_cell(grid, d, s, t, seed))
        times.append(tc.s)
    return out, times


def compare(grid, cells, seed, base, ours, opts):
    """Count agreements; print each disagreement with what a verifier says about scipy's x."""
    agree, rows = 0, []
    for (d, s, t), b, (_, _, nc, _) in zip(cells, base, ours):
        for k in range(grid.K):
            if b[k][0] == nc[k].status:
                agree += 1
                continue
            note = ""
            if b[k][2] is not None:
                X, y, _, _ = phase.draw_cell(grid, d, s, t, seed)
                chk = F.verify_point(F.class_lp(X, y, k), b[k][2], opts, "scipy")
                note = (f"scipy x verifies: {chk.status == F.FEASIBLE} "
                        f"(eq {chk.eq_residual:.1e}, viol {chk.ineq_violation:.1e})")
            rows.append(f"  d={d} sigma={s} trial={t} class={k}: scipy status {b[k][1]} "
                        f"({F.STATUS_NAMES[b[k][0]]}), ours {nc[k].name} via {nc[k].method} "
                        f"{nc[k].reason} {note}")
    return agree, rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default=str(ROOT / "presets" / "paper.yaml"))
    ap.add_argument("--grid", default="k3_orthogonal")
    ap.add_argument("--trials", type=int, default=1, help="trials per (d, sigma) cell")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--k10-grid", default="k10_orthogonal")
    ap.add_argument("--k10-trials", type=int, default=1,
                    help="trials per K=10 cell to time for the projection (0: skip)")
    a = ap.parse_args(argv)

    cfg = load_preset(a.preset)
    grids = phase.grids_from_config(cfg)
    grid, seed = grids[a.grid], cfg["seed"]
    opts = F.SolverOptions.from_config(cfg["solver"])
    cells = [(d, s, t) for d in grid.d for s in grid.sigma for t in range(a.trials)]
    nlp = len(cells) * grid.K
    print(f"machine: {machine()}")
    print(f"grid {grid.name}: K={grid.K} n={grid.n} d={list(grid.d)} sigma={list(grid.sigma)}")
    print(f"subset: {a.trials} trial(s) per cell -> {len(cells)} cells, {nlp} class LPs "
          f"(preset: {grid.trials} trials, {len(grid.d) * len(grid.sigma) * grid.trials} cells)")

    with Timer() as tb:
        base, base_t = run_baseline(grid, cells, seed)
    print("                                                  wall s  ratio    CPU s  ratio")
    print(f"baseline  scipy linprog(highs) defaults, 1 proc : {tb.s:8.2f}         {tb.cpu:8.2f}"
          f"          ({tb.s / nlp * 1e3:.0f} ms wall per class LP)")
    with Timer() as t1:
        ours1 = phase.solve_cells(grid, cells, seed, opts, workers=1, separability=False)
    print(f"ours      NC class LPs, 1 process               : {t1.s:8.2f} {tb.s / t1.s:6.1f}x "
          f"{t1.cpu:8.2f} {tb.cpu / t1.cpu:6.1f}x")
    with Timer() as tw:
        oursw = phase.solve_cells(grid, cells, seed, opts, workers=a.workers,
                                  separability=False)
    print(f"ours      NC class LPs, {a.workers} processes             : {tw.s:8.2f} "
          f"{tb.s / tw.s:6.1f}x "
          f"{tw.cpu:8.2f} {tb.cpu / tw.cpu:6.1f}x  (target: wall >= 20x)")
    with Timer() as tp:
        ourp = phase.solve_cells(grid, cells, seed, opts, workers=a.workers)
    print(f"ours      NC + separability (pipeline), {a.workers} proc : {tp.s:8.2f} "
          f"{tb.s / tp.s:6.1f}x "
          f"{tp.cpu:8.2f} {tb.cpu / tp.cpu:6.1f}x")

    agree, rows = compare(grid, cells, seed, base, oursw, opts)
    same1 = all(x[2][k].status == y[2][k].status for x, y in zip(ours1, oursw)
                for k in range(grid.K))
    print(f"verdicts: {agree}/{nlp} class LPs identical to the baseline; "
          f"1-process and {a.workers}-process runs identical: {same1}")
    for r in rows:
        print(r)
    ours_st = Counter(v.name for _, _, nc, _ in oursw for v in nc)
    base_st = Counter(F.STATUS_NAMES[b[0]] for cell in base for b in cell)
    print(f"  ours: {dict(ours_st)}   baseline: {dict(base_st)}")
    print("  methods (ours, NC): " + ", ".join(
        f"{m} {c}" for m, c in Counter(v.method for _, _, nc, _ in oursw for v in nc)
        .most_common()))
    print("  methods (ours, separability): " + ", ".join(
        f"{m} {c}" for m, c in Counter(v.method for _, _, _, sp in ourp for v in sp)
        .most_common()))

    print("per d, seconds summed over its cells (ours: solver time of the class LPs, 1 process)")
    print("      d   baseline   ours    ratio")
    for d in grid.d:
        idx = [i for i, c in enumerate(cells) if c[0] == d]
        b = sum(base_t[i] for i in idx)
        o = sum(v.solve_time for i in idx for v in ours1[i][2])
        print(f"  {d:5d}   {b:8.2f}  {o:6.2f}  {b / max(o, 1e-9):7.1f}")
    full = len(grid.d) * len(grid.sigma) * grid.trials
    print(f"projected full {grid.name} grid ({full} cells, NC + separability, "
          f"{a.workers} processes): {tp.s / len(cells) * full / 60:.1f} min wall; from CPU "
          f"time over {a.workers} idle cores: "
          f"{tp.cpu / len(cells) * full / a.workers / 60:.1f} min")

    if a.k10_trials > 0:
        g10 = grids[a.k10_grid]
        c10 = [(d, s, t) for d in g10.d for s in g10.sigma for t in range(a.k10_trials)]
        with Timer() as t10:
            r10 = phase.solve_cells(g10, c10, seed, opts, workers=a.workers)
        n10 = len(g10.d) * len(g10.sigma) * g10.trials
        st = Counter(v.name for _, _, nc, _ in r10 for v in nc)
        print(f"{g10.name}: timed {len(c10)} cells (NC + separability, {a.workers} processes) "
              f"in {t10.s:.1f} s; NC verdicts {dict(st)}")
        print(f"projected full {g10.name} grid ({n10} cells) on this machine: "
              f"{t10.s * n10 / len(c10) / 60:.1f} min wall; from CPU time over "
              f"{a.workers} idle cores: {t10.cpu * n10 / len(c10) / a.workers / 60:.1f} min "
              f"(target < 60 min)")
        per_d = {}
        for (d, _, _), (_, _, nc, sp) in zip(c10, r10):
            per_d[d] = per_d.get(d, 0.0) + sum(v.solve_time for v in nc + sp)
        print("  solver seconds per d (all sigma): " +
              ", ".join(f"d={d}: {t:.1f}" for d, t in per_d.items()))
    conflicts = [r for r in rows if "(undecided)" not in r.split("ours")[0]]
    print(f"conflicting verdicts (both decided, different): {len(conflicts)}; baseline "
          f"undecided where ours is verified: {len(rows) - len(conflicts)}")
    return 1 if conflicts else 0


if __name__ == "__main__":
    sys.exit(main())
