"""The ground-floor status module: codes, names, flag attributes (issue 20, item 5)."""
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from shallownc import codehash, feasibility, io, status, verdict

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"


def test_producers_reexport_the_same_codes():
    assert feasibility.STATUS_NAMES is status.STATUS_NAMES
    assert feasibility.METHODS is status.METHODS
    assert verdict.VERDICT_NAMES is status.VERDICT_NAMES
    assert verdict.UNDECIDED == status.VERDICT_UNDECIDED != status.UNDECIDED
    assert io.status_flag_attrs is status.status_flag_attrs
    assert set(status.LP_STATUSES) == set(status.STATUS_NAMES)


def test_flag_attrs_list_every_code_once_in_decreasing_order():
    a = status.status_flag_attrs(np.int16)
    assert a["flag_values"].dtype == np.int16
    assert a["flag_values"].tolist() == [1, 0, -1, -2]
    assert a["flag_meanings"].split() == ["feasible", "infeasible", "undecided",
                                          "infeasible_within_radius"]
    v = status.verdict_flag_attrs("verdict")
    assert v["flag_values"].tolist() == list(range(len(status.VERDICT_NAMES)))
    assert len(v["flag_meanings"].split()) == len(status.VERDICT_NAMES)
    assert status.flag_attrs({1: "ok go", 0: "no"})["flag_meanings"] == "ok_go no"


@pytest.mark.parametrize("classes,expected", [
    ([1, 1, 1], 1), ([1, -1, 1], -1), ([1, -2, -1], -2), ([-2, 0, -1], 0)])
def test_all_classes_status_scalar_and_array_agree(classes, expected):
    assert status.all_classes_status(classes) == expected
    arr = xr.DataArray(np.array([classes], np.int8), dims=("trial", "class"))
    assert status.all_classes_status_array(arr).values.tolist() == [expected]


def test_probability_counts_proofs_only():
    st = xr.DataArray(np.array([1, 0, -1, -2, 1], np.int8), dims="trial")
    pr = status.probability(st)
    assert float(pr.p) == pytest.approx(2 / 3)
    assert int(pr.n_decided) == 3 and int(pr.n_undecided) == 2
    assert np.isnan(float(status.probability(st.where(st < 0, -1)).p))


@pytest.mark.parametrize("script", [
    "make_gmm", "make_digits", "run_summary", "report_table", "compute_bounds",
    "upfm_sweep", "upfm_gram", "plot_phase_diagram", "plot_bounds_phase", "plot_training",
    "verdict_plot", "plot_generalization", "plot_upfm_bridge"])
def test_readers_and_non_lp_jobs_do_not_reach_the_lp_engine(script):
    """Their code version (shallownc.codehash) must not change when the LP engine does."""
    closure = codehash.module_closure(SCRIPTS / f"{script}.py", ROOT / "src")
    assert "shallownc.feasibility" not in closure, script


def test_the_lp_solving_job_reaches_the_lp_engine():
    assert "shallownc.feasibility" in codehash.module_closure(
        SCRIPTS / "solve_feasibility.py", ROOT / "src")
