# Helpers shared by the rule files, no rules here. Validation, params, input functions.
import json
import os
import time
from pathlib import Path

from shallownc import codehash
from shallownc.class_sizes import dimension
from shallownc import config as sncconfig
from shallownc import phase
from shallownc import bridge as _bridge
from shallownc import generalization as _gen
from shallownc import paper_figures as _paper_figures
from shallownc import paper_training as _paper_training
from shallownc import random_features as _rf
import sys

from shallownc import runinfo
from shallownc import imbalance as _imbalance
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


# ---- feasibility grids (workflow/rules/feasibility.smk, figures.smk, bounds.smk)
GRIDS = phase.grids_from_config(config)
TRIALS_PER_JOB = config["feasibility"]["trials_per_job"]


def feasibility_jobs(grid):
    return GRIDS[grid].jobs(TRIALS_PER_JOB)


def job_grid_params(wildcards):
    """The grid's parameters without its d list and trial count: those are in the job name,
    so adding or changing one d value (or trials) leaves the other jobs' params unchanged.
    """
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


# ---- stage 1. data (data.smk)
def example_spec(wildcards):
    """The data.examples entry of one example."""
    return canonical(config["data"]["examples"][wildcards.name])


# ---- stage 3. theory curves (bounds.smk)
BOUND_GRIDS = [
    g for g, spec in GRIDS.items() if spec.source == "gmm" and spec.geometry != "random"
]
BOUND_PHASE = [g for g in BOUND_GRIDS if GRIDS[g].kind == "phase"]
BOUND_NOISE = [g for g in BOUND_GRIDS if GRIDS[g].kind == "pure_noise"]
RF_SETTINGS = _rf.settings_from_config(config)
BOUNDS_CFG = canonical(
    {k: v for k, v in config["bounds"].items() if k != "random_features"}
)
FIG_BOUNDS = f"{REPORTS}/figures/bounds"


def rf_setting(wildcards):
    """One bounds.random_features setting (its widths resolved)."""
    return canonical(RF_SETTINGS[wildcards.name].as_dict())


# ---- stage 4. training (training.smk)
TRAIN_CFG = config["training"]
TRAIN_EXPERIMENTS = ("dynamics", "theory", "three_layer", "regularization")
# settings shared by every experiment (device, dtype, ...), without the runtime knobs
TRAIN_GLOBAL = {
    k: v for k, v in result_settings("training").items() if k not in TRAIN_EXPERIMENTS
}
THEORY_JOBS = {f"dn{r:g}": r for r in TRAIN_CFG["theory"]["d_over_n"]}


def train_job(wildcards):
    """What one training job runs: a single-job experiment (job = its name) or one d/n value
    of experiment 2 (job theory/dn<r>)."""
    if wildcards.job.startswith("theory/"):
        return {"experiment": "theory", "d_over_n": THEORY_JOBS[wildcards.job[7:]]}
    return {"experiment": wildcards.job}


def train_job_settings(wildcards):
    """The shared settings and the section of the job's experiment (no other experiment's);
    a theory job's section without the d/n list: each job's own value is in its job param, so
    adding or changing one d/n value re-runs only that job."""
    exp = train_job(wildcards)["experiment"]
    section = TRAIN_CFG[exp]
    if exp == "theory":
        section = {k: v for k, v in section.items() if k != "d_over_n"}
    return canonical({**TRAIN_GLOBAL, exp: section})


def training_result(experiment):
    """The NetCDF file of one single-job experiment (rule train_job)."""
    return expand(rules.train_job.output[0], job=experiment)[0]


# ---- stage 5. UPFM and the bridge (upfm.smk)
UPFM = config["upfm"]
UPFM_LOSSES = UPFM["sweep"]["losses"]
BRIDGE_GRIDS = _bridge.grids_from_config(UPFM)
BRIDGE_GRIDS_CFG = UPFM["bridge"]["grids"]
FIG_UPFM = f"{REPORTS}/figures/upfm"
# The part of the upfm config one bridge job uses (its own grid only).
UPFM_BRIDGE_COMMON = {k: UPFM[k] for k in ("mse_scale", "lambda_ratio")}
UPFM_SWEEP = canonical(
    {k: UPFM[k] for k in ("solver", "mse_scale", "lambda_ratio")}
    | {"sweep": {k: v for k, v in UPFM["sweep"].items() if k != "losses"}}
)
UPFM_GRAM = canonical(
    {k: UPFM[k] for k in ("gram", "solver", "mse_scale", "lambda_ratio")}
)


def bridge_settings(wildcards):
    """Only this grid's entry: editing another grid does not re-run this job."""
    return canonical(
        UPFM_BRIDGE_COMMON
        | {
            "bridge": UPFM["bridge"]
            | {"grids": {wildcards.grid: BRIDGE_GRIDS_CFG[wildcards.grid]}}
        }
    )


# ---- stage 6. generalization (generalization.smk)
GEN = config["generalization"]
GEN_EXPERIMENTS = GEN["experiments"]


