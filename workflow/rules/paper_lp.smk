# The paper's Figures 1-2 (verified class LPs on the paper's (d, sigma) grids), config
# blocks paper.fig1 / paper.fig2 (workflow/schemas/paper.schema.yaml). Targets: fig1, fig2.
# One job per (figure, panel, d, block of trials); all sigma of a (d, trial) share their noise.

PAPER_LP = {
    f: config.get("paper", {})[f]
    for f in ("fig1", "fig2")
    if f in config.get("paper", {})
}
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
    return as_json({k: v for k, v in spec.items() if k not in drop})


def paper_lp_classes(wildcards):
    return as_json(list(phase.paper_classes(paper_lp_block(wildcards.fig))))


rule paper_lp_job:
    output:
        f"{RESULTS}/paper/jobs/{{fig}}/{{panel}}/{{job}}.nc",
    log:
        "logs/paper/{fig}/{panel}/{job}.log",
    benchmark:
        "benchmarks/paper/{fig}/{panel}/{job}.tsv"
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
        solver=as_json(config["solver"]),
        code=code_version("data", "feasibility", "phase", "grid", "sweep"),
    script:
        "../scripts/paper_lp_job.py"


rule paper_lp_combine:
    input:
        paper_lp_job_files,
    output:
        f"{RESULTS}/paper/{{fig}}.nc",
    log:
        "logs/paper/{fig}.combine.log",
    wildcard_constraints:
        fig="fig[12]",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        block=lambda wc: as_json(paper_lp_block(wc.fig)),
        code=code_version("bounds", "phase", "grid", "sweep"),
    script:
        "../scripts/paper_lp_combine.py"


rule paper_lp_figure:
    input:
        f"{RESULTS}/paper/{{fig}}.nc",
    output:
        report(
            f"{REPORTS}/figures/paper/{{fig}}.png",
            caption="../report/paper_lp.rst",
            category="Paper figures",
            labels={"figure": "{fig}"},
        ),
    log:
        "logs/paper/{fig}.figure.log",
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
        code=code_version("figures/__init__", "figures/paper_lp"),
    script:
        "../scripts/plot_paper_lp.py"


def paper_lp_figure_targets(fig):
    """The NetCDF and the drawing of one figure (a clear error if it is not configured)."""
    paper_lp_block(fig)
    return [f"{RESULTS}/paper/{fig}.nc", f"{REPORTS}/figures/paper/{fig}.png"]


# Target rules (no output: they name what `snakemake fig1` / `fig2` builds; the log lists it).
for _fig in ("fig1", "fig2"):

    rule:
        name:
            _fig
        input:
            lambda wc, f=_fig: paper_lp_figure_targets(f),
        log:
            f"logs/paper/target_{_fig}.log",
        localrule: True
        conda:
            CONDA_ENV
        threads: 1
        resources:
            mem_mb=100,
            runtime=1,
        shell:
            "echo {input} > {log}"


ALL_TARGETS += PAPER_LP_TARGETS
