"""Every output of the tiny run: CF-style NetCDF (io.cf_problems) and figure hygiene.

The shared tiny run (conftest.tiny_run_dir: presets/tiny.yaml in a scratch directory) with
SHALLOWNC_FIGURE_AUDIT set, so figures.save records the hygiene measurement of every figure.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from shallownc import io
from shallownc.figures import hygiene

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


@pytest.fixture(scope="module")
def tiny(tiny_run_dir):
    """The shared tiny run (conftest.tiny_run_dir: results/, reports/ and audit/ inside)."""
    return tiny_run_dir


@pytest.mark.slow
def test_every_netcdf_of_the_tiny_run_follows_cf(tiny):
    files = sorted((tiny / "results").rglob("*.nc"))
    assert len(files) >= 20
    bad = {str(f.relative_to(tiny)): io.cf_problems(f) for f in files}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, json.dumps(bad, indent=1)[:6000]


@pytest.mark.slow
def test_verdict_variables_carry_the_project_codes(tiny):
    want = io.status_flag_attrs()
    with xr.open_dataset(tiny / "results" / "feasibility" / "k2_antipodal.nc",
                         mask_and_scale=False) as ds:
        for v in ("nc_status", "nc_all_status", "sep_status"):
            assert ds[v].dtype.kind == "i"
            assert ds[v].attrs["flag_values"].tolist() == want["flag_values"].tolist()
            assert ds[v].attrs["flag_meanings"] == want["flag_meanings"]
        assert ds.attrs["Conventions"] == io.CF_CONVENTIONS
        assert all(ds[c].attrs.get("long_name") for c in ds.coords)


@pytest.mark.slow
def test_cfchecks_reference_checker_finds_no_errors(tiny):
    """The maintained CF checker (cfchecker, needs libudunits2), where installed."""
    exe = shutil.which("cfchecks") or os.environ.get("CFCHECKS")
    if not exe:
        pytest.skip("cfchecks not installed (pip install cfchecker; apt-get install "
                    "libudunits2-0); io.cf_problems checks the same items")
    tables = ROOT / "tests" / "data" / "cf_tables"
    for f in sorted((tiny / "results").glob("*/*.nc")):
        out = subprocess.run([exe, "-v", "1.8", "-s", str(tables / "standard_names.xml"),
                              "-a", str(tables / "area_types.xml"),
                              "-r", str(tables / "regions.xml"), str(f)],
                             capture_output=True, text=True, timeout=300).stdout
        errors = [ln for ln in out.splitlines() if ln.startswith("ERROR:")]
        assert not errors, f"{f}: {errors}"


@pytest.mark.slow
def test_every_figure_of_the_tiny_run_is_clean(tiny):
    pngs = sorted((tiny / "reports").rglob("*.png"))
    audits = [json.loads(p.read_text()) for p in sorted((tiny / "audit").glob("*.json"))]
    assert len(pngs) >= 10 and len(audits) == len(pngs)
    bad = {Path(m["path"]).name: hygiene.problems(m, m.get("width_px")) for m in audits}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, json.dumps(bad, indent=1)


def test_cf_checker_names_what_is_missing(tmp_path):
    ds = xr.Dataset({"x": (("d",), np.arange(3.0)),
                     "nc_status": (("d",), np.array([1, 0, 5], np.int8),
                                   {"flag_values": "[1, 0, -1]", "flag_meanings": "a b c"})},
                    coords={"d": [3, 1, 2]})
    ds.to_netcdf(tmp_path / "raw.nc")
    probs = "\n".join(io.cf_problems(tmp_path / "raw.nc"))
    for part in ("Conventions", "x: no long_name", "x: numeric variable without a units",
                 "d: coordinate variable is not strictly monotonic",
                 "nc_status: flag_values must be an integer array"):
        assert part in probs


def test_write_netcdf_makes_status_flags_and_long_names(tmp_path):
    ds = xr.Dataset({"nc_all_status": (("d",), np.array([1.0, 0.0, np.nan]),
                                       {"description": "verdict; all classes"}),
                     "tag": (("d",), np.array(["a", "bb", ""], dtype=object)),
                     "r": (("d",), np.ones(3), {"units": "same as x", "description": "r"})},
                    coords={"d": [1, 2, 3]})
    io.write_netcdf(ds, tmp_path / "ok.nc")
    assert io.cf_problems(tmp_path / "ok.nc") == []
    back = io.read_netcdf(tmp_path / "ok.nc")
    assert back.nc_all_status.attrs["long_name"] == "verdict"
    assert np.isnan(back.nc_all_status.values[2]) and back.nc_all_status.values[0] == 1
    assert list(back.tag.values) == ["a", "bb", ""]
    assert back.r.attrs["units"] == "1" and "same as x" in back.r.attrs["comment"]
    assert back.d.attrs["long_name"] == "input dimension d"


@pytest.mark.slow
def test_every_netcdf_of_the_tiny_run_has_truthful_attributes(tiny):
    """Titles say what a file holds, no global attribute contradicts the file, long_names
    keep their brackets whole, seeds are integers (issue 24)."""
    bad = {}
    for f in sorted((tiny / "results").rglob("*.nc")):
        with xr.open_dataset(f) as ds:
            a, probs = ds.attrs, []
            stage = f.relative_to(tiny / "results").parts[0]
            if not str(a.get("title", "")).startswith(f"shallownc {stage}/"):
                probs.append(f"title {a.get('title')!r}")
            probs += [f"global {k} = {a[k]!r} contradicted" for k in io.contradicted_attrs(ds)]
            for v in ds.variables:
                ln = str(ds[v].attrs.get("long_name", ""))
                if ln.count("(") != ln.count(")"):
                    probs.append(f"{v}: long_name {ln!r} cut inside brackets")
            if "seed" in ds.variables and ds["seed"].dtype.kind not in "iu":
                probs.append(f"seed variable of type {ds['seed'].dtype}")
            if "seed" in a and not np.issubdtype(type(a["seed"]), np.integer):
                probs.append(f"seed attribute {a['seed']!r}")
        if probs:
            bad[str(f.relative_to(tiny))] = probs
    assert not bad, json.dumps(bad, indent=1)[:6000]


def test_long_name_keeps_brackets_whole():
    desc = ("NC2 error ||G - I||_F, G = Hbar^T Hbar (uncentred class means; metrics.nc2); "
            "second clause")
    assert io._long_name("x", {"description": desc}) == \
        "NC2 error ||G - I||_F, G = Hbar^T Hbar (uncentred class means; metrics.nc2)"
    long = "closed-form rate of the model " * 3 + "(CE: gamma = sqrt(K N lambda); MSE: a)"
    short = io._long_name("x", {"description": long})
    assert len(short) <= io.LONG_NAME_MAX and short.endswith("...")
    assert short.count("(") == short.count(")")


def test_title_and_contradicted_global_attributes(tmp_path):
    ds = xr.Dataset({"nc1": (("d",), np.ones(2), {"units": "1", "description": "NC1"})},
                    coords={"d": [24, 60]},
                    attrs={"d": 24, "geometry": "antipodal", "angle_deg": 120.0, "K": 2})
    assert sorted(io.contradicted_attrs(ds)) == ["angle_deg", "d"]
    io.write_netcdf(ds, tmp_path / "results" / "training" / "dynamics.nc", {}, seed=7)
    back = io.read_netcdf(tmp_path / "results" / "training" / "dynamics.nc")
    assert "d" not in back.attrs and "angle_deg" not in back.attrs  # the coordinate says it
    assert back.attrs["geometry"] == "antipodal"
    assert back.attrs["title"].startswith("shallownc training/dynamics: trained ReLU")
    assert set(p.name for p in (Path(__file__).parents[1] / "workflow" / "rules").glob(
        "*.smk")) - {f"{s}.smk" for s in io.STAGE_TITLES} <= {
        "common.smk", "figures.smk", "report.smk", "paper_lp.smk", "paper_training.smk"}
    assert "geometry antipodal, K 2" in back.attrs["title"] and "d 2" in back.attrs["title"]
    assert back.attrs["seed"] == 7                                   # provenance: an integer
    one = ds.isel(d=[0]).assign_attrs(geometry="angle")              # agrees: kept
    assert io.contradicted_attrs(one) == []


def test_hygiene_flags_a_legend_over_the_data_and_small_fonts():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 1, 200)
    for k in range(6):
        ax.plot(x, np.full_like(x, k / 5), label=f"series number {k}")
    ax.legend(loc="center left", fontsize=5)
    ax.set_xlim(0, 3)
    probs = "\n".join(hygiene.problems(hygiene.measure(fig, 130), width_px=2000))
    plt.close(fig)
    for part in ("legend covers", "x limits exceed", "smallest text", "2000 px wide"):
        assert part in probs


def test_close_log_ticks_overlap_unless_thinned():
    """upfm/sweep_*: ratios 0.9, 1, 1.2, 1.6, 2.2 labelled on a log axis ran together
    ("0.91.21.62.2"); log_ticks_at keeps their marks and labels 1 and those with room."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from shallownc.figures import log_ticks_at

    x = [0.01, 0.1, 0.3, 0.6, 0.9, 1.0, 1.2, 1.6, 2.2]
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(x, x)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(x))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _p: f"{t:g}"))
    assert "tick labels overlap" in "\n".join(hygiene.problems(hygiene.measure(fig, 130)))
    log_ticks_at(ax.xaxis, x)
    assert hygiene.problems(hygiene.measure(fig, 130)) == []
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "1" in shown and "0.01" in shown and len(ax.get_xticks()) == len(x)
    plt.close(fig)
    # slanted labels (verdict table): judged by the distance between their baselines
    names = ["infeasible_below_tolerance", "stalled", "undecided", "no_lp_proof", "diverged"]
    for width, crowded in ((7, False), (1.2, True)):
        fig, ax = plt.subplots(figsize=(width, 3))
        ax.bar(range(5), [1] * 5)
        ax.set_xticks(range(5), names, rotation=40, ha="right")
        probs = "\n".join(hygiene.problems(hygiene.measure(fig, 130)))
        assert ("tick labels overlap" in probs) == crowded, (width, probs)
        plt.close(fig)


