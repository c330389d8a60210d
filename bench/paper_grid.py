"""Paper-grid LP benchmark (issue 16.1): the class-1 LP of the paper's Figures 1-2.

Figure 1: K = 2, n = 300, ||mu|| = 1, angle in {180, 90, 30, 0} degrees, d = 300..600 step 10,
sigma = 0.0296 j (j = 0..50), 10 trials. Figure 2: K = 4, n = 250, mu_k = e_k, d = 250..1000
step 25, sigma = 0.04 j, 10 trials (docs/science.md §9, "Figure 1", "Figure 2").

Fixed sample (documented, reproducible): every ``--d-step``-th d value of each figure (first
and last included), every ``--sigma-step``-th sigma (j = 0 included), ``--trials`` trial(s),
all four angles of Figure 1. Data: common random numbers across sigma,
X(sigma) = M_y + sigma Z with Z from ``cell_seed(seed, trial, source="paper_noise", figure,
d)`` (shallownc.data.gmm_noise / gmm_from_noise); the sample therefore spans the feasible,
transition and infeasible regions of both figures.

Timed, in the same process, one BLAS thread, CPU seconds (``time.process_time``):
* ours: ``shallownc.feasibility.decide_sigma_sequence`` per (figure, angle, d, trial);
* the current engine (the engine before issues 14/16, read by bench/baseline_engine.py from git:
  ``solve(class_lp)``) on a subsample (every ``--base-every``-th sampled LP, sigma > 0);
* ``scipy.optimize.linprog`` with default options (answer trusted) on a smaller subsample;
* the floor: one factorization of the equality block (the QR of the reduction) plus one
  reduced LP solve in the form that decides it (the faster of the two), per LP.
Printed: time per LP, ratios, verdict agreement wherever a baseline decides, status counts
(proven / within radius / undecided), a profile of ours, and the projection to the full
grids (class 1 only, and all classes), for 2 cores (rows are independent: CPU time / 2).
"""
from __future__ import annotations

import argparse
import cProfile
import collections
import io
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402

from shallownc import data as D  # noqa: E402
from shallownc import feasibility as F  # noqa: E402

FIGS = {
    "fig1": dict(K=2, n=300, d=list(range(300, 601, 10)), sigma=[0.0296 * j for j in range(51)],
                 angles=[180.0, 90.0, 30.0, 0.0], trials=10),
    "fig2": dict(K=4, n=250, d=list(range(250, 1001, 25)), sigma=[0.04 * j for j in range(51)],
                 angles=[None], trials=10),
}


def means(fig: str, d: int, angle) -> np.ndarray:
    if fig == "fig1":
        return D.mean_matrix("angle", 2, d, 1.0, angle)
    return D.mean_matrix("orthogonal", 4, d, 1.0)


def noise(fig: str, d: int, trial: int, seed: int) -> np.ndarray:
    f = FIGS[fig]
    s = D.cell_seed(seed, trial, source="paper_noise", figure=fig, d=d)
    return D.gmm_noise(d, f["K"], f["n"], np.random.default_rng(s))


def every(xs, step):
    out = list(xs[::step])
    return out if out[-1] == xs[-1] else out + [xs[-1]]


def sample(a):
    """[(fig, angle, d, trial, [sigma ...])]: the fixed sample (module docstring)."""
    rows = []
    for fig, f in FIGS.items():
        sig = f["sigma"][::a.sigma_step]
        for angle in f["angles"]:
            for d in every(f["d"], a.d_step):
                for t in range(a.trials):
                    rows.append((fig, angle, d, t, sig))
    return rows


def run_ours(rows, opts, seed, classes=(0,)):
    """Verdicts of the sample; each verdict's ``cpu`` is its share of its row's CPU time
    (the row's process time split in proportion to the verdicts' wall times)."""
    out = {}
    t0 = time.process_time()
    for fig, angle, d, t, sig in rows:
        M, Z = means(fig, d, angle), noise(fig, d, t, seed)
        for k in classes:
            c0 = time.process_time()
            vs = F.decide_sigma_sequence(M, Z, sig, k, opts)
            cpu = time.process_time() - c0
            wall = sum(v.solve_time for v in vs) or 1.0
            for s, v in zip(sig, vs):
                v.cpu = cpu * v.solve_time / wall
                out[(fig, angle, d, t, s, k)] = v
    return out, time.process_time() - t0


def linprog_status(X, y):
    from scipy.optimize import linprog

    Xk, Xo = X[:, y == 0], X[:, y != 0]
    r = linprog(np.zeros(X.shape[0]), A_ub=Xo.T, b_ub=np.zeros(Xo.shape[1]), A_eq=Xk.T,
                b_eq=np.ones(Xk.shape[1]), bounds=(None, None))
    return {0: F.FEASIBLE, 2: F.INFEASIBLE}.get(r.status, F.UNDECIDED)


