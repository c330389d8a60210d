# Helpers shared by every stage (config validation, the results and report folders, log and
# benchmark paths, code versions, canonical params). Each stage keeps its own constants and
# input functions beside its rule file, in workflow/rules/inputs/<stage>.smk.
import json
import os
import time
from pathlib import Path

from shallownc import codehash
from shallownc import config as sncconfig
from shallownc import runinfo
from shallownc import integrity
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
# The config files of this run, for the report's run summary only: passed through the
# environment, not as a param, so naming the same settings in another file re-runs nothing.
os.environ[runinfo.CONFIGFILES_ENV] = json.dumps(
    [str(p) for p in workflow.config_settings.configfiles] or ["config.yaml"]
)
# Software environment declared by every rule (used with --use-conda).
CONDA_ENV = "../envs/shallownc.yaml"

RESULTS = config["results_dir"]
REPORTS = config["report_dir"]
# Job logs and timings live in the results folder they belong to (issue 24): a second config
# with another results_dir keeps its own, and the run summary times this folder's jobs only.
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"
# When this Snakemake invocation started (inherited by its jobs): the run summary sums the
# timings of the jobs of this run, not of earlier runs.
os.environ.setdefault(runinfo.RUN_STARTED_ENV, repr(time.time()))


def log_path(name):
    """The log file ``name`` (with wildcards) of a rule, under <results_dir>/logs/."""
    return f"{LOGS}/{name}"


def bench_path(name):
    """The benchmark file ``name`` of a rule, under <results_dir>/benchmarks/."""
    return f"{BENCHMARKS}/{name}"


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
    """A config section ("a" or "a.b") without its parallelism/logging knobs
    (sncconfig.RUNTIME_KNOBS): those never change a result, so they must not trigger re-runs;
    scripts read them from the config (sncconfig.runtime_knobs)."""
    knobs = sncconfig.RUNTIME_KNOBS.get(section, ())
    node = sncconfig.section(config, section)
    return canonical({k: v for k, v in node.items() if k not in knobs})


SOLVER = result_settings("solver")
