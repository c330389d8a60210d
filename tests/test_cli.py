"""The command line (shallownc.cli): every command, its --help, and a non-editable install."""
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from shallownc import cli, io
from shallownc.paper import table as paper_figures

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("validate", "run", "report", "figures", "info")


def shallownc(*args, cwd=ROOT, env=None, python=sys.executable):
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([python, "-m", "shallownc", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    res = shallownc(command, "--help")
    assert res.returncode == 0, res.stderr
    assert f"usage: shallownc {command}" in res.stdout


def test_top_level_help_lists_the_commands():
    res = shallownc("--help")
    assert res.returncode == 0
    for c in COMMANDS:
        assert c in res.stdout


def test_validate_accepts_the_presets_and_names_a_bad_key(tmp_path):
    ok = shallownc("validate", "presets/tiny.yaml")
    assert ok.returncode == 0 and "valid" in ok.stdout, ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"solver": {"tolerence": 1e-9}}))
    res = shallownc("validate", str(bad))
    assert res.returncode == 2
    assert "tolerence" in res.stderr
    missing = shallownc("validate", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_run_builds_the_snakemake_command_of_the_checkout(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seed: 1\n")
    res = shallownc("run", "fig1", "paper", "--cores", "3", "--configfile", str(cfg),
                    "--profile", "profiles/local-slurm", "--print-command", "--",
                    "--keep-going", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    cmd = res.stdout.split()
    assert cmd[cmd.index("--snakefile") + 1] == str(ROOT / "Snakefile")
    assert cmd[cmd.index("--configfile") + 1] == str(cfg.resolve())
    assert cmd[cmd.index("--cores") + 1] == "3"
    assert "--workflow-profile" in cmd and "--profile" not in cmd
    assert cmd[-1] == "--keep-going"


def test_run_refuses_a_cluster_profile_with_placeholders(tmp_path):
    res = shallownc("run", "--profile", "profiles/slurm", "--print-command")
    assert res.returncode == 2
    assert "CHANGE_ME" in res.stderr and "profiles/slurm/config.yaml:" in res.stderr
    dry = shallownc("run", "--profile", "profiles/slurm", "-n", "--print-command")
    assert dry.returncode == 0, dry.stderr
    mine = tmp_path / "mysite"
    mine.mkdir()
    (mine / "config.yaml").write_text("executor: slurm  # was CHANGE_ME\n"
                                      "default-resources:\n  slurm_account: proj42\n")
    ok = shallownc("run", "--profile", str(mine), "--print-command")
    assert ok.returncode == 0, ok.stderr


def test_run_dry_run_plans_the_tiny_config(tmp_path):
    cfg = yaml.safe_load((ROOT / "presets" / "tiny.yaml").read_text())
    cfg["results_dir"], cfg["report_dir"] = str(tmp_path / "r"), str(tmp_path / "rep")
    cfg["allow_external_paths"] = True  # outputs outside the checkout Snakemake runs in
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(cfg))
    res = shallownc("run", "--configfile", str(tmp_path / "tiny.yaml"), "--cores", "1", "-n")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "figure_phase_diagram" in res.stdout + res.stderr
    assert not (tmp_path / "r").exists()
    # the per-cell jobs Snakemake plans are the ones shallownc.worksize counts
    from shallownc import config as C, worksize

    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", res.stdout + res.stderr, re.M))
    per_cell = ("solve_feasibility", "paper_lp_job", "train_job", "verdict_job",
                "generalization_theory", "generalization_trained", "imbalance_phase")
    planned = sum(int(counts.get(r, 0)) for r in per_cell)
    assert planned == worksize.estimate(C.validate(cfg))["default target"].jobs > 0


def test_run_outside_a_checkout_names_the_fix(tmp_path):
    res = shallownc("run", "--workflow-dir", str(tmp_path), "--print-command")
    assert res.returncode == 2
    assert "no Snakefile" in res.stderr


def test_report_uses_the_report_dir_of_the_config(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"report_dir": str(tmp_path / "rep"),
                                   "allow_external_paths": True}))
    res = shallownc("report", "--configfile", str(cfg), "--print-command")
    assert res.returncode == 0, res.stderr
    cmd = res.stdout.split()
    assert cmd[cmd.index("--report") + 1] == str(tmp_path / "rep" / "report.html")


