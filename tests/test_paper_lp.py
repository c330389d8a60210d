"""The paper's Figures 1-2 (shallownc.paper.lp): grids, exact noiseless cells, common noise,
the bisection over nested d; every verdict equal to a cell-by-cell solve."""
import numpy as np
import pytest

from shallownc import feasibility as F
from shallownc.grid import Cell
from shallownc.paper import lp as paper_lp

FIG1 = {"geometry": "angle", "K": 2, "n": 300, "mean_norm": 1.0, "angle_deg": [180, 90, 30, 0],
        "d": {"start": 300, "step": 10, "count": 31},
        "sigma": {"start": 0.0, "step": 0.0296, "count": 51}, "trials": 10,
        "trials_per_job": 10, "classes": "all", "search": "every_cell"}


def test_paper_grids_of_figure_1():
    grids = paper_lp.paper_grids("fig1", FIG1)
    assert list(grids) == ["theta180", "theta90", "theta30", "theta0"]
    g = grids["theta30"]
    assert g.d[0] == 300 and g.d[-1] == 600 and len(g.d) == 31
    assert g.sigma[0] == 0.0 and g.sigma[3] == 0.0888 and len(g.sigma) == 51
    assert g.common_noise and g.angle_deg == 30.0
    assert paper_lp.paper_classes(FIG1) == (0, 1)
    assert paper_lp.paper_classes({**FIG1, "classes": "first"}) == (0,)
    with pytest.raises(ValueError, match="angle_deg"):
        paper_lp.paper_grids("fig2", {**FIG1, "geometry": "orthogonal", "K": 4})


def test_noiseless_cells_are_exact_proofs():
    """sigma = 0: decided without an LP (exact cone test of the engine); theta = 0 is
    infeasible with an exact certificate, every other angle feasible; agrees with the LP."""
    from shallownc import data as D
    y = np.repeat(np.arange(2), 5)
    for angle in (0.0, 30.0, 90.0, 180.0):
        M = D.mean_matrix("angle", 2, 6, 1.0, angle)
        for k in range(2):
            v = paper_lp.noiseless(M, y, k, F.SolverOptions())
            assert v.method == "exact_noiseless"
            assert v.status == (F.INFEASIBLE if angle == 0.0 else F.FEASIBLE)
            assert v.status == F.solve(F.class_lp(M[:, y], y, k)).status


def test_paper_cell_equals_cellwise_solves():
    """The sigma sequence of a common-noise cell decides exactly what independent solves of
    each X(sigma) = M Y + sigma Z decide (same data, same engine)."""
    blk = {**FIG1, "n": 12, "d": {"start": 12, "step": 4, "count": 4},
           "sigma": {"start": 0.0, "step": 0.15, "count": 5}, "trials": 2, "angle_deg": [90]}
    g = paper_lp.paper_grids("t", blk)["theta90"]
    ds = paper_lp.paper_run_job(g, "d16_t0-2", 3, F.SolverOptions(), (0, 1))
    assert ds.nc_status.dims == ("d", "sigma", "trial", "class")
    assert (ds.nc_method.sel(sigma=0.0) == paper_lp.PAPER_METHODS.index("exact_noiseless")).all()
    for t in range(2):
        M, *_ = Cell(g, 16, g.sigma, t).draw_common(3)
        for s in g.sigma:
            X, y, seed, _ = Cell(g, 16, (s,), t).draw(3, s)
            for k in range(2):
                if s == 0:
                    want = paper_lp.noiseless(M, y, k, F.SolverOptions()).status
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
    g = paper_lp.paper_grids("t", blk)["theta90"]
    assert not g.common_noise and not g.nested_d and g.jobs(2) == ["d10_t0-2", "d14_t0-2",
                                                                   "d18_t0-2"]
    ds = paper_lp.paper_run_job(g, "d14_t0-2", 3, F.SolverOptions(), (0, 1))
    assert ds.attrs["common_noise"] == 0
    seeds = ds.seed.sel(d=14).values                                 # (sigma, trial)
    assert len(np.unique(seeds)) == seeds.size                       # no draw shared
    for t in range(2):
        for s in g.sigma:
            X, y, seed, _ = Cell(g, 14, (s,), t).draw(3, s)
            M, y2, Z, seed2 = paper_lp.independent_draw(Cell(g, 14, (s,), t), 3)
            assert seed2 == seed and np.array_equal(M[:, y2] + s * Z, X)
            for k in range(2):
                want = (paper_lp.noiseless(M, y, k, F.SolverOptions()).status if s == 0
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
    g = paper_lp.paper_grids("t", blk)["theta90"]
    assert g.nested_d and g.jobs(2) == ["t0-2"]
    big, *_ = Cell(g, 31, (0.4,), 1).draw(3, 0.4)
    small, *_ = Cell(g, 21, (0.4,), 1).draw(3, 0.4)
    assert np.array_equal(small, big[:21])                       # nested data
    ds = paper_lp.paper_run_job(g, "t0-2", 3, F.SolverOptions(), (0, 1))
    inherited = ds.nc_method == paper_lp.PAPER_METHODS.index("inherited_d")
    assert (ds.nc_status.isin([F.FEASIBLE, F.INFEASIBLE])).all()
    for st in (F.FEASIBLE, F.INFEASIBLE):        # both directions of the monotonicity used
        assert int((inherited & (ds.nc_status == st)).sum()) > 0, st
    for t in range(2):
        M, *_ = Cell(g, max(g.d), g.sigma, t).draw_common(3)
        for d in g.d:
            for s in g.sigma:
                X, y, *_ = Cell(g, d, (s,), t).draw(3, s)
                for k in range(2):
                    want = (paper_lp.noiseless(M[:d], y, k, F.SolverOptions()).status
                            if s == 0 else F.solve(F.class_lp(X, y, k)).status)
                    got = int(ds.nc_status.sel(d=d, sigma=s, trial=t, **{"class": k}))
                    assert got == want, (d, s, t, k)
    # monotone in d along every (sigma, trial, class) row
    st = ds.nc_status.values
    assert (np.diff(st, axis=0) >= 0).all()