def test_hygiene_flags_a_duplicate_legend_entry_and_markers_cut_by_the_frame():
    """verdict/gaps listed tol/F* twice; verdict/variants cut its first and last points."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    a = ax.axhline(0.5, label="tol/F* = 0.5")
    b = ax.axhline(0.5, label="tol/F* = 0.5")
    ax.scatter([0, 1, 2], [0.1, 0.5, 0.9], s=40)
    ax.set_xlim(0, 2)                                   # first and last point on the frame
    ax.legend(handles=[a, b])
    probs = "\n".join(hygiene.problems(hygiene.measure(fig, 130)))
    assert "legend entries twice: tol/F* = 0.5" in probs
    assert "2 marker(s) cut by the axes frame" in probs
    ax.legend(handles=[a])
    ax.set_xlim(-0.2, 2.2)
    assert hygiene.problems(hygiene.measure(fig, 130)) == []
    plt.close(fig)


def test_hygiene_judges_shared_and_categorical_axes_fairly():
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, sharey=True, figsize=(6, 3))
    a.plot([1, 2], [0.001, 0.002])
    b.plot([1, 2], [1.0, 2.0])  # shared y: a's limits reach b's data, which is fine
    m = hygiene.measure(fig, 130)
    assert all(ax["y_excess"] <= hygiene.LIMIT_MARGIN for ax in m["axes"]), m
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["base", "weight_decay"], [1, 2])  # category slots: limits are not data
    assert hygiene.problems(hygiene.measure(fig, 130)) == []
    plt.close(fig)


def test_coincident_series_are_named():
    """separability_vs_nc / upfm sweep_mse: series hidden under one another get a note."""
    import pandas as pd

    from shallownc.figures import coincident_note

    rows = [("sep", s, x, 1.0) for s in ("0.01", "0.1", "1") for x in (1, 2)]
    rows += [("nc", "0.01", 1, 0.2), ("nc", "0.01", 2, 0.9), ("nc", "1", 1, 0.0),
             ("nc", "1", 2, 0.5), ("nc", "0.1", 1, 0.3), ("nc", "0.1", 2, 0.9)]
    df = pd.DataFrame(rows, columns=["quantity", "σ", "x", "p"])
    assert coincident_note(df, "x", "p", ["quantity", "σ"]) == \
        "2 of 6 series hidden under another (equal values): sep at σ 0.01 = 0.1 = 1"
    assert coincident_note(df[df.quantity == "nc"], "x", "p", ["quantity", "σ"]) == ""
    flat = pd.DataFrame([(k, x, 0.5) for k in "abc" for x in (1, 2)], columns=["k", "x", "v"])
    assert coincident_note(flat, "x", "v", "k") == "all 3 series coincide (drawn as one line)"


def test_a_tall_figure_shows_its_key_above_the_panels(tmp_path):
    """Tall figures put their key below the fold of the report; figures.save moves a
    figure legend from below the panels to above them, under the suptitle's text."""
    import matplotlib.pyplot as plt

    from shallownc import figures

    fig, axes = plt.subplots(4, 1, figsize=(6, 10), layout="constrained")
    for ax in axes:
        ax.plot([1, 2], [1, 2], label="series a")
    figures.legend_below(fig, axes[:1], ncol=1)
    fig.suptitle("what the figure shows")
    assert figures.key_on_top(fig)
    (leg,) = fig.legends
    assert leg._outside_loc == "upper" and fig._suptitle is None
    assert leg.get_title().get_text() == "what the figure shows"
    assert [t.get_text() for t in leg.get_texts()] == ["series a"]
    fig.savefig(tmp_path / "t.png")
    top = leg.get_window_extent().y0
    assert all(top >= ax.get_window_extent().y1 for ax in axes)   # above every panel
    wide, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    ax.plot([1, 2], label="x")
    figures.legend_below(wide, [ax])
    assert not figures.key_on_top(wide)                            # a wide figure: unchanged
    plt.close("all")