def test_figures_lists_the_table_of_the_package():
    res = shallownc("figures", "--json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert [r["key"] for r in rows] == [f"fig{i}" for i in range(1, 7)] + ["theorem6",
                                                                            "theorem78"]
    assert [r["target"] for r in rows] == [f.target for f in paper_figures.ITEMS]
    assert rows[0]["output"] == "results_paper_cpu/paper/fig1.nc"  # presets/paper-cpu.yaml
    assert rows[0]["command"] == "shallownc run fig1 --configfile presets/paper-cpu.yaml"
    text = shallownc("figures", "--configfile", "presets/tiny.yaml")
    assert "results/paper/fig3.nc" in text.stdout and "shallownc run paper" in text.stdout
    # every printed command carries the --configfile it was listed for (copyable as printed)
    runs = [ln.split("run:", 1)[1].strip() for ln in text.stdout.splitlines() if "run:" in ln]
    assert len(runs) == len(paper_figures.ITEMS)
    assert all(r.endswith("--configfile presets/tiny.yaml") for r in runs)
    default = shallownc("figures")  # the default config builds none: the CPU preset's lines
    assert "shallownc run fig1 --configfile presets/paper-cpu.yaml" in default.stdout
    assert "presets/paper.yaml" in default.stdout


def test_run_of_a_paper_target_without_its_block_says_so_in_one_line(tmp_path):
    for target in ("fig1", "paper"):
        res = shallownc("run", target, "-n")
        assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "paper.fig1" in res.stderr and "Traceback" not in res.stderr
        assert f"shallownc run {target} --configfile presets/paper-cpu.yaml" in res.stderr
        assert "presets/paper.yaml" in res.stderr
    cfg = {"paper": {"fig1": {"geometry": "angle", "K": 2, "n": 3, "angle_deg": [90],
                              "d": {"start": 3, "step": 1, "count": 2},
                              "sigma": {"start": 0, "step": 0.1, "count": 2}, "trials": 1}}}
    assert paper_figures.missing_blocks(["fig1"], cfg) is None
    assert "paper.fig2" in paper_figures.missing_blocks(["paper"], cfg)
    assert paper_figures.missing_blocks(["fig3", "all"], {}) is None


def test_paper_table_generates_the_targets_of_the_rule_files():
    """The rule files take their paper targets and paths from the table (issue 20 item 6):
    every item is built by exactly one of them, and no rule file writes a paper path."""
    rules = ROOT / "workflow" / "rules"
    text = "\n".join(p.read_text() for p in rules.rglob("*.smk"))
    assert "PAPER_FIGS = list(_paper_table.TRAINING_KEYS)" in text
    assert "for _fig in _paper_table.LP_KEYS:" in text
    keys = paper_figures.LP_KEYS + paper_figures.TRAINING_KEYS
    assert sorted(keys) == sorted(item.target for item in paper_figures.ITEMS)
    assert "/paper/" not in text and '"paper/' not in text
    assert paper_figures.report_labels("fig3")["paper"] == "Figure 3"


def test_info_describes_variables_flags_and_provenance(tmp_path):
    ds = xr.Dataset({"nc_status": (("d",), np.array([1, 0, -1], np.int8),
                                   {"description": "verdict"}),
                     "w_norm": (("d",), np.ones(3), {"units": "1", "long_name": "norm of w"})},
                    coords={"d": [2, 4, 6]})
    io.write_netcdf(ds, tmp_path / "x.nc", config={"seed": 3})
    res = shallownc("info", str(tmp_path / "x.nc"), "--cf")
    assert res.returncode == 0, res.stderr
    for part in ("dimensions: d=3", "nc_status(d) int8 [1] verdict", "flags: feasible",
                 "w_norm(d) float64 [1] norm of w", "git_commit:", "Conventions: CF-1.8",
                 "top-level keys ['seed']", "CF check: no problems"):
        assert part in res.stdout
    missing = shallownc("info", str(tmp_path / "nope.nc"))
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_find_workflow_prefers_the_current_checkout(tmp_path, monkeypatch):
    (tmp_path / "workflow" / "rules").mkdir(parents=True)
    (tmp_path / "Snakefile").write_text("")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    monkeypatch.delenv(cli.WORKFLOW_ENV, raising=False)
    assert cli.find_workflow() == tmp_path.resolve()


