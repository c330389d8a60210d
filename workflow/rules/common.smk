# Helpers shared by the rule files (no rules here): validation, paths, params, input functions.
import os
from pathlib import Path

from shallownc import codehash
from shallownc import config as sncconfig
from shallownc import phase
from shallownc import smk as _smk
from snakemake.logging import logger

# Validate before any job runs: a wrong type, an out-of-range value, an unknown key, an empty
# list or an output folder outside the working directory stops here with a message naming the
# key and what is allowed. Defaults are filled in place; sections left out are logged.
for _line in sncconfig.validate_or_exit(config):
    logger.warning(_line)

# Scripts import the package from this checkout whatever environment runs them
# (the .venv, a --use-conda environment, a cluster node).
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        p
        for p in (str(Path(workflow.basedir) / "src"), os.environ.get("PYTHONPATH"))
        if p
    )
)
# Software environment declared by every rule (used with --use-conda).
CONDA_ENV = "../envs/shallownc.yaml"

RESULTS = config["results_dir"]
REPORTS = config["report_dir"]
# Every stage appends the files `rule all` must build.
ALL_TARGETS = []

_SRC = Path(workflow.basedir) / "src"
_RULES = Path(workflow.basedir) / "workflow" / "rules"


def code_version(script):
    """Hash of a rule's script and of every package module it imports, transitively, without
    comments and docstrings (shallownc.codehash). Passed as the param `code`, it re-runs a rule
    exactly when code it runs changes; give the same path as the rule's `script:`."""
    return codehash.code_hash(_RULES / script, _SRC)


def canonical(obj):
    """A param value whose repr does not depend on key order (Snakemake compares params by
    repr): dicts with sorted keys, tuples as lists, recursively."""
    if isinstance(obj, dict):
        return {str(k): canonical(obj[k]) for k in sorted(obj, key=str)}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    return obj


def result_settings(section):
    """A config section without its parallelism/logging knobs (sncconfig.RUNTIME_KNOBS): those
    never change a result, so they must not trigger re-runs; scripts read them from config."""
    knobs = sncconfig.RUNTIME_KNOBS.get(section, ())
    return canonical({k: v for k, v in config[section].items() if k not in knobs})


SOLVER = result_settings("solver")


# Before any job starts (not in dry runs): a truncated or corrupt NetCDF file among the results
# stops the run, naming the file and how to rebuild it; nothing is deleted.
onstart:
    _smk.check_results_intact(RESULTS, workflow)


# ---- feasibility grids (workflow/rules/feasibility.smk, figures.smk, bounds.smk)
GRIDS = phase.grids_from_config(config)
TRIALS_PER_JOB = config["feasibility"]["trials_per_job"]


def feasibility_jobs(grid):
    return GRIDS[grid].jobs(TRIALS_PER_JOB)


def job_grid_params(wildcards):
    """The grid's parameters without its d list and trial count: those are in the job name,
    so adding or changing one d value (or trials) leaves the other jobs' params unchanged."""
    spec = GRIDS[wildcards.grid].as_dict()
    return canonical({k: v for k, v in spec.items() if k not in ("d", "trials")})


def grid_params(wildcards):
    """All parameters of one grid (theory curves use every d value)."""
    return canonical(GRIDS[wildcards.grid].as_dict())


def grid_data_inputs(wildcards):
    """The real data set, for grids drawn from it; nothing for Gaussian mixtures."""
    if GRIDS[wildcards.grid].source == "digits":
        return rules.digits_data.output
    return []


def grid_job_outputs(wildcards):
    """Every job output of one grid (input of its combine step)."""
    return expand(
        rules.solve_feasibility.output[0],
        grid=wildcards.grid,
        job=feasibility_jobs(wildcards.grid),
    )


def feasibility_results(grids):
    """Combined NetCDF file of each grid."""
    return expand(rules.combine_feasibility.output[0], grid=grids)


wildcard_constraints:
    grid=r"[a-z][a-z0-9_]*",
    name=r"[a-z][a-z0-9_]*",
