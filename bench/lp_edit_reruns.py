"""How many jobs does a real edit of the LP engine re-run? (issue 20 item 5)

Copies a tree (default: this checkout; ``--tree`` another one, e.g. an old commit exported with
``git archive``), registers the whole DAG of a config as up to date without running a job
(``--touch --forceall``, as tests/test_incremental.py does), makes a real code edit of
``src/shallownc/feasibility.py`` (a new module constant: its code hash changes) and counts the
jobs a dry run plans, split into the jobs whose own code version changed ("Params have
changed": their script reaches the LP engine, shallownc.codehash) and their downstream jobs.

    PYTHONPATH=src .venv/bin/python bench/lp_edit_reruns.py [--tree DIR] [--config FILE]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def smk(wd: Path, cfg: Path, *args) -> str:
    cmd = [SNAKEMAKE, "-s", str(wd / "Snakefile"), "--directory", str(wd), "--configfile",
           str(cfg), "--cores", "1", "--workflow-profile", "none", *args]
    res = subprocess.run(cmd, cwd=wd, capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{res.stderr[-3000:]}")
    return res.stdout + res.stderr


def planned(text: str) -> list[tuple[str, str]]:
    """(rule, reason) of every job of a dry run, the target rule ``all`` excluded."""
    jobs = []
    for block in re.split(r"\n(?=rule |localrule )", text):
        m = re.match(r"(?:local)?rule (\w+):", block)
        if m and m.group(1) != "all":
            reason = re.search(r"\n\s+reason: (.*)", block)
            jobs.append((m.group(1), reason.group(1) if reason else ""))
    return jobs


def rules_reaching_engine(wd: Path) -> set[str]:
    """Rules whose script reaches shallownc.feasibility through its imports (codehash)."""
    sys.path.insert(0, str(ROOT / "src"))
    from shallownc import codehash

    out = set()
    for smk_file in (wd / "workflow" / "rules").glob("*.smk"):
        for m in re.finditer(r"^rule (\w+):\n(?:(?:[ \t].*)?\n)*?    script:\n\s+\"([^\"]+)\"",
                             smk_file.read_text(), re.M):
            script = (smk_file.parent / m.group(2)).resolve()
            if "shallownc.feasibility" in codehash.module_closure(script, wd / "src"):
                out.add(m.group(1))
    return out


def count(tree: Path, config: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        wd = Path(tmp)
        ign = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
        shutil.copy(tree / "Snakefile", wd / "Snakefile")
        for name in ("workflow", "src", "presets", "profiles"):
            shutil.copytree(tree / name, wd / name, ignore=ign)
        cfg = wd / "cfg.yaml"
        shutil.copy(config, cfg)
        dry = smk(wd, cfg, "-n", "--forceall")
        total = len(planned(dry))
        for line in re.findall(r"\n\s+output: (.*)", dry):
            for out in line.split(", "):
                (wd / out).parent.mkdir(parents=True, exist_ok=True)
                (wd / out).touch()
        smk(wd, cfg, "--touch", "--forceall")
        reach = rules_reaching_engine(wd)
        engine = wd / "src" / "shallownc" / "feasibility.py"
        engine.write_text(engine.read_text() + "\n_EDITED_BY_BENCH = 1\n")
        jobs = planned(smk(wd, cfg, "-n"))
    own = Counter(r for r, why in jobs if "Params have changed" in why)
    down = Counter(r for r, why in jobs if "Params have changed" not in why)
    return {"total": total, "rerun": len(jobs), "own": own, "downstream": down,
            "engine_jobs": Counter(r for r, _ in jobs if r in reach)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=ROOT)
    ap.add_argument("--config", type=Path, default=None,
                    help="config file (default: the tree's presets/tiny.yaml)")
    a = ap.parse_args()
    cfg = a.config or a.tree / "presets" / "tiny.yaml"
    r = count(a.tree.resolve(), cfg.resolve())
    print(f"tree {a.tree}, config {cfg}: DAG {r['total']} jobs; an LP-engine edit re-runs "
          f"{r['rerun']} ({sum(r['own'].values())} for their own code version, "
          f"{sum(r['downstream'].values())} downstream)")
    print(f"  jobs of rules whose script reaches the LP engine: "
          f"{sum(r['engine_jobs'].values())} {dict(sorted(r['engine_jobs'].items()))}")
    print("  own code version:", dict(sorted(r["own"].items())))
    print("  downstream only: ", dict(sorted(r["downstream"].items())))


if __name__ == "__main__":
    main()
