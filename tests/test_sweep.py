"""The sweep builder (shallownc.sweep): chunking, workers, variable table, provenance."""
import functools

import numpy as np
import pytest
import xarray as xr

from shallownc import io
from shallownc import sweep as SW
from shallownc.grid import Grid

VARS = (
    SW.Variable("first_coord", ("d", "sigma", "trial"), "1", "X[0, 0] of the cell's data"),
    SW.Variable("col_norm", ("d", "sigma", "trial", "class"), "1",
                "norm of the first sample of each class"),
    SW.Variable("seed", ("d", "sigma", "trial"), None, "data seed", np.uint64, 0),
    SW.Variable("label", ("d", "sigma"), None, "a per-(d, sigma) constant", object, ""),
)


def toy_cell(cell, *, base_seed):
    """A pure cell function: statistics of the cell's data at every sigma of the cell."""
    out = {"first_coord": [], "col_norm": [], "seed": [], "label": []}
    for s in cell.sigmas:
        X, y, seed, _ = cell.draw(base_seed, s)
        out["first_coord"].append(X[0, 0])
        out["col_norm"].append([np.linalg.norm(X[:, np.argmax(y == k)])
                                for k in range(cell.grid.K)])
        out["seed"].append(seed)
        out["label"].append(f"d{cell.d}s{s}")
    return out


GRID = Grid("toy", "phase", "gmm", "orthogonal", 3, 4, (5, 9), (0.1, 1.0), 5)
COORDS = {"class": (np.arange(3), {"description": "class index k"})}


def test_results_independent_of_chunking_and_workers(tmp_path):
    fn = functools.partial(toy_cell, base_seed=11)
    whole = SW.sweep(GRID, fn, VARS, trials_per_job=5, coords=COORDS)
    chunked = SW.sweep(GRID, fn, VARS, trials_per_job=2, workers=2, coords=COORDS,
                       path=tmp_path / "toy.nc", config={"seed": 11})
    xr.testing.assert_identical(whole, chunked)
    assert whole.first_coord.dims == ("d", "sigma", "trial")
    assert whole.col_norm.dims == ("d", "sigma", "trial", "class")
    assert whole.label.dims == ("d", "sigma")
    assert whole.d.attrs == SW.COORD_ATTRS["d"] and whole.trial.attrs == SW.COORD_ATTRS["trial"]
    assert whole.label.sel(d=9, sigma=1.0).item() == "d9s1.0"
    # every cell ran: no fill value left, and the seeds are those of the grid model
    assert np.isfinite(whole.first_coord).all()
    assert int(whole.seed.sel(d=9, sigma=0.1, trial=4)) == GRID.seed(11, 9, 0.1, 4)
    back = io.read_netcdf(tmp_path / "toy.nc")
    assert back.attrs["config_json"] == '{"seed": 11}' and "git_commit" in back.attrs
    assert back.col_norm.attrs["units"] == "1"
    assert back.col_norm.attrs["description"] == "norm of the first sample of each class"
    xr.testing.assert_allclose(back.first_coord, whole.first_coord)


def test_common_noise_grid_runs_one_cell_per_trial():
    calls = []
    g = Grid("crn", "paper", "gmm", "orthogonal", 3, 4, (6,), (0.0, 0.5, 2.0), 2,
             common_noise=True)
    ds = SW.run_job(g, "d6_t0-2", functools.partial(toy_cell, base_seed=2), VARS,
                    coords=COORDS)
    calls = len(g.cells(6, range(2)))
    assert calls == 2
    # common noise: X(sigma) - M is proportional to sigma, so X[0,0] is affine in sigma
    x = ds.first_coord.sel(d=6, trial=1).values
    assert x[0] == pytest.approx(1.0)                     # mu_1 = e_1 at sigma = 0
    assert (x[2] - x[0]) / 2.0 == pytest.approx((x[1] - x[0]) / 0.5)


def test_missing_variable_and_bad_tables_are_errors():
    def bad(cell):
        return {"first_coord": [0.0] * len(cell.sigmas)}
    with pytest.raises(KeyError, match="col_norm"):
        SW.run_job(GRID, "d5_t0-1", bad, VARS, coords=COORDS)
    with pytest.raises(ValueError, match="must start with grid dims"):
        SW.Variable("x", ("class", "d"), "1", "bad order")
    with pytest.raises(ValueError, match="outside"):
        SW.run_job(GRID, "d5_t3-9", bad, VARS, coords=COORDS)
    with pytest.raises(ValueError, match="no job outputs"):
        SW.combine([])
