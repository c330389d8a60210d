# Stage 8a — the paper's Figures 1-2 (verified class LPs on the paper's (d, sigma) grids), config
# blocks paper.fig1 / paper.fig2 (workflow/schemas/paper.schema.yaml). Targets: fig1, fig2.
# One job per (figure, panel, d, block of trials), or per (figure, panel, block of trials) with
# search: bisect_d; how cells share noise draws: paper.figN.search (schema).


# Constants and input functions: inputs/paper_lp.smk (this stage only).
include: "inputs/paper_lp.smk"


rule paper_lp_job:
    output:
        _paper_table.lp_job(RESULTS),
    log:
        log_path(_paper_table.log("{fig}/{panel}/{job}.log")),
    benchmark:
        bench_path(_paper_table.log("{fig}/{panel}/{job}.tsv"))
    wildcard_constraints:
        fig="fig[12]",
        panel=r"[a-z0-9.]+",
        job=r"(d\d+_)?t\d+-\d+",
    conda:
        CONDA_ENV
    threads: config["solver"]["workers"]
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        grid=paper_lp_grid_params,
        classes=paper_lp_classes,
        seed=config["seed"],
        solver=SOLVER,
        code=code_version("../scripts/paper_lp_job.py"),
    script:
        "../scripts/paper_lp_job.py"


rule paper_lp_combine:
    input:
        paper_lp_job_files,
    output:
        _paper_table.result(RESULTS),
    log:
        log_path(_paper_table.log("{fig}.combine.log")),
    wildcard_constraints:
        fig="fig[12]",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        block=paper_lp_settings,
        code=code_version("../scripts/paper_lp_combine.py"),
    script:
        "../scripts/paper_lp_combine.py"


rule paper_lp_figure:
    input:
        rules.paper_lp_combine.output[0],
    output:
        report(
            _paper_table.figure(REPORTS),
            caption="../report/paper_lp.rst",
            category="Paper figures",
            labels=_paper_table.report_labels_of,
        ),
    log:
        log_path(_paper_table.log("{fig}.figure.log")),
    wildcard_constraints:
        fig="fig[12]",
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_paper_lp.py"),
    script:
        "../scripts/plot_paper_lp.py"


# Targets only (no output): `snakemake fig1` / `fig2` (a clear error if not configured).
for _fig in _paper_table.LP_KEYS:

    rule:
        name:
            _fig
        input:
            paper_lp_figure_targets(_fig) if _fig in PAPER_LP else paper_lp_missing,
        localrule: True


ALL_TARGETS += PAPER_LP_TARGETS
