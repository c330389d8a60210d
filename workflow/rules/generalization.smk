# Stage 6 — generalization: neural collapse versus test error as the SNR falls (science.md §8,
# reports/generalization.md). Per experiment and input dimension d: a theory job (verified NC
# verdicts, the exact best-NC error bracket, bounds) and, where configured, a training job
# (two-layer nets on the same training sets); all are merged into
# results/generalization/<name>.nc and drawn.
from shallownc import generalization as _gen

GEN = config["generalization"]
GEN_EXPERIMENTS = GEN["experiments"]
_gen_msgs = [m for name, e in GEN_EXPERIMENTS.items() for m in _gen.check_experiment(name, e)]
if _gen_msgs:
    raise sncconfig.ConfigError("invalid configuration:\n  - " + "\n  - ".join(_gen_msgs))


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
        experiment=lambda wc: as_json(GEN_EXPERIMENTS[wc.name]),
        lambdas=as_json(GEN["upper_search_lambdas"]),
        solver=as_json(config["solver"]),
        seed=config["seed"],
        code=code_version("data", "feasibility", "generalization", "upfm"),
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
        experiment=lambda wc: as_json(GEN_EXPERIMENTS[wc.name]),
        seed=config["seed"],
        code=code_version("data", "generalization", "upfm", "normalization", "training", "models", "metrics"),
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
        theory=lambda wc: expand(
            f"{RESULTS}/generalization/{wc.name}/theory_d{{d}}.nc",
            d=_gen.job_d_values(GEN_EXPERIMENTS[wc.name], "theory"),
        ),
        trained=lambda wc: expand(
            f"{RESULTS}/generalization/{wc.name}/trained_d{{d}}.nc",
            d=_gen.job_d_values(GEN_EXPERIMENTS[wc.name], "trained"),
        ),
    output:
        f"{RESULTS}/generalization/{{name}}.nc",
    log:
        "logs/generalization/{name}.merge.log",
    params:
        code=code_version("generalization", "upfm"),
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
        f"{RESULTS}/generalization/{{name}}.nc",
    output:
        report(
            f"{REPORTS}/figures/generalization/{{name}}.png",
            caption="../report/generalization_error_vs_snr.rst",
            category="Generalization",
            labels={"entry": "NC vs test error", "parameters": "experiment {name}",
                    "paper": "Theorems 7-8"},
        ),
    log:
        "logs/figures/generalization_{name}.log",
    params:
        code=code_version("figures/__init__", "figures/generalization"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_generalization.py"


ALL_TARGETS += expand(f"{RESULTS}/generalization/{{name}}.nc", name=GEN_EXPERIMENTS)
ALL_TARGETS += expand(f"{REPORTS}/figures/generalization/{{name}}.png", name=GEN_EXPERIMENTS)
