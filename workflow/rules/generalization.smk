# Stage 6 — generalization: neural collapse versus test error as the SNR falls (docs/science.md §8,
# reports/generalization.md). Per experiment and input dimension d: a theory job (verified NC
# verdicts, the exact best-NC error bracket, bounds) and, where configured, a training job
# (two-layer nets on the same training sets); all are merged into
# results/generalization/<name>.nc and drawn.
from shallownc import generalization as _gen

GEN = config["generalization"]
GEN_EXPERIMENTS = GEN["experiments"]


def gen_experiment(wildcards):
    """One generalization.experiments entry."""
    return canonical(GEN_EXPERIMENTS[wildcards.name])


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


rule generalization_theory:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/generalization/{{name}}/theory_d{{d}}.nc",
    log:
        "logs/generalization/{name}.theory_d{d}.log",
    benchmark:
        "benchmarks/generalization/{name}.theory_d{d}.tsv"
    wildcard_constraints:
        d=r"\d+",
    params:
        experiment=gen_experiment,
        lambdas=GEN["upper_search_lambdas"],
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/generalization_theory.py"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/generalization_theory.py"


rule generalization_trained:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/generalization/{{name}}/trained_d{{d}}.nc",
    log:
        "logs/generalization/{name}.trained_d{d}.log",
    benchmark:
        "benchmarks/generalization/{name}.trained_d{d}.tsv"
    wildcard_constraints:
        d=r"\d+",
    params:
        experiment=gen_experiment,
        seed=config["seed"],
        code=code_version("../scripts/generalization_trained.py"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/generalization_trained.py"


rule generalization_merge:
    conda:
        CONDA_ENV
    input:
        theory=gen_theory_parts,
        trained=gen_trained_parts,
    output:
        f"{RESULTS}/generalization/{{name}}.nc",
    log:
        "logs/generalization/{name}.merge.log",
    params:
        code=code_version("../scripts/generalization_merge.py"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/generalization_merge.py"


rule figure_generalization:
    conda:
        CONDA_ENV
    input:
        rules.generalization_merge.output[0],
    output:
        report(
            f"{REPORTS}/figures/generalization/{{name}}.png",
            caption="../report/generalization_error_vs_snr.rst",
            category="Generalization",
            labels={"experiment": "{name}"},
        ),
    log:
        "logs/figures/generalization_{name}.log",
    params:
        code=code_version("../scripts/plot_generalization.py"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_generalization.py"


ALL_TARGETS += expand(rules.generalization_merge.output[0], name=GEN_EXPERIMENTS)
ALL_TARGETS += expand(rules.figure_generalization.output[0], name=GEN_EXPERIMENTS)
