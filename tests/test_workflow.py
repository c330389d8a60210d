"""The whole DAG on the tiny config, in a temporary directory (slow-ish: ~1 min)."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shallownc import io
from shallownc.class_sizes import dimension

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
pytestmark = pytest.mark.slow


def smk(workdir, *args, configfile=None, check=True):
    cmd = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), "--cores", "2",
           "--configfile", str(configfile or workdir / "tiny.yaml"), *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if check and res.returncode != 0:
        raise AssertionError(f"snakemake failed ({res.returncode}):\n{res.stdout[-4000:]}\n"
                             f"{res.stderr[-8000:]}")
    return res


def planned_jobs(res) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job in a dry-run's output."""
    out = res.stdout + res.stderr
    jobs = []
    for block in re.split(r"\n(?=rule |localrule )", out):
        m = re.match(r"(?:local)?rule (\w+):", block)
        if not m:
            continue
        wc = re.search(r"wildcards: (.*)", block)
        wcs = dict(kv.split("=", 1) for kv in wc.group(1).split(", ")) if wc else {}
        jobs.append((m.group(1), wcs))
    return jobs


@pytest.fixture(scope="module")
def tiny_run(tiny_run_dir):
    """The shared tiny run (conftest.tiny_run_dir), planned and re-run here with --cores 2."""
    return tiny_run_dir


def test_outputs_have_promised_structure(tiny_run):
    cfg = yaml.safe_load((tiny_run / "tiny.yaml").read_text())
    res = tiny_run / cfg.get("results_dir", "results")
    ds = io.read_netcdf(res / "feasibility" / "k2_antipodal.nc",
                        required_vars=["nc_status", "sep_status", "nc_all_status",
                                       "nc_eq_residual", "nc_ineq_violation",
                                       "nc_farkas_residual", "nc_radius_ratio",
                                       "nc_solve_time", "seed", "snr"],
                        required_dims=["d", "sigma", "trial", "class"])
    g = cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]
    assert ds.sizes["d"] == len(g["d_over_n"]) and ds.sizes["sigma"] == len(g["sigma"])
    assert ds.sizes["trial"] == g["trials"] and ds.sizes["class"] == g["K"]
    for key in ("config_json", "package_versions_json", "git_commit", "geometry", "K"):
        assert key in ds.attrs, key
    for v in ("nc_status", "nc_solve_time", "snr"):
        assert ds[v].attrs.get("description")
    assert ds["nc_solve_time"].attrs["units"] == "s"
    # d < n is infeasible, d >= N feasible (generic data), verified
    assert (ds.nc_all_status.sel(d=3) == 0).all()
    assert (ds.nc_all_status.sel(d=15) == 1).all()
    dg = io.read_netcdf(res / "data" / "digits.nc", required_vars=["X", "label"])
    assert dg.attrs["source"] == "digits"
    figs = list((tiny_run / cfg.get("report_dir", "reports") / "figures").rglob("*.png"))
    assert len(figs) >= 4


def test_second_run_does_nothing(tiny_run):
    res = smk(tiny_run, "-n")
    assert "Nothing to be done" in res.stdout + res.stderr, res.stdout[-3000:]
    # tiny.yaml leaves out the solver section: the log says it takes the defaults
    assert re.search(r"filled with the schema defaults: .*\bsolver\b", res.stdout + res.stderr)


def test_changing_one_grid_value_reruns_only_affected_jobs(tiny_run):
    cfg = yaml.safe_load((tiny_run / "tiny.yaml").read_text())
    g = cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]
    old_d = dimension(g["d_over_n"][-1], g["n"])
    g["d_over_n"][-1] = 3.0
    new_d = dimension(3.0, g["n"])
    changed = tiny_run / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    jobs = planned_jobs(smk(tiny_run, "-n", configfile=changed))
    solves = [wc for rule, wc in jobs if rule == "solve_feasibility"]
    assert solves, jobs
    assert all(wc["grid"] == "k2_antipodal" and wc["job"].startswith(f"d{new_d}_")
               for wc in solves), solves
    assert not any(wc["job"].startswith(f"d{old_d}_") for wc in solves)
    assert ("combine_feasibility", {"grid": "k2_antipodal"}) in jobs
    assert not any(r in ("digits_data", "gmm_example") for r, _ in jobs)
    assert not any(wc.get("grid") in ("noise_k2", "digits") for _, wc in jobs)