@pytest.mark.slow
def test_non_editable_install_validates_a_config(tmp_path):
    """pip install . (not -e) into a fresh venv that borrows this venv's dependencies."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True,
                          check=True).stdout.strip()
    # the dependencies of this venv, appended after the new venv's own site-packages (a
    # plain path line: this venv's editable-install hooks are not activated)
    Path(site, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    inst = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                           "--no-index", "-q", str(ROOT)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert inst.returncode == 0, inst.stdout[-2000:] + inst.stderr[-3000:]
    where = subprocess.run([str(py), "-c", "import shallownc; print(shallownc.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text((ROOT / "presets" / "tiny.yaml").read_text())
    res = subprocess.run([str(venv / "bin" / "shallownc"), "validate", str(cfg)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "valid" in res.stdout


# ---- issue 24: the documented synopsis, overrides, and one line instead of a traceback ----------

def _cli(capsys, *argv, cwd=None, monkeypatch=None):
    if cwd is not None:
        monkeypatch.chdir(cwd)
    try:
        rc = cli.main(list(argv))
    except SystemExit as exc:          # argparse errors
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def test_run_targets_come_before_the_multi_valued_options(capsys, tmp_path):
    """`shallownc run TARGET --configfile F`: Snakemake's --configfile takes several values,
    so targets after it were read as config files (FileNotFoundError: 'verdict')."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seed: 1\n")
    rc, out, err = _cli(capsys, "run", "verdict", "results/verdict/study.nc", "--configfile",
                        str(cfg), "--print-command")
    assert rc == 0, err
    cmd = out.split()
    i = cmd.index("--snakefile")
    assert cmd[i + 2:i + 4] == ["verdict", "results/verdict/study.nc"]
    assert cmd.index("--configfile") > i + 3


def test_run_refuses_zero_cores(capsys):
    """--cores 0 made Snakemake wait forever (the Makefile guarded it, the CLI did not)."""
    rc, _, err = _cli(capsys, "run", "--cores", "0", "--print-command")
    assert rc == 2 and "'0' is not a positive number of cores" in err
    assert _cli(capsys, "run", "--cores", "all", "--print-command")[0] == 0


def test_config_overrides_reach_the_snakefile_typed_and_nested(capsys):
    """`--config seed=3` (was read as --configfile 'seed=3'), dotted keys, typed values and
    nested booleans, through Snakemake's own parser and the Snakefile's layering."""
    from snakemake.cli import parse_config

    from shallownc import config as C

    rc, out, err = _cli(capsys, "run", "--config", "seed=3", "training.dynamics.train.lr=0.1",
                        "training.dynamics.trials=1", "verdict.enabled=false",
                        "training.theory.train.loss=mse", "--print-command")
    assert rc == 0, err
    cmd = shlex.split(out)
    items = cmd[cmd.index("--config") + 1:]
    config = yaml.safe_load((ROOT / "config.yaml").read_text())   # the Snakefile's configfile:
    given = parse_config(items)                                   # what Snakemake hands it
    config = C.merge(config, given)
    C.apply_run_layers(config, [], given, ROOT / "config.yaml")
    cfg = C.validate(config)
    assert cfg["seed"] == 3 and cfg["verdict"]["enabled"] is False
    assert cfg["training"]["dynamics"]["train"]["lr"] == 0.1
    assert cfg["training"]["dynamics"]["trials"] == 1
    assert cfg["training"]["theory"]["train"]["loss"] == "mse"
    assert cfg["training"]["dynamics"]["sigma"] == [0.1, 0.3, 1.0]     # the rest kept
    # a plain `snakemake --config` user: nested values arrive as strings, the Snakefile types
    plain = parse_config(["training={dynamics: {train: {lr: 1e-3, loss: mse}}}",
                          "verdict={enabled: false}"])
    config = C.merge(yaml.safe_load((ROOT / "config.yaml").read_text()), plain)
    C.apply_run_layers(config, [], plain, ROOT / "config.yaml")
    assert config["training"]["dynamics"]["train"]["lr"] == 1e-3
    assert config["verdict"]["enabled"] is False