def gen_experiment(wildcards):
    """One generalization.experiments entry (its trained block without the runtime knobs,
    which never change a result)."""
    exp = GEN_EXPERIMENTS[wildcards.name]
    return canonical(exp | {"trained": _gen.result_settings(exp["trained"])})


def gen_theory_parts(wildcards):
    """The theory job outputs of one experiment (one per d)."""
    return expand(
        rules.generalization_theory.output[0],
        name=wildcards.name,
        d=_gen.job_d_values(GEN_EXPERIMENTS[wildcards.name], "theory"),
    )


def gen_trained_parts(wildcards):
    """The training job outputs of one experiment (one per trained d; none if disabled)."""
    return expand(
        rules.generalization_trained.output[0],
        name=wildcards.name,
        d=_gen.job_d_values(GEN_EXPERIMENTS[wildcards.name], "trained"),
    )


# ---- stage 7. feasibility figures (figures.smk)
PHASE_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "phase"]
NOISE_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "pure_noise"]
REAL_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "real"]
FIG_FEAS = f"{REPORTS}/figures/feasibility"


# ---- stage 4b. certified training verdicts (verdict.smk)
VERDICT = config["verdict"]
VERDICT_STUDY = VERDICT["study"]
VERDICT_GRID_JOBS = {f"dn{r:g}": r for r in VERDICT_STUDY["d_over_n"]}
VERDICT_VARIANTS = {v["name"]: v for v in VERDICT_STUDY["variants"]["list"]}
# what every study job uses, without the d/n list and the variant list (job names carry them)
VERDICT_COMMON = {
    k: v
    for k, v in result_settings("verdict").items()
    if k not in ("study", "theory", "enabled")
}
VERDICT_STUDY_JOB = {k: v for k, v in VERDICT_STUDY.items() if k not in ("d_over_n",)}
VERDICT_STUDY_JOB["variants"] = {
    k: v for k, v in VERDICT_STUDY["variants"].items() if k != "list"
}
VERDICT_JOB = canonical({**VERDICT_COMMON, "study": VERDICT_STUDY_JOB})
FIG_VERDICT = f"{REPORTS}/figures/verdict"
VERDICT_FIGS = {
    "table": ("verdict_table.png", "verdict_table.rst"),
    "study": ("study.png", "verdict_study.rst"),
    "gaps": ("gaps.png", "verdict_gaps.rst"),
    "variants": ("variants.png", "verdict_variants.rst"),
    "sharpness": ("sharpness.png", "verdict_sharpness.rst"),
    "recipes": ("recipes.png", "verdict_recipes.rst"),
}


def verdict_job(wildcards):
    """What one verdict study job trains: a d/n row of the grid (job dn<r>) or one
    verdict.study.variants.list entry (job <name>)."""
    if wildcards.kind == "grid":
        return {"kind": "grid", "d_over_n": VERDICT_GRID_JOBS[wildcards.job]}
    return {"kind": "variant", "variant": canonical(VERDICT_VARIANTS[wildcards.job])}


# ---- stage 6a. the paper's Figures 1-2 (paper_lp.smk)
PAPER_LP = {f: config["paper"][f] for f in ("fig1", "fig2") if f in config["paper"]}
PAPER_LP_GRIDS = {f: phase.paper_grids(f, b) for f, b in PAPER_LP.items()}
PAPER_LP_TARGETS = [
    p
    for f in PAPER_LP
    for p in (f"{RESULTS}/paper/{f}.nc", f"{REPORTS}/figures/paper/{f}.png")
]


def paper_lp_block(fig):
    if fig not in PAPER_LP:
        raise ValueError(
            f"paper.{fig} is not configured; run with --configfile presets/paper.yaml"
        )
    return PAPER_LP[fig]


def paper_lp_missing(wildcards):
    """Input of the fig1/fig2 target when that figure is not configured: a clear error."""
    raise ValueError(
        "paper.fig1/fig2 not configured; run with --configfile presets/paper.yaml"
    )


def paper_lp_figure_targets(fig):
    """The NetCDF and the drawing of one figure."""
    paper_lp_block(fig)
    return [f"{RESULTS}/paper/{fig}.nc", f"{REPORTS}/figures/paper/{fig}.png"]


def paper_lp_job_files(wildcards):
    block = paper_lp_block(wildcards.fig)
    return [
        f"{RESULTS}/paper/jobs/{wildcards.fig}/{panel}/{job}.nc"
        for panel, grid in PAPER_LP_GRIDS[wildcards.fig].items()
        for job in grid.jobs(block["trials_per_job"])
    ]


def paper_lp_grid_params(wildcards):
    """The panel's grid without its trial count and (unless nested in d, where every job
    covers every d) its d list: both are in the job name."""
    paper_lp_block(wildcards.fig)
    spec = PAPER_LP_GRIDS[wildcards.fig][wildcards.panel].as_dict()
    drop = ("trials",) if spec["nested_d"] else ("d", "trials")
    return canonical({k: v for k, v in spec.items() if k not in drop})


def paper_lp_classes(wildcards):
    return list(phase.paper_classes(paper_lp_block(wildcards.fig)))


def paper_lp_settings(wildcards):
    """The paper.fig1 or paper.fig2 block."""
    return canonical(paper_lp_block(wildcards.fig))


