# Stage 8b — the paper's training figures (Figures 3-6) and theorem panels (Theorem 6, Theorems 7-8):
# shallownc.paper (training, theorems, kernels); reports/paper.md.
# Targets: fig3 fig4 fig5 fig6 theorem6 theorem78, and `paper` (all paper figures, with fig1
# fig2 of workflow/rules/paper_lp.smk where paper.fig1 / paper.fig2 are configured).
# Jobs (one rule, paper_train_job): Figure 3 one per (d, sigma) cell (its trials batched),
# Figure 6 one per d1; Figures 4-5 select sigma from Figure 3's runs. Checkpoints in
# paper.train.checkpoint_dir (outside every output).


# Constants and input functions: inputs/paper_training.smk (this stage only).
include: "inputs/paper_training.smk"


rule paper_train_job:
    output:
        _paper_table.training_part(RESULTS),
    log:
        log_path(_paper_table.log("{fig}_{part}.log")),
    benchmark:
        bench_path(_paper_table.log("{fig}_{part}.tsv"))
    wildcard_constraints:
        fig="|".join(PAPER_TRAINED_FIGS),
        part="|".join(_paper_table.PART_PATTERN.values()),
    conda:
        CONDA_ENV
    threads: PAPER["train"]["threads"]
    resources:
        mem_mb=paper_train_mem_mb,
        runtime=1440,
        gpu=PAPER["train"]["gpus_per_job"],
    params:
        fig=paper_train_settings,
        cell=paper_train_cell,
        train=PAPER_TRAIN,
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/paper_train.py"),
    script:
        "../scripts/paper_train.py"


rule paper_combine:
    input:
        paper_train_parts,
    output:
        _paper_table.result(RESULTS),
    log:
        log_path(_paper_table.log("{fig}.combine.log")),
    wildcard_constraints:
        fig="|".join(PAPER_TRAINED_FIGS),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        dims=paper_train_dims,
        code=code_version("../scripts/paper_combine.py"),
    script:
        "../scripts/paper_combine.py"


rule paper_fig45:
    input:
        _paper_table.result(RESULTS, "fig3"),
    output:
        _paper_table.result(RESULTS),
    log:
        log_path(_paper_table.log("{fig}.select.log")),
    wildcard_constraints:
        fig="fig4|fig5",
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        sigma=paper_fig45_sigma,
        figure=paper_fig45_title,
        code=code_version("../scripts/paper_select_sigma.py"),
    script:
        "../scripts/paper_select_sigma.py"


rule paper_theorem:
    output:
        _paper_table.result(RESULTS),
    log:
        log_path(_paper_table.log("{fig}.log")),
    benchmark:
        bench_path(_paper_table.log("{fig}.tsv"))
    wildcard_constraints:
        fig="theorem6|theorem78",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=8000,
        runtime=240,
    params:
        cfg=paper_theorem_settings,
        fig6=canonical(PAPER["fig6"]),
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/paper_theorem.py"),
    script:
        "../scripts/paper_theorem.py"


rule paper_figure:
    input:
        _paper_table.result(RESULTS),
    output:
        report(
            _paper_table.figure(REPORTS),
            caption="../report/paper_figure.rst",
            category="Paper figures",
            labels=_paper_table.report_labels_of,
        ),
    log:
        log_path("figures/paper_{fig}.log"),
    wildcard_constraints:
        fig="|".join(PAPER_FIGS),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code_version("../scripts/paper_plot.py"),
    script:
        "../scripts/paper_plot.py"


# Targets only (no output): `snakemake fig3` etc. build one figure, `snakemake paper` all.
for _fig in PAPER_FIGS:

    rule:
        name:
            _fig
        input:
            _paper_table.targets(RESULTS, REPORTS, [_fig]),
        localrule: True


rule paper:
    input:
        _paper_table.targets(RESULTS, REPORTS, PAPER_FIGS),
        PAPER_LP_TARGETS,
    localrule: True


# The paper's Figure 3 cells at the paper's length, committed runs (issue 26): their table and
# their figure beside the paper's Figures 3-5 (no training: default target of every run).
rule paper_length:
    input:
        cells=PAPER_LENGTH_CELLS,
        paper=PAPER_LENGTH_PAPER_CSV,
    output:
        png=report(
            _paper_table.figure(REPORTS, _paper_table.PAPER_LENGTH_KEY),
            caption="../report/paper_length.rst",
            category="Paper figures",
            labels={"figure": "fig3 at the paper's length (committed runs)"},
        ),
        csv=_paper_table.table_csv(RESULTS, _paper_table.PAPER_LENGTH_KEY),
    log:
        log_path("figures/paper_length.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code_version("../scripts/paper_length.py"),
    script:
        "../scripts/paper_length.py"


if not PAPER_LENGTH_CELLS:
    raise ValueError(
        f"no committed paper-length runs in {PAPER_LENGTH_DIR}/cells (a checkout without "
        "reports/runs/fig3_paper_length/cells/*.nc: restore it with git checkout)"
    )
ALL_TARGETS += rules.paper_length.output
