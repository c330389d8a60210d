"""Status counts of the verified LP engine on a config's feasibility grids (issue 14.2).

Regenerates every cell of the config's grids with the pipeline's code path
(``shallownc.phase.solve_cells``: class LPs and separability) and prints, per grid, how
often each status occurs (feasible / infeasible (exact proof, by kind) /
infeasible_within_radius / undecided). ``--compare-baseline`` also re-solves every class LP
with the engine before issues 14/16 (bench/baseline_engine.py) and counts identical verdicts.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine  # noqa: E402

from shallownc import config as C  # noqa: E402
from shallownc import data as D  # noqa: E402
from shallownc import feasibility as F  # noqa: E402
from shallownc import phase  # noqa: E402


def tally(vs):
    c = collections.Counter(v.name for v in vs)
    c.update(f"proof={v.proof}" for v in vs if v.status == F.INFEASIBLE)
    return dict(sorted(c.items()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=str(ROOT / "config.yaml"))
    ap.add_argument("--compare-baseline", action="store_true")
    a = ap.parse_args(argv)
    cfg = C.load(a.config)
    opts = F.SolverOptions.from_config(cfg["solver"])
    print(f"machine: {machine()}\nconfig: {a.config}")
    total_nc, total_sep, same, decided = [], [], 0, 0
    for name, g in phase.grids_from_config(cfg).items():
        digits = None
        if g.source == "digits":
            dc = cfg["data"]["digits"]
            digits = D.load_digits_arrays(dc["classes"], dc["standardize"])
        cells = [(d, s, t) for d in g.d for s in g.sigma for t in range(g.trials)]
        t0 = time.perf_counter()
        res = phase.solve_cells(g, cells, cfg["seed"], opts, digits=digits)
        nc = [v for r in res for v in r[2]]
        sep = [v for r in res for v in r[3]]
        total_nc += nc
        total_sep += sep
        print(f"{name}: {len(cells)} cells in {time.perf_counter() - t0:.1f} s; class LP "
              f"{tally(nc)}; separability {tally(sep)}", flush=True)
        if a.compare_baseline:
            import baseline_engine

            B = baseline_engine.load()

            for (d, s, t), r in zip(cells, res):
                X, y, _seed, _snr = phase.draw_cell(g, d, s, t, cfg["seed"], digits)
                for k, v in enumerate(r[2]):
                    old = B.solve(B.class_lp(X, y, k), B.SolverOptions()).status
                    if old in (B.FEASIBLE, B.INFEASIBLE):
                        decided += 1
                        same += old == v.status
    print(f"TOTAL class LP {tally(total_nc)}")
    print(f"TOTAL separability {tally(total_sep)}")
    if a.compare_baseline:
        print(f"class-LP verdicts identical to the engine before issue 14: {same}/{decided} "
              "(where it decided)")


if __name__ == "__main__":
    main()
