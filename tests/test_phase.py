"""Grids, jobs and the statistical fact of docs/science.md §5 (pure-noise transition)."""
import numpy as np
import pytest
import xarray as xr

from shallownc import config as C
from shallownc import feasibility as F
from shallownc import phase


def _pclass(K, n, d, trials, seed=123):
    """P(class-0 LP feasible) for pure noise, over independent data sets."""
    grid = phase.Grid("t", "pure_noise", "gmm", "noise", K, n, (d,), (1.0,), trials,
                      mean_norm=0.0)
    hits = 0
    for t in range(trials):
        X, y, *_ = phase.draw_cell(grid, d, 1.0, t, seed)
        hits += F.solve(F.class_lp(X, y, 0)).status == F.FEASIBLE
    return hits / trials


def test_pure_noise_transition_k2_n40():
    """docs/science.md §5: K=2, n=40, P(class feasible) = 0.17, 0.53, 0.90 at d/n = 1.4, 1.5, 1.6.

    80 independent trials per point: the standard error at p = 0.5 is 0.056, so the band
    [0.3, 0.7] is 3.6 standard errors wide each way, while a transition displaced by 0.1 in d/n
    would give p near 0.15 or 0.9 and fail.
    """
    p14, p15, p16 = (_pclass(2, 40, d, 80) for d in (56, 60, 64))
    assert 0.3 <= p15 <= 0.7, p15
    assert p14 < 0.4, p14
    assert p16 > 0.7, p16
    assert _pclass(2, 40, 48, 20) == 0.0  # d/n = 1.2: far below
    assert _pclass(2, 40, 72, 20) == 1.0  # d/n = 1.8: far above


def test_jobs_and_parse():
    g = phase.Grid("g", "phase", "gmm", "antipodal", 2, 10, (5, 15), (0.1,), 5)
    jobs = g.jobs(2)
    assert jobs == ["d5_t0-2", "d5_t2-4", "d5_t4-5", "d15_t0-2", "d15_t2-4", "d15_t4-5"]
    assert phase.parse_job("d15_t2-4") == (15, 2, 4)


def test_results_do_not_depend_on_chunking():
    g = phase.Grid("g", "phase", "gmm", "antipodal", 2, 6, (9,), (0.05, 1.0), 4)
    opts = F.SolverOptions()
    whole = phase.run_job(g, "d9_t0-4", 5, opts)
    parts = phase.combine([phase.run_job(g, j, 5, opts) for j in g.jobs(3)])
    xr.testing.assert_equal(whole.nc_status, parts.nc_status)
    xr.testing.assert_equal(whole.seed, parts.seed)


def test_run_job_variables_and_consistency():
    g = phase.Grid("g", "phase", "gmm", "orthogonal", 3, 5, (12,), (0.05, 2.0), 3)
    ds = phase.run_job(g, "d12_t0-3", 1, F.SolverOptions())
    assert ds.nc_status.dims == ("d", "sigma", "trial", "class")
    for v in ("nc_status", "sep_status", "nc_all_status", "nc_eq_residual",
              "nc_farkas_residual", "nc_solve_time", "seed", "snr"):
        assert v in ds and "description" in ds[v].attrs
    # separability is necessary for NC-feasibility
    assert not ((ds.nc_all_status == 1) & (ds.sep_all_status == 0)).any()
    feas = ds.nc_status == 1
    assert (ds.nc_eq_residual.where(feas) <= 1e-7).sum() == feas.sum()


def test_probability_excludes_undecided():
    st = xr.DataArray(np.array([1, 1, 0, -1], dtype=np.int8), dims="trial")
    pr = phase.probability(st)
    assert float(pr.p) == pytest.approx(2 / 3)
    assert int(pr.n_undecided) == 1 and int(pr.n_decided) == 3


def test_grids_from_config(root, schema_dir):
    import yaml
    cfg = C.validate(yaml.safe_load((root / "config.yaml").read_text()), schema_dir)
    grids = phase.grids_from_config(cfg)
    assert {"k2_antipodal", "k3_orthogonal", "noise_k2", "noise_k3", "digits"} <= set(grids)
    assert grids["noise_k3"].kind == "pure_noise" and grids["noise_k3"].n == 40
    assert grids["k2_antipodal"].d[0] == 15
