# Stage 7 — generalization: neural collapse versus test error as the SNR falls (docs/science.md §8,
# reports/generalization.md). Per experiment and input dimension d: a theory job (verified NC
# verdicts, the exact best-NC error bracket, bounds) and, where configured, a training job
# (two-layer nets on the same training sets); all are merged into
# results/generalization/<name>.nc and drawn.


# Constants and input functions: inputs/generalization.smk (this stage only).
include: "inputs/generalization.smk"


rule generalization_theory:
    output:
        f"{RESULTS}/generalization/{{name}}/theory_d{{d}}.nc",
    log:
        log_path("generalization/{name}.theory_d{d}.log"),
    benchmark:
        bench_path("generalization/{name}.theory_d{d}.tsv")
    wildcard_constraints:
        d=r"\d+",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        experiment=gen_experiment,
        lambdas=GEN["upper_search_lambdas"],
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/generalization_theory.py"),
    script:
        "../scripts/generalization_theory.py"


rule generalization_trained:
    output:
        f"{RESULTS}/generalization/{{name}}/trained_d{{d}}.nc",
    log:
        log_path("generalization/{name}.trained_d{d}.log"),
    benchmark:
        bench_path("generalization/{name}.trained_d{d}.tsv")
    wildcard_constraints:
        d=r"\d+",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        experiment=gen_experiment,
        seed=config["seed"],
        code=code_version("../scripts/generalization_trained.py"),
    script:
        "../scripts/generalization_trained.py"


rule generalization_merge:
    input:
        theory=gen_theory_parts,
        trained=gen_trained_parts,
    output:
        f"{RESULTS}/generalization/{{name}}.nc",
    log:
        log_path("generalization/{name}.merge.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/generalization_merge.py"),
    script:
        "../scripts/generalization_merge.py"


rule figure_generalization:
    input:
        rules.generalization_merge.output[0],
    output:
        report(
            f"{REPORTS}/figures/generalization/{{name}}.png",
            caption="../report/generalization_error_vs_snr.rst",
            category="Generalization",
            labels={
                "entry": "NC vs test error",
                "parameters": "experiment {name}",
                "paper": "Theorems 7-8",
            },
        ),
    log:
        log_path("figures/generalization_{name}.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_generalization.py"),
    script:
        "../scripts/plot_generalization.py"


ALL_TARGETS += expand(rules.generalization_merge.output[0], name=GEN_EXPERIMENTS)
ALL_TARGETS += expand(rules.figure_generalization.output[0], name=GEN_EXPERIMENTS)