def test_a_lone_override_file_layers_on_config_yaml(tmp_path):
    """A one-line `seed: 3` file is config.yaml with seed 3, not the schema defaults (which
    have no phase diagrams); `base: schema` makes a file complete (the presets)."""
    from shallownc import config as C

    over = tmp_path / "seed.yaml"
    over.write_text("seed: 3\n")
    cfg = C.load_run([over], default=ROOT / "config.yaml")
    assert cfg["seed"] == 3 and cfg["base"] == "config.yaml"
    assert sorted(cfg["feasibility"]["phase_diagrams"]) == ["k2_antipodal", "k2_orthogonal",
                                                            "k3_orthogonal"]
    both = C.load_run([ROOT / "config.yaml", over], default=ROOT / "config.yaml")
    assert both == cfg
    over.write_text("base: schema\nseed: 3\n")
    assert C.load_run([over], default=ROOT / "config.yaml")["feasibility"]["phase_diagrams"] \
        == C.validate({})["feasibility"]["phase_diagrams"]
    tiny = C.load_run([ROOT / "presets" / "tiny.yaml"], default=ROOT / "config.yaml")
    assert sorted(tiny["feasibility"]["phase_diagrams"]) == ["k2_antipodal"]
    over.write_text("seed: 3\n")
    with pytest.raises(C.ConfigError, match="layered on .*nothere.yaml, which is not there"):
        C.load_run([over], default=tmp_path / "nothere.yaml")


def test_validate_of_a_folder_or_a_binary_file_is_one_line(capsys, tmp_path):
    binary = tmp_path / "x.yaml"
    binary.write_bytes(b"seed: 1\n\xff\xfe\x00")
    for path, msg in ((tmp_path, "is a directory"), (binary, "is not UTF-8 text")):
        rc, _, err = _cli(capsys, "validate", str(path))
        assert rc == 2 and msg in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err


def test_run_and_figures_with_a_bad_configfile_are_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1\n")
    for argv, msg in ((("run", "--configfile", str(tmp_path), "--print-command"),
                       "is a directory"),
                      (("figures", "--configfile", str(tmp_path / "none.yaml")), "not found"),
                      (("figures", "--configfile", str(bad)), "is not valid YAML")):
        rc, _, err = _cli(capsys, *argv)
        assert rc == 2 and msg in err and "Traceback" not in err, (argv, err)


def test_info_on_damaged_provenance_describes_the_rest(capsys, tmp_path):
    ds = xr.Dataset({"v": (("d",), np.zeros(2), {"units": "1", "long_name": "v"})},
                    coords={"d": [1, 2]})
    f = io.write_netcdf(ds, tmp_path / "a.nc", config={"seed": 1})
    with xr.open_dataset(f) as src:
        ds2 = src.load()
    ds2.attrs["package_versions_json"] = "{not json"
    ds2.to_netcdf(tmp_path / "b.nc")
    rc, out, err = _cli(capsys, "info", str(tmp_path / "b.nc"))
    assert rc == 0, err
    assert "package_versions_json: not valid JSON" in out and "v(d)" in out


def test_report_output_is_relative_to_the_current_folder(capsys, tmp_path, monkeypatch):
    rc, out, err = _cli(capsys, "report", "--output", "my.html", "--workflow-dir", str(ROOT),
                        "--print-command", cwd=tmp_path, monkeypatch=monkeypatch)
    assert rc == 0, err
    cmd = out.split()
    assert cmd[cmd.index("--report") + 1] == str(tmp_path / "my.html")
