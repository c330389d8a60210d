# Stage 4b — certified training verdicts (issue 12; shallownc.verdict, reports/training.md
# "Certified verdicts"). The gap F_net - F* to the UPFM optimum, judged against the class-LP
# status: reached / stalled / undecided, never "reached" where the LP proves infeasibility.
# Jobs: one per d/n of the study grid, one per variant (each ~1.6 s of torch import), the
# verdicts of the training stage's theory experiment, a combine and a plot step.
# Target: `snakemake verdict` (with --configfile presets/paper.yaml: the paper-scale study).

VERDICT = config["verdict"]
VERDICT_STUDY = VERDICT["study"]
VERDICT_GRID_JOBS = {f"dn{r:g}": r for r in VERDICT_STUDY["d_over_n"]}
VERDICT_VARIANTS = {v["name"]: v for v in VERDICT_STUDY["variants"]["list"]}
if len(VERDICT_VARIANTS) != len(VERDICT_STUDY["variants"]["list"]):
    raise ValueError("verdict.study.variants.list: variant names must be unique, got "
                     f"{[v['name'] for v in VERDICT_STUDY['variants']['list']]}")
VERDICT_CODE = code_version("verdict", "training", "models", "metrics", "data",
                            "feasibility", "upfm", "bridge")
# what every study job uses, without the d/n list and the variant list (job names carry them)
VERDICT_COMMON = {k: v for k, v in VERDICT.items() if k not in ("study", "theory", "enabled")}
VERDICT_STUDY_JOB = {k: v for k, v in VERDICT_STUDY.items() if k not in ("d_over_n",)}
VERDICT_STUDY_JOB["variants"] = {k: v for k, v in VERDICT_STUDY["variants"].items()
                                 if k != "list"}
FIG_VERDICT = f"{REPORTS}/figures/verdict"


rule verdict_grid:
    output:
        f"{RESULTS}/verdict/grid/{{job}}.nc",
    log:
        "logs/verdict/grid_{job}.log",
    benchmark:
        "benchmarks/verdict/grid_{job}.tsv"
    wildcard_constraints:
        job=r"dn[0-9.e+-]+",
    params:
        cfg=as_json({**VERDICT_COMMON, "study": {**VERDICT_STUDY_JOB}}),
        d_over_n=lambda wc: VERDICT_GRID_JOBS[wc.job],
        solver=as_json(config["solver"]),
        seed=config["seed"],
        code=VERDICT_CODE,
    threads: VERDICT["threads"]
    resources:
        mem_mb=4000,
        runtime=600,
        gpu=VERDICT["gpus_per_job"],
    conda:
        CONDA_ENV
    script:
        "../scripts/verdict_train.py"


rule verdict_variant:
    output:
        f"{RESULTS}/verdict/variants/{{variant}}.nc",
    log:
        "logs/verdict/variant_{variant}.log",
    benchmark:
        "benchmarks/verdict/variant_{variant}.tsv"
    wildcard_constraints:
        variant=r"[a-z][a-z0-9_]*",
    params:
        cfg=as_json({**VERDICT_COMMON, "study": {**VERDICT_STUDY_JOB}}),
        variant=lambda wc: as_json(VERDICT_VARIANTS[wc.variant]),
        solver=as_json(config["solver"]),
        seed=config["seed"],
        code=VERDICT_CODE,
    threads: VERDICT["threads"]
    resources:
        mem_mb=4000,
        runtime=600,
        gpu=VERDICT["gpus_per_job"],
    conda:
        CONDA_ENV
    script:
        "../scripts/verdict_train.py"


rule verdict_combine:
    input:
        grid=expand(f"{RESULTS}/verdict/grid/{{job}}.nc", job=VERDICT_GRID_JOBS),
        variants=expand(f"{RESULTS}/verdict/variants/{{v}}.nc", v=VERDICT_VARIANTS),
    output:
        study=f"{RESULTS}/verdict/study.nc",
        variants=f"{RESULTS}/verdict/variants.nc",
        table=f"{RESULTS}/verdict/study_table.csv",
        cells=f"{RESULTS}/verdict/study_cells.csv",
    log:
        "logs/verdict/combine.log",
    params:
        code=code_version("verdict"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/verdict_combine.py"


rule verdict_theory:
    input:
        f"{RESULTS}/training/theory.nc",
    output:
        nc=f"{RESULTS}/verdict/theory.nc",
        table=f"{RESULTS}/verdict/theory_table.csv",
    log:
        "logs/verdict/theory.log",
    params:
        cfg=as_json({k: VERDICT[k] for k in ("mse_scale", "tolerance_factor", "stall_slope")}),
        code=code_version("verdict", "upfm", "bridge"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/verdict_theory.py"


VERDICT_FIGS = {
    "table": ("verdict_table.png", "verdict_table.rst"),
    "study": ("study.png", "verdict_study.rst"),
    "gaps": ("gaps.png", "verdict_gaps.rst"),
    "variants": ("variants.png", "verdict_variants.rst"),
}


rule plot_verdict:
    input:
        study=f"{RESULTS}/verdict/study.nc",
        variants=f"{RESULTS}/verdict/variants.nc",
        theory=[f"{RESULTS}/verdict/theory.nc"] if VERDICT["theory"] else [],
    output:
        **{
            k: report(
                f"{FIG_VERDICT}/{f}",
                caption=f"../report/{c}",
                category="Verdicts",
                labels={"entry": f"verdict {k}", "paper": "beyond the paper (Theorem 3 on trained nets)"},
            )
            for k, (f, c) in VERDICT_FIGS.items()
        },
    log:
        "logs/verdict/plot.log",
    params:
        code=code_version("figures/verdict", "verdict"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/verdict_plot.py"


VERDICT_TARGETS = [
    f"{RESULTS}/verdict/study.nc",
    f"{RESULTS}/verdict/variants.nc",
    f"{RESULTS}/verdict/study_table.csv",
    f"{RESULTS}/verdict/study_cells.csv",
] + [f"{FIG_VERDICT}/{f}" for f, _ in VERDICT_FIGS.values()] + (
    [f"{RESULTS}/verdict/theory.nc", f"{RESULTS}/verdict/theory_table.csv"]
    if VERDICT["theory"] else []
)


rule verdict:
    input:
        VERDICT_TARGETS,
    log:
        "logs/verdict/target.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=100,
        runtime=1,
    conda:
        CONDA_ENV
    shell:
        "echo 'verdict stage complete: {input}' > {log}"


if VERDICT["enabled"]:
    ALL_TARGETS += VERDICT_TARGETS
