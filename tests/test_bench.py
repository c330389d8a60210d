"""Correctness of the performance paths of the LP engine and of the bench helpers.

No timing here (timings live in bench/); these tests check that every fast path returns the
same verified verdicts as the plain LP and that its certificates really are certificates.
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from shallownc import data as D
from shallownc import feasibility as F
from shallownc import phase

ROOT = Path(__file__).resolve().parents[1]
OPTS = F.SolverOptions()
PLAIN = F.SolverOptions(shortcuts=False, methods=("ipm", "farkas_lp"))  # no reduced path


def _check_certificate(p, v):
    """Re-check a verdict's certificate from scratch, independently of the engine."""
    if v.status == F.FEASIBLE:
        w = v.w
        assert np.abs(p.A_eq @ w - p.b_eq).max(initial=0) <= OPTS.tolerance
        assert (p.A_ub @ w - p.b_ub).max(initial=-1) <= OPTS.tolerance
    elif v.status == F.INFEASIBLE:
        y, z = v.certificate
        assert z.min(initial=0) >= 0
        assert p.b_eq @ y + p.b_ub @ z == pytest.approx(-1.0)
        r = p.A_eq.T @ y + p.A_ub.T @ z
        assert np.linalg.norm(r) * OPTS.certified_radius_ratio <= p.row_norm_max() * (1 + 1e-9)


def _cells():
    """K=3 mixtures across the transition (d/n from 1.2 to 2.6, low and high noise)."""
    for d in (24, 30, 36, 42, 52):
        for sigma in (0.02, 1.0):
            for trial in range(2):
                X, y, _, _ = D.GMMSpec("orthogonal", 3, 20, d, sigma).draw(11, trial)
                yield X, y


def test_reduced_lp_matches_plain_lp_and_certificates_verify():
    seen = set()
    for X, y in _cells():
        for k in range(3):
            for p in (F.class_lp(X, y, k), F.separability_lp(X, y, k)):
                plain = F.solve(p, PLAIN)
                for form in ("farkas", "primal"):
                    v = F.solve_reduced(p, OPTS, form)
                    assert v is not None
                    if v.status != F.UNDECIDED and plain.status != F.UNDECIDED:
                        assert v.status == plain.status, (form, v.reason, plain.reason)
                    _check_certificate(p, v)
                    seen.add((v.status, form, p.A_eq.shape[0] > 0))
    # both verdicts were reached through both forms, for the class LPs
    for st in (F.FEASIBLE, F.INFEASIBLE):
        for form in ("farkas", "primal"):
            assert (st, form, True) in seen


def test_reduction_does_not_apply_without_room():
    X, y, _, _ = D.GMMSpec("orthogonal", 3, 20, 20, 0.1).draw(1, 0)   # d = n
    assert F.solve_reduced(F.class_lp(X, y, 0), OPTS) is None
    X, y, _, _ = D.GMMSpec("orthogonal", 3, 20, 30, 0.1).draw(1, 0)
    p = F.class_lp(X, y, 0)
    p.A_eq = np.vstack([p.A_eq, p.A_eq[:1]])                          # rank deficient
    p.b_eq = np.concatenate([p.b_eq, p.b_eq[:1]])
    assert not F.Reduction(p).ok
    assert F.solve(p, OPTS).status != F.UNDECIDED                     # full LP still decides


def test_shortcut_square_both_ways():
    rng = np.random.default_rng(3)
    n = 15
    Xk = rng.standard_normal((n, n))
    w = np.linalg.solve(Xk.T, np.ones(n))
    Xo_ok = -np.outer(w, np.ones(10)) / (w @ w)                        # x_j^T w = -1 < 0
    X = np.hstack([Xk, Xo_ok])
    y = np.repeat([0, 1], [n, 10])
    p = F.class_lp(X, y, 0)
    v = F.shortcut_square(p, OPTS)
    assert v.status == F.FEASIBLE and v.method == "shortcut_square"
    _check_certificate(p, v)
    X[:, n + 3] = -X[:, n + 3]                                         # now x^T w = +1 > 0
    p = F.class_lp(X, y, 0)
    v = F.shortcut_square(p, OPTS)
    assert v.status == F.INFEASIBLE and v.radius_ratio > 1e10
    _check_certificate(p, v)
    assert F.solve(p, PLAIN).status == F.INFEASIBLE


def test_separability_from_nc_is_verified_and_agrees():
    X, y, _, _ = D.GMMSpec("orthogonal", 3, 20, 52, 0.05).draw(5, 0)
    nc = [F.solve(F.class_lp(X, y, k), OPTS) for k in range(3)]   # vertex solutions
    assert all(v.status == F.FEASIBLE for v in nc)
    ws = [v.w for v in nc]
    for k in range(3):
        v = F.separability_from_nc(X, y, k, ws, OPTS)
        assert v is not None and v.method == "shortcut_nc_combination"
        _check_certificate(F.separability_lp(X, y, k), v)
    # a missing NC solution means no shortcut, never a guess
    assert F.separability_from_nc(X, y, 0, [ws[0], None, ws[2]], OPTS) is None


