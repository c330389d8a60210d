"""The report's run summary and HTML tables (shallownc.runinfo)."""
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from shallownc import io, runinfo
from shallownc.paper import table as paper_figures


def test_csv_table_is_html_and_wide_tables_are_transposed(tmp_path):
    wide = pd.DataFrame({"grid": ["a", "b"], **{f"metric_{i}": [i / 3, 2.0] for i in range(10)}})
    wide.to_csv(tmp_path / "w.csv", index=False)
    page = runinfo.csv_table_html(tmp_path / "w.csv", "Wide")
    assert page.startswith("<!DOCTYPE html>") and "<table" in page
    assert "transposed" in page and page.count("<tr") == 1 + 10  # header + one row per metric
    assert "0.3333" in page
    narrow = pd.DataFrame({"x": [1, 2, 3], "y": [0.5, 0.25, 0.125]})
    narrow.to_csv(tmp_path / "n.csv", index=False)
    assert "transposed" not in runinfo.csv_table_html(tmp_path / "n.csv", "Narrow")
    with pytest.raises(io.InputError, match="not found"):
        runinfo.csv_table_html(tmp_path / "none.csv", "x")


def test_run_summary_lists_config_sizes_versions_and_paper_targets(tmp_path):
    ds = xr.Dataset({"v": (("d", "trial"), np.zeros((3, 4)), {"units": "1"})},
                    coords={"d": [1, 2, 3], "trial": np.arange(4)})
    f = io.write_netcdf(ds, tmp_path / "r" / "a.nc", config={"seed": 5})
    bench = tmp_path / "b.tsv"
    bench.write_text("s\th:m:s\n12.5\t0:00:12\n")
    page = runinfo.run_summary_html([f], ["presets/tiny.yaml"],
                                    {"seed": 5, "results_dir": str(tmp_path / "r")}, [bench])
    for part in ("presets/tiny.yaml", "seed 5", "d=3, trial=4", "0.2 min summed over the 1",
                 "numpy", "git "):
        assert part in page
    for fig in paper_figures.ITEMS:
        assert f"<code>{fig.target}</code>" in page
    assert page.count("not in this run") == len(paper_figures.ITEMS)


def test_run_summary_times_only_the_jobs_of_this_run(tmp_path):
    """Benchmarks written before this run started (an earlier run, whose results may be
    older or newer than the oldest result) are not this run's wall time (issue 24)."""
    import os
    import time

    ds = xr.Dataset({"v": (("d",), np.zeros(2), {"units": "1"})}, coords={"d": [1, 2]})
    f = io.write_netcdf(ds, tmp_path / "r" / "a.nc", config={"seed": 5})
    t0 = time.time()
    os.utime(f, (t0 - 600, t0 - 600))               # a result kept from an earlier run
    old, new = tmp_path / "old.tsv", tmp_path / "new.tsv"
    old.write_text("s\th:m:s\n120.0\t0:02:00\n")
    new.write_text("s\th:m:s\n30.0\t0:00:30\n")
    os.utime(old, (t0 - 300, t0 - 300))             # a job of the earlier run
    page = runinfo.run_summary_html([f], [], {"seed": 5, "results_dir": "r"}, [old, new],
                                    started=t0 - 60)
    assert "0.5 min summed over the 1 job(s) of this run" in page
    assert "<code>r/benchmarks/</code>" in page
    assert "Wall time of this run:</b> 1.0 min" in page
