# Stage 5 — certified training verdicts (issue 12; shallownc.verdict, reports/training.md
# "Certified verdicts"). The gap F_net - F* to the UPFM optimum, judged against the class-LP
# status: reached / stalled / undecided, never "reached" where the LP proves infeasibility.
# Jobs: one per d/n of the study grid, one per variant (each ~1.6 s of torch import), the
# verdicts of the training stage's theory experiment, a combine and a plot step.
# Target: `snakemake verdict` (with --configfile presets/paper.yaml: the paper-scale study).


# Constants and input functions: inputs/verdict.smk (this stage only).
include: "inputs/verdict.smk"


rule verdict_job:
    output:
        f"{RESULTS}/verdict/{{kind}}/{{job}}.nc",
    log:
        log_path("verdict/{kind}_{job}.log"),
    benchmark:
        bench_path("verdict/{kind}_{job}.tsv")
    wildcard_constraints:
        kind="grid|variants",
        job=r"[a-z][a-z0-9_.e+-]*",
    conda:
        CONDA_ENV
    threads: VERDICT["threads"]
    resources:
        mem_mb=4000,
        runtime=600,
        gpu=VERDICT["gpus_per_job"],
    params:
        cfg=VERDICT_JOB,
        job=verdict_job,
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/verdict_job.py"),
    script:
        "../scripts/verdict_job.py"


rule verdict_combine:
    input:
        grid=expand(rules.verdict_job.output[0], kind="grid", job=VERDICT_GRID_JOBS),
        variants=expand(
            rules.verdict_job.output[0], kind="variants", job=VERDICT_VARIANTS
        ),
    output:
        study=f"{RESULTS}/verdict/study.nc",
        variants=f"{RESULTS}/verdict/variants.nc",
        table=f"{RESULTS}/verdict/study_table.csv",
        cells=f"{RESULTS}/verdict/study_cells.csv",
        recipes=f"{RESULTS}/verdict/recipes.csv",
    log:
        log_path("verdict/combine.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code_version("../scripts/verdict_combine.py"),
    script:
        "../scripts/verdict_combine.py"


rule verdict_theory:
    input:
        rules.combine_training_theory.output[0],
    output:
        nc=f"{RESULTS}/verdict/theory.nc",
        table=f"{RESULTS}/verdict/theory_table.csv",
    log:
        log_path("verdict/theory.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        cfg=canonical({k: VERDICT[k] for k in ("tolerance_factor", "stall_slope")}),
        code=code_version("../scripts/verdict_theory.py"),
    script:
        "../scripts/verdict_theory.py"


rule plot_verdict:
    input:
        study=rules.verdict_combine.output.study,
        variants=rules.verdict_combine.output.variants,
        theory=[rules.verdict_theory.output.nc] if VERDICT["theory"] else [],
    output:
        **{
            k: report(
                f"{FIG_VERDICT}/{f}",
                caption=f"../report/{c}",
                category="Verdicts",
                labels={
                    "entry": f"verdict {k}",
                    "paper": "beyond the paper (Theorem 3 on trained nets)",
                },
            )
            for k, (f, c) in VERDICT_FIGS.items()
        },
    log:
        log_path("verdict/plot.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code_version("../scripts/verdict_plot.py"),
    script:
        "../scripts/verdict_plot.py"


VERDICT_TARGETS = (
    list(rules.verdict_combine.output)
    + list(rules.plot_verdict.output)
    + (list(rules.verdict_theory.output) if VERDICT["theory"] else [])
)


# Target only (no output): `snakemake verdict` builds the verdict stage.
rule verdict:
    input:
        VERDICT_TARGETS,
    localrule: True


if VERDICT["enabled"]:
    ALL_TARGETS += VERDICT_TARGETS
