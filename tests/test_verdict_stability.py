"""The study's stability wiring (verdict.train_cells with verdict.stability; issue 23):
sharpness per data set, the S§3 learning-rate rule, the new labels, the recipe table."""

import numpy as np

from shallownc import stability as SB
from shallownc import status as S
from shallownc import verdict as V


def _cfg(checkpoints, **study):
    from shallownc.config import validate

    cfg = {"allow_external_paths": True, "verdict": {
        "device": "cpu", "dtype": "float64", "checkpoint_dir": str(checkpoints),
        "theory": False,
        "stability": {"polish_max_iter": 200, "alternatives": 1},
        "study": {"data": {"geometry": "antipodal", "K": 2, "n": 5},
                  "train": {"width": 6, "lambda_W": 2e-2, "lambda_H": 2e-2, "lr": 0.5,
                            "epochs": 200, "n_eval": 12},
                  "d_over_n": [3.0], "sigma": [0.2, 1.0], "trials": 1,
                  "variants": {"d_over_n": [3.0], "sigma": [0.2]}, **study}}}
    return validate(cfg)["verdict"]


def test_grid_job_records_sharpness_and_uses_the_eta_rule(tmp_path):
    cfg = _cfg(tmp_path, eta_fraction=0.5)
    ds = V.grid_job(cfg, 3.0, 5, None)
    assert (ds["lp_status"] == 1).all()
    lam = ds["lambda_max"].values.ravel()
    np.testing.assert_allclose(ds["eta_star"].values.ravel(), 2 / lam)
    np.testing.assert_allclose(ds["lr_used"].values.ravel(), 0.5 * 2 / lam)
    np.testing.assert_allclose(ds["lambda_max_width_K"].values.ravel(), lam, rtol=1e-7)
    np.testing.assert_allclose(ds["lambda_max_split"].values.ravel(), lam, rtol=1e-7)
    assert "step limit" in ds.attrs["lr_rule"]
    v = ds["verdict"].values.ravel()
    assert not np.isin(v, (S.STALLED, S.VERDICT_UNDECIDED)).any()
    assert not (v == S.UNSTABLE_STEP).any()             # lr = eta*/2 is stable
    for k in SB.END_POINT_VARS:
        assert np.isfinite(ds[k].values).all() and ds[k].attrs["long_name"]
    assert np.isfinite(ds["nc0"].values).all()


def test_a_step_above_eta_star_is_labelled_unstable(tmp_path):
    cfg = _cfg(tmp_path, eta_fraction=1.5)
    ds = V.grid_job(cfg, 3.0, 5, None)
    v, gap = ds["verdict"].values.ravel(), ds["gap_final"].values.ravel()
    tol = ds["tolerance"].values.ravel()
    assert ((v == S.UNSTABLE_STEP) == (gap > tol)).all()
    assert (v == S.UNSTABLE_STEP).any()


def test_variants_override_optimizer_data_and_rule_and_the_recipe_table(tmp_path):
    cfg = _cfg(tmp_path)
    adam = V.variant_job(cfg, {"name": "adam", "optimizer": "adam", "lr": 1e-2}, 5, None)
    assert adam.attrs["optimizer"] == "adam"
    np.testing.assert_allclose(adam["lr_used"].values, 1e-2)
    assert np.isnan(adam["step_limit"].values).all()
    k4 = V.variant_job(cfg, {"name": "k4", "K": 4, "geometry": "orthogonal",
                             "eta_fraction": 0.5}, 5, None)
    assert k4.attrs["K"] == 4 and k4.sizes["class"] == 4
    t = V.recipe_frame({"adam": adam, "k4": k4})
    assert list(t["recipe"]) == ["adam", "k4"]
    assert (t["runs"] == 1).all()
    cols = ["lp_infeasible", *SB.OUTCOMES, "other_feasible"]
    assert (t[cols].sum(axis=1) == t["runs"]).all()
