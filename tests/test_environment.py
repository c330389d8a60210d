"""environment.yml (conda) and pyproject.toml (pip) list the same dependencies."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name, where they differ
CONDA_NAME = {"torch": "pytorch"}
CONDA_ONLY = {"python", "pip"}


def _split(spec: str):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_conda_and_pip_dependencies_agree():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pip_specs = pyproject["project"]["dependencies"]
    pip_specs += pyproject["project"]["optional-dependencies"]["test"]
    pip = {CONDA_NAME.get(n, n): v for n, v in map(_split, pip_specs)}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, ver = _split(dep.replace("=", "==", 1) if re.match(r"^[^<>=]+=[^=]", dep) else dep)
            if name not in CONDA_ONLY:
                conda[name] = ver
    assert set(pip) == set(conda), (
        f"only in pyproject: {sorted(set(pip) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pip))}")
    mismatched = {k: (pip[k], conda[k]) for k in pip if pip[k] != conda[k]}
    assert not mismatched, f"version specs differ (pip, conda): {mismatched}"


def test_environment_pins_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_rule_environment_matches_environment_yml():
    root_env = yaml.safe_load((ROOT / "environment.yml").read_text())
    rule_env = yaml.safe_load((ROOT / "workflow" / "envs" / "shallownc.yaml").read_text())
    assert rule_env["dependencies"] == root_env["dependencies"]
    assert rule_env["channels"] == root_env["channels"]


def test_make_clean_covers_every_generated_folder_and_git_ignores_them():
    """`make clean` removes what a run of any preset writes (results, report folders, report
    tables and run summary), and git ignores all of it; the sources in reports/*.md stay."""
    import subprocess

    text = (ROOT / "Makefile").read_text()
    clean = set(re.search(r"^CLEAN := ((?:.*\\\n)*.*)$", text, re.M).group(1)
                .replace("\\\n", " ").split())
    presets = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "presets").glob("*.yaml"))
               if "results_dir" in yaml.safe_load(p.read_text())] + \
        [yaml.safe_load((ROOT / "config.yaml").read_text())]
    assert len(presets) >= 6
    for cfg in presets:
        assert cfg["results_dir"] in clean, cfg["results_dir"]
        assert cfg["report_dir"] == "reports" or cfg["report_dir"] in clean, cfg["report_dir"]
    generated = ["reports/tables", "reports/run_summary.html", "reports/figures"]
    assert set(generated) <= clean
    assert not any(c.endswith(".md") or c == "reports" for c in clean)
    paths = sorted(c if c.endswith((".html", ".zip")) else f"{c}/x" for c in clean)
    res = subprocess.run(["git", "check-ignore", *paths, "reports/paper.md"], cwd=ROOT,
                         capture_output=True, text=True)
    assert sorted(res.stdout.split()) == paths        # every one ignored, reports/paper.md not