def run_baselines(keys, seed, which):
    import baseline_engine

    B = baseline_engine.load()

    out, t0 = {}, time.process_time()
    for fig, angle, d, t, s, _k in keys:
        X, y = D.gmm_from_noise(means(fig, d, angle), noise(fig, d, t, seed), s)
        if which == "engine":
            out[(fig, angle, d, t, s, 0)] = B.solve(B.class_lp(X, y, 0), B.SolverOptions()).status
        else:
            out[(fig, angle, d, t, s, 0)] = linprog_status(X, y)
    return out, time.process_time() - t0


def floor_time(keys, seed, opts):
    """(QR reduction, fastest reduced LP) CPU seconds summed over ``keys``: the floor of an
    LP-based path is one factorization of the equality block plus one small LP solve."""
    t_qr = t_lp = 0.0
    for fig, angle, d, t, s, _k in keys:
        X, y = D.gmm_from_noise(means(fig, d, angle), noise(fig, d, t, seed), s)
        p = F.equilibrate(F.class_lp(X, y, 0))
        t0 = time.process_time()
        red = F.Reduction(p)
        t_qr += time.process_time() - t0
        if red.ok:
            best = np.inf
            for form in ("primal", "farkas"):
                t1 = time.process_time()
                F.solve_reduced(p, opts, form, red)
                best = min(best, time.process_time() - t1)
            t_lp += best
    return t_qr, t_lp


def profile_summary(rows, opts, seed):
    pr = cProfile.Profile()
    pr.enable()
    run_ours(rows, opts, seed)
    pr.disable()
    st = pstats.Stats(pr)
    total = sum(v[2] for v in st.stats.values())
    groups = collections.Counter()
    rules = [("HiGHS simplex (run)", ("highspy._core.run",)),
             ("HiGHS model setup", ("passModel", "setOptionValue", "_highs", "Highs")),
             ("QR reduction (geqrf + ormqr)", ("_decomp_qr", "(_apply)", "feasibility.py&(__init__)")),
             ("NNLS (scipy.optimize.nnls)", ("_slsqplib.nnls", "_nnls")),
             ("active set (Gram + Cholesky)", ("cholesky", "active_set_candidate")),
             ("exact proof (certify: inverse, bound)", ("certify.py", "(inv)")),
             ("LU solves (d = n, d = N shortcuts)", ("(solve)", "(lstsq)")),
             ("verification (relative residuals)", ("relative_residuals",)),
             ("noiseless exact (sigma = 0)", ("exact_dot", "exact_gram", "_noiseless_face",
                                              "fractions.py")),
             ("data (X = M + sigma Z, noise)", ("data.py",))]
    for (fn, line, name), v in st.stats.items():
        where = f"{fn}:{line}({name})"
        label = next((lab for lab, keys in rules
                      if any(all(p in where for p in k.split("&")) for k in keys)),
                     "other (numpy glue, Python)")
        groups[label] += v[2]
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(10)
    return total, groups, buf.getvalue()


def counts(vs):
    c = collections.Counter(v.name for v in vs)
    c.update(f"  proof={v.proof}" for v in vs if v.status == F.INFEASIBLE)
    return dict(c)


def methods(vs):
    return dict(collections.Counter(v.method for v in vs).most_common())


