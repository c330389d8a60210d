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


# ------------------------------------------------------------- the paper's Figures 1-2

FIG1 = {"geometry": "angle", "K": 2, "n": 300, "mean_norm": 1.0, "angle_deg": [180, 90, 30, 0],
        "d": {"start": 300, "step": 10, "count": 31},
        "sigma": {"start": 0.0, "step": 0.0296, "count": 51}, "trials": 10,
        "trials_per_job": 10, "classes": "all", "search": "every_cell"}


def test_paper_grids_of_figure_1():
    grids = phase.paper_grids("fig1", FIG1)
    assert list(grids) == ["theta180", "theta90", "theta30", "theta0"]
    g = grids["theta30"]
    assert g.d[0] == 300 and g.d[-1] == 600 and len(g.d) == 31
    assert g.sigma[0] == 0.0 and g.sigma[3] == 0.0888 and len(g.sigma) == 51
    assert g.common_noise and g.angle_deg == 30.0
    assert phase.paper_classes(FIG1) == (0, 1)
    assert phase.paper_classes({**FIG1, "classes": "first"}) == (0,)
    with pytest.raises(ValueError, match="angle_deg"):
        phase.paper_grids("fig2", {**FIG1, "geometry": "orthogonal", "K": 4})


def test_noiseless_cells_are_exact_proofs():
    """sigma = 0: decided without an LP (exact cone test of the engine); theta = 0 is
    infeasible with an exact certificate, every other angle feasible; agrees with the LP."""
    from shallownc import data as D
    y = np.repeat(np.arange(2), 5)
    for angle in (0.0, 30.0, 90.0, 180.0):
        M = D.mean_matrix("angle", 2, 6, 1.0, angle)
        for k in range(2):
            v = phase.noiseless(M, y, k, F.SolverOptions())
            assert v.method == "exact_noiseless"
            assert v.status == (F.INFEASIBLE if angle == 0.0 else F.FEASIBLE)
            assert v.status == F.solve(F.class_lp(M[:, y], y, k)).status


def test_paper_cell_equals_cellwise_solves():
    """The sigma sequence of a common-noise cell decides exactly what independent solves of
    each X(sigma) = M Y + sigma Z decide (same data, same engine)."""
    blk = {**FIG1, "n": 12, "d": {"start": 12, "step": 4, "count": 4},
           "sigma": {"start": 0.0, "step": 0.15, "count": 5}, "trials": 2, "angle_deg": [90]}
    g = phase.paper_grids("t", blk)["theta90"]
    ds = phase.paper_run_job(g, "d16_t0-2", 3, F.SolverOptions(), (0, 1))
    assert ds.nc_status.dims == ("d", "sigma", "trial", "class")
    assert (ds.nc_method.sel(sigma=0.0) == phase.PAPER_METHODS.index("exact_noiseless")).all()
    for t in range(2):
        M, *_ = phase.Cell(g, 16, g.sigma, t).draw_common(3)
        for s in g.sigma:
            X, y, seed, _ = phase.Cell(g, 16, (s,), t).draw(3, s)
            for k in range(2):
                if s == 0:
                    want = phase.noiseless(M, y, k, F.SolverOptions()).status
                else:
                    want = F.solve(F.class_lp(X, y, k)).status
                assert int(ds.nc_status.sel(d=16, sigma=s, trial=t, **{"class": k})) == want
            assert (ds.seed.sel(d=16, trial=t) == seed).all()   # one draw for every sigma
    assert (ds.class1_status == ds.nc_status.sel({"class": 0}, drop=True)).all()
    assert "nc_all_status" in ds


def test_independent_design_draws_every_cell_anew():
    """search: independent (the paper's design): each (d, sigma, trial) has its own seed and
    noise, and the job's verdicts are those of solving each cell's own data."""
    blk = {**FIG1, "n": 10, "d": {"start": 10, "step": 4, "count": 3},
           "sigma": {"start": 0.0, "step": 0.2, "count": 3}, "trials": 2, "angle_deg": [90],
           "search": "independent"}
    g = phase.paper_grids("t", blk)["theta90"]
    assert not g.common_noise and not g.nested_d and g.jobs(2) == ["d10_t0-2", "d14_t0-2",
                                                                   "d18_t0-2"]
    ds = phase.paper_run_job(g, "d14_t0-2", 3, F.SolverOptions(), (0, 1))
    assert ds.attrs["common_noise"] == 0
    seeds = ds.seed.sel(d=14).values                                 # (sigma, trial)
    assert len(np.unique(seeds)) == seeds.size                       # no draw shared
    for t in range(2):
        for s in g.sigma:
            X, y, seed, _ = phase.Cell(g, 14, (s,), t).draw(3, s)
            M, y2, Z, seed2 = phase.independent_draw(phase.Cell(g, 14, (s,), t), 3)
            assert seed2 == seed and np.array_equal(M[:, y2] + s * Z, X)
            for k in range(2):
                want = (phase.noiseless(M, y, k, F.SolverOptions()).status if s == 0
                        else F.solve(F.class_lp(X, y, k)).status)
                assert int(ds.nc_status.sel(d=14, sigma=s, trial=t, **{"class": k})) == want
            assert int(ds.seed.sel(d=14, sigma=s, trial=t)) == seed


def test_bisection_over_nested_d_equals_solving_every_cell():
    """search: bisect_d. The data of d are the first d rows of those of the largest d
    (seed without d), and the bisection's verdicts — the inherited ones re-verified on their
    own data — equal the verdicts of solving every cell, with fewer LPs."""
    blk = {**FIG1, "n": 15, "d": {"start": 15, "step": 2, "count": 9},
           "sigma": {"start": 0.0, "step": 0.2, "count": 4}, "trials": 2, "angle_deg": [90],
           "search": "bisect_d"}
    g = phase.paper_grids("t", blk)["theta90"]
    assert g.nested_d and g.jobs(2) == ["t0-2"]
    big, *_ = phase.Cell(g, 31, (0.4,), 1).draw(3, 0.4)
    small, *_ = phase.Cell(g, 21, (0.4,), 1).draw(3, 0.4)
    assert np.array_equal(small, big[:21])                       # nested data
    ds = phase.paper_run_job(g, "t0-2", 3, F.SolverOptions(), (0, 1))
    inherited = ds.nc_method == phase.PAPER_METHODS.index("inherited_d")
    assert (ds.nc_status.isin([F.FEASIBLE, F.INFEASIBLE])).all()
    for st in (F.FEASIBLE, F.INFEASIBLE):        # both directions of the monotonicity used
        assert int((inherited & (ds.nc_status == st)).sum()) > 0, st
    for t in range(2):
        M, *_ = phase.Cell(g, max(g.d), g.sigma, t).draw_common(3)
        for d in g.d:
            for s in g.sigma:
                X, y, *_ = phase.Cell(g, d, (s,), t).draw(3, s)
                for k in range(2):
                    want = (phase.noiseless(M[:d], y, k, F.SolverOptions()).status
                            if s == 0 else F.solve(F.class_lp(X, y, k)).status)
                    got = int(ds.nc_status.sel(d=d, sigma=s, trial=t, **{"class": k}))
                    assert got == want, (d, s, t, k)
    # monotone in d along every (sigma, trial, class) row
    st = ds.nc_status.values
    assert (np.diff(st, axis=0) >= 0).all()