def test_bad_config_fails_before_any_job(tmp_path):
    cfg = yaml.safe_load((ROOT / "presets" / "tiny.yaml").read_text())
    cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]["sigma"] = ["high"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    res = smk(tmp_path, "-n", configfile=bad, check=False)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "feasibility.phase_diagrams.k2_antipodal.sigma[0]" in out and "number" in out
    assert not (tmp_path / "results").exists()


def test_corrupt_result_stops_before_any_job_and_deletes_nothing(tiny_run):
    """A truncated NetCDF among the results: the run stops before any job starts, names the
    file and the recovery command, and deletes no downstream result; following the message
    rebuilds the file and what was computed from it."""
    cfg = yaml.safe_load((tiny_run / "tiny.yaml").read_text())
    res_dir = tiny_run / cfg.get("results_dir", "results")
    digits = res_dir / "data" / "digits.nc"
    backup = digits.read_bytes()
    downstream = sorted((res_dir / "feasibility" / "digits" / "jobs").glob("*.nc"))
    assert downstream
    try:
        digits.write_bytes(backup[: len(backup) // 2])  # e.g. a full disk or a killed copy
        target = downstream[0].relative_to(tiny_run)
        res = smk(tiny_run, "--forcerun", "solve_feasibility", "--", str(target), check=False)
        out = res.stdout + res.stderr
        assert res.returncode != 0, out[-3000:]
        assert "results/data/digits.nc: truncated" in out, out[-3000:]
        assert "--forcerun results/data/digits.nc" in out
        assert all(p.exists() for p in downstream), "a downstream result was deleted"
        # the documented recovery rebuilds the file and what depends on it
        smk(tiny_run, "--forcerun", "results/data/digits.nc", "--", str(target))
        assert io.read_netcdf(digits, required_vars=["X", "label"]).sizes["sample"] > 0
        assert downstream[0].stat().st_mtime >= digits.stat().st_mtime
    finally:
        if not digits.exists():
            digits.write_bytes(backup)


def test_profile_placeholders_stop_a_real_run_but_not_a_dry_run(tiny_run):
    """CHANGE_ME values left from the SLURM template (profiles/slurm) stop a run before any job
    starts, naming each setting; a dry run still plans (issue 15)."""
    cfg = yaml.safe_load((tiny_run / "tiny.yaml").read_text())
    target = sorted((tiny_run / cfg.get("results_dir", "results") / "data").rglob("*.nc"))[0]
    before = target.stat().st_mtime
    args = ("--default-resources", "slurm_account=CHANGE_ME", "--set-resources",
            "gmm_example:slurm_partition=CHANGE_ME_CPU", "--forceall", "--",
            str(target.relative_to(tiny_run)))
    res = smk(tiny_run, *args, check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out[-3000:]
    assert "default-resources: slurm_account=CHANGE_ME" in out, out[-3000:]
    assert "set-resources: gmm_example: slurm_partition=CHANGE_ME_CPU" in out, out[-3000:]
    assert target.stat().st_mtime == before, "a job ran despite the placeholders"
    assert smk(tiny_run, "-n", *args).returncode == 0


# ---- one-line errors and the Makefile (issue 14, item 7) ---------------------------------------

def make(*args):
    return subprocess.run(["make", "-C", str(ROOT), *args], capture_output=True, text=True,
                          timeout=60)


def test_make_rejects_zero_cores_at_once():
    """`make run CORES=0` used to hang; now make stops before setup, naming the variable
    (-n: nothing would run anyway if the check were missing, and the test would fail)."""
    for cores in ("0", "-1", "two"):
        res = make("-n", "run", f"CORES={cores}")
        assert res.returncode != 0 and f"CORES={cores} is not a positive number" in res.stderr
    assert make("-n", "run", "CORES=all").returncode == 0


def test_make_run_checks_the_config_first_and_clean_removes_checkpoints():
    recipe = make("-n", "run", "CONFIG=presets/tiny.yaml").stdout.splitlines()
    check = next(i for i, line in enumerate(recipe) if "-m shallownc.config presets/tiny.yaml"
                 in line)
    first_snakemake = next(i for i, line in enumerate(recipe) if "snakemake --cores" in line)
    assert check < first_snakemake
    assert ".checkpoints" in make("-n", "clean").stdout.split()


def test_yaml_syntax_error_in_config_yaml_is_one_line(tmp_path):
    """Without --configfile the Snakefile reads config.yaml; a syntax error names the file
    and the line instead of Snakemake's "not valid JSON or YAML" traceback."""
    for name in ("Snakefile", "workflow", "src", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    (tmp_path / "config.yaml").write_text("seed: 1\nsolver: {tolerance: 1e-7\nfoo: 2\n")
    res = subprocess.run([SNAKEMAKE, "-n", "--cores", "1"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode != 0
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.startswith("error:")]
    assert lines == [lines[0]] and "config.yaml is not valid YAML: line 3" in lines[0], \
        res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_snakemake_lint_and_snakefmt_are_clean(tmp_path):
    """The CI lint step: `snakemake --lint` finds nothing, `snakefmt --check` (pinned in the
    test extra) would change nothing."""
    shutil.copy(ROOT / "presets" / "tiny.yaml", tmp_path / "tiny.yaml")
    lint = smk(tmp_path, "--lint", configfile=tmp_path / "tiny.yaml", check=False)
    assert lint.returncode == 0 and "Congratulations" in lint.stdout + lint.stderr, \
        lint.stdout[-4000:] + lint.stderr[-4000:]
    fmt = subprocess.run([str(Path(sys.executable).parent / "snakefmt"), "--check",
                          "Snakefile", "workflow/rules/"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