def paper_report_labels(wildcards):
    """Report labels of one paper figure (shallownc.paper_figures)."""
    return _paper_figures.report_labels(wildcards.fig)


# ---- stage 6b. the paper's training figures and theorem panels (paper_training.smk)
PAPER = config["paper"]
PAPER_TRAIN = result_settings("paper.train")
PAPER_FIG3_D = sorted(
    {dimension(r, PAPER["fig3"]["n"]) for r in PAPER["fig3"]["d_over_n"]}
)
PAPER_FIG6_D1 = _paper_training.fig6_widths(
    PAPER["fig6"],
    10 * (PAPER["fig6"]["n_per_class"] or _paper_training.DIGITS_MIN_CLASS),
)
PAPER_FIGS = ["fig3", "fig4", "fig5", "fig6", "theorem6", "theorem78"]


# the two training figures: the wildcard of their jobs, its values, the combine dim, memory
PAPER_JOBS = {
    "fig3": {"job": [f"d{d}" for d in PAPER_FIG3_D], "dim": "d", "mem_mb": 4000},
    "fig6": {"job": [f"d1_{d1}" for d1 in PAPER_FIG6_D1], "dim": "d1", "mem_mb": 8000},
}


def paper_parts(wildcards):
    """The per-job outputs of Figure 3 (one per d) or Figure 6 (one per d1)."""
    return expand(
        rules.paper_train_job.output[0],
        figure=wildcards.figure,
        job=PAPER_JOBS[wildcards.figure]["job"],
    )


def paper_job_figure(wildcards):
    """The figure's config block without the list its jobs are cut along."""
    cut = {"fig3": "d_over_n", "fig6": "d1_over_N"}[wildcards.figure]
    return canonical({k: v for k, v in PAPER[wildcards.figure].items() if k != cut})


def paper_job_dim(wildcards):
    return PAPER_JOBS[wildcards.figure]["dim"]


def paper_job_mem_mb(wildcards):
    return PAPER_JOBS[wildcards.figure]["mem_mb"]


def paper_fig45_sigma(wildcards):
    """The sigma of Figure 3's runs that Figure 4 (or 5) shows."""
    return PAPER["fig3"][f"{wildcards.fig}_sigma"]


def paper_fig45_title(wildcards):
    return f"Figure {wildcards.fig[-1]}"


def paper_theorem_settings(wildcards):
    """The paper.theorem6 or paper.theorem78 section."""
    return canonical(PAPER[wildcards.fig])


# ---- stage 8. the report's tables and run summary (report.smk)
# CSV tables shown in the report: name -> (csv, title, category, subcategory).
_REPORT_TABLES = {
    "bounds_summary": (
        f"{RESULTS}/bounds/summary.csv",
        "Validation of the theory curves (capture shares, 50% gaps, soundness)",
        "Theory curves",
        "Validation",
    ),
    "verdict_theory": (
        f"{RESULTS}/verdict/theory_table.csv",
        "Theory experiment: runs by LP status and certified verdict",
        "Verdicts",
        "Tables",
    ),
    "verdict_study": (
        f"{RESULTS}/verdict/study_table.csv",
        "Verdict study: runs by LP status and certified verdict",
        "Verdicts",
        "Tables",
    ),
    "verdict_cells": (
        f"{RESULTS}/verdict/study_cells.csv",
        "Verdict study per (d/n, sigma) cell: verdict counts, sharpness, eta*, lr, end-point "
        "diagnostics",
        "Verdicts",
        "Tables",
    ),
    "verdict_recipes": (
        f"{RESULTS}/verdict/recipes.csv",
        "Per recipe: LP-feasible runs reached / unstable step / oscillating / stationary not "
        "global / still moving, LP-infeasible runs",
        "Verdicts",
        "Tables",
    ),
}


def report_tables(targets):
    """The tables whose CSV this run builds."""
    return {k: v for k, v in _REPORT_TABLES.items() if v[0] in targets}


def report_table_csv(wildcards):
    return _REPORT_TABLES[wildcards.table][0]


def report_table_title(wildcards):
    return _REPORT_TABLES[wildcards.table][1]


def report_table_category(wildcards):
    return _REPORT_TABLES[wildcards.table][2]


def report_table_subcategory(wildcards):
    return _REPORT_TABLES[wildcards.table][3]


def report_table_labels(wildcards):
    return {"entry": f"table: {_REPORT_TABLES[wildcards.table][1]}"}


# ---- stage 9. imbalanced classes (imbalance.smk)
IMB = config["imbalance"]
IMB_PANELS = IMB["phase"]["panels"]
try:  # cross-checks the schema cannot express: one line naming the key, no traceback
    _imbalance.check_config(IMB)
except ValueError as _exc:
    sys.exit(f"error: {_exc}")
IMB_GROUPS = [f"{a}_{b}" for a, b in IMB["threshold"]["groups"]]
FIG_IMB = f"{REPORTS}/figures/imbalance"


def imbalance_panel(wildcards):
    """Only this panel's entry: editing another panel does not re-run this job."""
    return canonical(IMB_PANELS[wildcards.panel])