def test_max_margin_lp_matches_separate_lps():
    decided = set()
    for X, y in _cells():
        for k in range(3):
            nc, sep = F.solve_max_margin(X, y, k, OPTS)
            if nc is None:
                continue
            _check_certificate(F.class_lp(X, y, k), nc)
            assert nc.status == F.solve(F.class_lp(X, y, k), PLAIN).status
            decided.add(nc.status)
            if sep is not None:
                assert sep.status == F.FEASIBLE
                _check_certificate(F.separability_lp(X, y, k), sep)
                decided.add("sep")
    assert decided == {F.FEASIBLE, F.INFEASIBLE, "sep"}


def test_solve_classes_same_verdicts_as_plain_engine():
    for X, y in _cells():
        nc, sep = F.solve_classes(X, y, OPTS)
        pnc, psep = F.solve_classes(X, y, PLAIN)
        for a, b in zip(nc + sep, pnc + psep):
            if F.UNDECIDED not in (a.status, b.status):
                assert a.status == b.status


def test_method_codes_are_append_only():
    assert F.METHODS[:7] == ("none", "shortcut_full_rank", "shortcut_equalities",
                             "dual_simplex", "primal_simplex", "ipm", "farkas_lp")


def test_solve_cells_parallel_equals_serial():
    g = phase.Grid("t", "phase", "gmm", "orthogonal", 3, 10, (12, 20, 30), (0.05, 1.0), 2)
    cells = [(d, s, t) for d in g.d for s in g.sigma for t in range(g.trials)]
    a = phase.solve_cells(g, cells, 4, OPTS, workers=1)
    b = phase.solve_cells(g, cells, 4, OPTS, workers=2)
    for (sa, _, nca, sepa), (sb, _, ncb, sepb) in zip(a, b):
        assert sa == sb
        assert [v.status for v in nca + sepa] == [v.status for v in ncb + sepb]


def test_bench_baseline_reads_scipy_statuses():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_feasibility",
                                                  ROOT / "bench" / "feasibility.py")
    bench_feas = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_feas)

    g = phase.Grid("t", "phase", "gmm", "orthogonal", 3, 10, (5, 40), (0.1,), 1)
    low = bench_feas.baseline_cell(g, 5, 0.1, 0, 1)    # d < n: infeasible
    high = bench_feas.baseline_cell(g, 40, 0.1, 0, 1)  # d > N: feasible
    assert [s for s, _, _ in low] == [F.INFEASIBLE] * 3
    assert [s for s, _, _ in high] == [F.FEASIBLE] * 3


def test_gpu_run_script_runs_end_to_end_on_cpu_at_toy_size(tmp_path):
    """bench/gpu_run.sh, the script a GPU machine runs (issue 16 item 3), rehearsed on the
    CPU at toy size so that it cannot rot: benchmark output, then the Figure 3 grid file."""
    import os
    import subprocess

    import xarray as xr

    env = {**os.environ, "DEVICE": "cpu", "SCALE": "toy", "OUT": str(tmp_path),
           "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_run.sh")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    bench = (tmp_path / "bench_training.txt").read_text()
    assert "practical peak" in bench and "summary: ours/baseline" in bench
    assert "[gpu_run] done" in (tmp_path / "gpu_run.log").read_text()
    ds = xr.load_dataset(tmp_path / "fig3_grid.nc")
    assert dict(ds.sizes)["d_over_n"] == 6 and dict(ds.sizes)["sigma"] == 6
    assert ds.d_over_n.values.tolist() == [1.1, 1.3, 1.5, 2.0, 3.0, 4.0]
    assert ds.attrs["lr_schedule"] == "step" and ds.attrs["momentum"] == 0.0
    assert ds.attrs["normalization"].startswith("paper (2.1)")
    for v in ("objective", "nc1", "nc1_trace", "nc2_h_paper", "nc2_w_paper", "nc3_paper"):
        assert np.isfinite(ds[v].isel(epoch=-1)).all(), v
    assert int(ds.diverged.sum()) == 0


def test_baseline_engine_is_loaded_from_git_history():
    """bench/baseline_engine.py reads the engine of commit 72de92d with `git show` (no frozen
    copy) and that engine still decides an LP as ours does."""
    sys.path.insert(0, str(ROOT / "bench"))
    import baseline_engine

    B = baseline_engine.load()
    assert B.__file__.startswith(baseline_engine.COMMIT[:12])
    g = phase.Grid("t", "phase", "gmm", "orthogonal", 3, 10, (5, 40), (0.1,), 1)
    for d, want in ((5, F.INFEASIBLE), (40, F.FEASIBLE)):
        X, y, _seed, _snr = phase.draw_cell(g, d, 0.1, 0, 1)
        assert B.solve(B.class_lp(X, y, 0), B.SolverOptions()).status == want
        assert F.solve(F.class_lp(X, y, 0), OPTS).status == want
    assert len((ROOT / "bench" / "baseline_engine.py").read_text().splitlines()) < 80
