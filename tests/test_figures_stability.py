"""figures.stability: the sharpness map and the recipe outcome bars from NetCDF-shaped data."""

import numpy as np
import xarray as xr

from shallownc import status as S
from shallownc.figures import stability as fs
from shallownc.stability import outcome_counts


def _study():
    dims = ("d_over_n", "sigma", "trial")
    lam = np.array([[[1.5, 1.6], [np.nan, np.nan]], [[1.4, 1.3], [9.0, 8.0]]])
    v = np.array([[[S.REACHED, S.STILL_MOVING], [S.STALLED, S.STALLED]],
                  [[S.REACHED, S.REACHED], [S.STATIONARY_NOT_GLOBAL, S.UNSTABLE_STEP]]],
                 dtype=np.int8)
    lp = np.where(np.isfinite(lam), 1, 0)
    return xr.Dataset({"lambda_max": (dims, lam), "eta_star": (dims, 2 / lam),
                       "lr_used": (dims, 1.6 / np.nan_to_num(lam, nan=8.0)),
                       "verdict": (dims, v), "lp_status": (dims, lp)},
                      coords={"d_over_n": [1.1, 2.0], "sigma": [0.18, 1.07], "trial": [0, 1]},
                      attrs={"lr_rule": "0.8 x the step limit"})


def test_outcome_counts_add_up():
    c = outcome_counts(_study())
    assert c == {"runs": 8, "lp_feasible": 6, "lp_infeasible": 2, "reached": 3,
                 "unstable_step": 1, "oscillating": 0, "stationary_not_global": 1,
                 "still_moving": 1, "other_feasible": 0}


def test_figures_are_written(tmp_path):
    ds = _study()
    fs.plot_sharpness_map(ds, tmp_path / "s.png")
    fs.plot_recipes({"grid": ds, "other": ds}, tmp_path / "r.png")
    assert (tmp_path / "s.png").stat().st_size > 10_000
    assert (tmp_path / "r.png").stat().st_size > 10_000
