# shallownc — when does neural collapse happen in shallow ReLU networks?
# Reproduction and extension of Hong & Ling, arXiv 2409.01832. Read as a table of contents:
# every stage has its own rule file under workflow/rules/, every rule a thin script over the
# installed package src/shallownc/. README.md explains how to run it (details: docs/guide.md).

from snakemake.utils import min_version

from shallownc import config as sncconfig
from shallownc import progress

min_version("9.0")


# config.yaml is the default. --configfile files (merged in order) and --config values are
# layered on it, unless they say `base: schema` (complete configs: the presets), which replaces
# it (docs/guide.md "Overrides"; shallownc.config.layered). --config takes dotted keys
# (training.dynamics.train.lr=0.1) and typed nested values.
if not workflow.config_settings.configfiles:
    # a YAML syntax error: one line naming the file and the line (Snakemake's names neither)
    sncconfig.read_yaml_or_exit("config.yaml")

    configfile: "config.yaml"


sncconfig.apply_run_layers(
    config,
    [str(f) for f in workflow.config_settings.configfiles],
    workflow.config_settings.config or {},
)


report: "workflow/report/workflow.rst"


# Helpers and config validation (JSON schema with defaults; no rules in common.smk).
include: "workflow/rules/common.smk"


# Wildcards name grids and experiments (config keys: lower case, digits, underscores).
wildcard_constraints:
    grid=r"[a-z][a-z0-9_]*",
    name=r"[a-z][a-z0-9_]*",


# Before any job starts (not in dry runs): a truncated or corrupt NetCDF file among the results
# stops the run, naming the file and how to rebuild it; nothing is deleted.
# Then the planned work and its estimated time, and every progress_every_s seconds the jobs
# done, a run ETA and each running job's progress (shallownc.progress), in the terminal.
onstart:
    integrity.check_no_placeholders(workflow)
    integrity.check_results_intact(RESULTS, workflow)
    progress.announce(workflow, config["progress_every_s"])


# 1. Data: Gaussian mixtures and the real data set, as NetCDF.
include: "workflow/rules/data.smk"
# 2. Feasibility: verified class LPs and separability over parameter grids, and their figures.
include: "workflow/rules/feasibility.smk"
# 3. Theory curves: union bound, Gordon comparison, predicted boundary, random features.
include: "workflow/rules/bounds.smk"
# 4. Training: two- and three-layer ReLU nets with NC metrics over time.
include: "workflow/rules/training.smk"
# 5. Certified verdicts: did training reach the collapsed global minimizer?
include: "workflow/rules/verdict.smk"
# 6. Unconstrained positive feature model and the bridge to the network.
include: "workflow/rules/upfm.smk"
# 7. Generalization: NC versus test error as the SNR falls.
include: "workflow/rules/generalization.smk"
# 8a. The paper's Figures 1-2 (targets fig1, fig2; before 8b's `paper`).
include: "workflow/rules/paper_lp.smk"
# 8b. The paper's training figures (Figures 3-6) and theorem panels.
include: "workflow/rules/paper_training.smk"
# 9. Imbalanced classes (issue 21): target `imbalance`.
include: "workflow/rules/imbalance.smk"
# 10. The report's tables and run summary (last: it lists every target above).
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,
    localrule: True
