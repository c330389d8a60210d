# Helpers shared by the rule files (no rules here).
import hashlib
import os
import json
from pathlib import Path

import shallownc
from shallownc import config as sncconfig
from shallownc import phase

# Validate before any job runs: a wrong type, an out-of-range value or an unknown key stops
# here with a message naming the key and what is allowed. Defaults are filled in place.
sncconfig.validate(config, schema_dir=Path(workflow.basedir) / "workflow" / "schemas")

# Scripts import the package from this checkout whatever environment runs them
# (the .venv, a --use-conda environment, a cluster node).
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        p for p in (str(Path(workflow.basedir) / "src"), os.environ.get("PYTHONPATH")) if p
    )
)
# Software environment declared by every rule (used with --use-conda).
CONDA_ENV = "../envs/shallownc.yaml"

RESULTS = config["results_dir"]
REPORTS = config["report_dir"]
# Every stage appends the files `rule all` must build.
ALL_TARGETS = []

_SRC = Path(workflow.basedir) / "src" / "shallownc"


def code_version(*modules):
    """Hash of the package modules a rule runs (passed as a param).

    Snakemake's rerun triggers do not see edits under src/; passing this hash as a param
    makes an edit of a module re-run exactly the rules that use it (params trigger).
    """
    h = hashlib.sha256()
    for m in sorted(set(modules) | {"io"}):
        pkg = _SRC / m
        for f in sorted(pkg.glob("*.py")) if pkg.is_dir() else [_SRC / f"{m}.py"]:
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def as_json(obj):
    """Params are compared by value for rerun triggers; JSON keeps them stable."""
    return json.dumps(obj, sort_keys=True, default=str)



# ---- feasibility grids (workflow/rules/feasibility.smk, figures.smk, bounds.smk)
GRIDS = phase.grids_from_config(config)
TRIALS_PER_JOB = config["feasibility"]["trials_per_job"]


def feasibility_jobs(grid):
    return GRIDS[grid].jobs(TRIALS_PER_JOB)


def job_grid_params(wildcards):
    """The grid's parameters without its d list and trial count: those are in the job name,
    so adding or changing one d value (or trials) leaves the other jobs' params unchanged."""
    spec = GRIDS[wildcards.grid].as_dict()
    return as_json({k: v for k, v in spec.items() if k not in ("d", "trials")})


def grid_data_inputs(wildcards):
    return [f"{RESULTS}/data/digits.nc"] if GRIDS[wildcards.grid].source == "digits" else []


wildcard_constraints:
    grid=r"[a-z][a-z0-9_]*",
    name=r"[a-z][a-z0-9_]*",