def project(per_fig):
    """Class-1 projection to the full grids from the mean CPU per LP of the sample."""
    print("projection to the full grids (class-1 LP only; mean CPU per LP over the sample, "
          "the sampled d spread evenly):")
    total_cpu = 0.0
    for fig, f in FIGS.items():
        vs = per_fig[fig]
        n_full = len(f["d"]) * len(f["sigma"]) * f["trials"] * len(f["angles"])
        cpu = sum(v.cpu for v in vs) / len(vs) * n_full
        total_cpu += cpu
        print(f"  {fig}: {n_full} LPs -> {cpu:.0f} s CPU, {cpu / 2 / 60:.1f} min wall on 2 cores")
    print(f"  Figures 1+2: {total_cpu:.0f} s CPU -> {total_cpu / 2 / 60:.1f} min wall on 2 cores"
          f" (target < 15 min)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--d-step", type=int, default=5, help="every k-th d value of each figure")
    ap.add_argument("--sigma-step", type=int, default=5, help="every k-th sigma (j = 0 kept)")
    ap.add_argument("--trials", type=int, default=1)
    ap.add_argument("--base-every", type=int, default=4,
                    help="current engine on every k-th sampled LP (sigma > 0)")
    ap.add_argument("--floor-every", type=int, default=3,
                    help="floor measured on every k-th LP of the current-engine subsample")
    ap.add_argument("--linprog-every", type=int, default=40,
                    help="scipy linprog defaults on every k-th sampled LP (sigma > 0)")
    ap.add_argument("--all-classes", action="store_true", help="also time every class")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--counts-only", action="store_true",
                    help="ours only: status counts and the projection (no baselines)")
    a = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    opts = F.SolverOptions()
    rows = sample(a)
    print(f"machine: {machine()}")
    print(f"sample: d every {a.d_step}th, sigma every {a.sigma_step}th (j=0 kept), "
          f"{a.trials} trial(s), all angles; {len(rows)} (fig, angle, d, trial) rows")
    run_ours(rows[:1], opts, a.seed)                        # warm-up (imports, BLAS)
    ours, t_ours = run_ours(rows, opts, a.seed)
    per_fig = collections.defaultdict(list)
    for key, v in ours.items():
        per_fig[key[0]].append(v)
    for fig, vs in per_fig.items():
        tf = sum(v.cpu for v in vs)
        print(f"ours {fig}: {len(vs)} LPs, {tf:.2f} s ({tf / len(vs) * 1e3:.1f} ms/LP) "
              f"statuses {counts(vs)}\n  deciding methods {methods(vs)}")
    print(f"ours total CPU: {t_ours:.2f} s for {len(ours)} LPs")
    if a.counts_only:
        project(per_fig)
        return

    keys = [k for k in ours if k[4] > 0]
    bkeys = keys[::a.base_every]
    base, t_base = run_baselines(bkeys, a.seed, "engine")
    t_ours_b = sum(ours[k].cpu for k in bkeys)
    agree = sum(base[k] == ours[k].status for k in bkeys if base[k] in F.DECISIVE)
    dec = sum(base[k] in F.DECISIVE for k in bkeys)
    print(f"current engine on {len(bkeys)} LPs: {t_base:.2f} s CPU vs ours {t_ours_b:.2f} s "
          f"-> {t_base / t_ours_b:.1f}x; verdicts identical {agree}/{dec} where it decides "
          f"(undecided {len(bkeys) - dec})")
    lkeys = keys[::a.linprog_every]
    lp, t_lp = run_baselines(lkeys, a.seed, "linprog")
    t_ours_l = sum(ours[k].cpu for k in lkeys)
    agree = sum(lp[k] == ours[k].status for k in lkeys if lp[k] in F.DECISIVE)
    dec = sum(lp[k] in F.DECISIVE for k in lkeys)
    print(f"scipy linprog defaults on {len(lkeys)} LPs: {t_lp:.2f} s CPU vs ours "
          f"{t_ours_l:.2f} s -> {t_lp / t_ours_l:.1f}x; verdicts identical {agree}/{dec} "
          f"where it decides")
    fkeys = bkeys[::a.floor_every]
    t_qr, t_lp1 = floor_time(fkeys, a.seed, opts)
    t_ours_f = sum(ours[k].cpu for k in fkeys)
    nf = len(fkeys)
    print(f"floor on {nf} LPs: QR reduction {t_qr / nf * 1e3:.1f} ms/LP + fastest reduced LP "
          f"{t_lp1 / nf * 1e3:.1f} ms/LP = {(t_qr + t_lp1) / nf * 1e3:.1f} ms/LP; ours "
          f"{t_ours_f / nf * 1e3:.1f} ms/LP ({t_ours_f / (t_qr + t_lp1):.2f}x the floor, "
          f"{t_ours_f / t_qr:.1f}x the QR alone)")

    if not a.no_profile:
        total, groups, top = profile_summary(rows[::3], opts, a.seed)
        print(f"profile of ours (every 3rd row, {total:.2f} s under cProfile):")
        for label, tt in groups.most_common():
            print(f"  {label:38s} {tt:7.2f} s  {100 * tt / total:5.1f}%")
        print(top)

    project(per_fig)
    if a.all_classes:
        sub = rows[::2]
        allc = {}
        for fig in FIGS:
            K = FIGS[fig]["K"]
            r = [row for row in sub if row[0] == fig]
            res, t = run_ours(r, opts, a.seed, classes=range(K))
            allc[fig] = t / len(res) * K     # CPU per data set (all K classes)
        tot = 0.0
        for fig, f in FIGS.items():
            n_sets = len(f["d"]) * len(f["sigma"]) * f["trials"] * len(f["angles"])
            tot += allc[fig] * n_sets
            print(f"  all classes {fig}: {allc[fig] * 1e3:.0f} ms per data set -> "
                  f"{allc[fig] * n_sets / 2 / 60:.1f} min wall on 2 cores")
        print(f"  all classes, Figures 1+2: {tot / 2 / 60:.1f} min wall on 2 cores")


if __name__ == "__main__":
    main()
