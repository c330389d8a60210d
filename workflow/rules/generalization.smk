# Stage 6 — generalization: neural collapse versus test error as the SNR falls (science.md §8,
# reports/generalization.md). Per experiment: the theory job (verified NC verdicts, the exact
# best-NC error bracket, bounds) and the training job (two-layer nets on the same training sets)
# run in parallel, are merged into results/generalization/<name>.nc, and drawn.
from shallownc import generalization as _gen

GEN = config["generalization"]
GEN_EXPERIMENTS = GEN["experiments"]
_gen_msgs = [m for name, e in GEN_EXPERIMENTS.items() for m in _gen.check_experiment(name, e)]
if _gen_msgs:
    raise sncconfig.ConfigError("invalid configuration:\n  - " + "\n  - ".join(_gen_msgs))


rule generalization_theory:
    output:
        f"{RESULTS}/generalization/{{name}}/theory.nc",
    log:
        "logs/generalization/{name}.theory.log",
    benchmark:
        "benchmarks/generalization/{name}.theory.tsv"
    params:
        experiment=lambda wc: as_json(GEN_EXPERIMENTS[wc.name]),
        lambdas=as_json(GEN["upper_search_lambdas"]),
        solver=as_json(config["solver"]),
        seed=config["seed"],
        code=code_version("data", "feasibility", "generalization"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/generalization_theory.py"


rule generalization_trained:
    output:
        f"{RESULTS}/generalization/{{name}}/trained.nc",
    log:
        "logs/generalization/{name}.trained.log",
    benchmark:
        "benchmarks/generalization/{name}.trained.tsv"
    params:
        experiment=lambda wc: as_json(GEN_EXPERIMENTS[wc.name]),
        seed=config["seed"],
        code=code_version("data", "generalization", "training", "models", "metrics"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/generalization_trained.py"


rule generalization_merge:
    input:
        theory=f"{RESULTS}/generalization/{{name}}/theory.nc",
        trained=f"{RESULTS}/generalization/{{name}}/trained.nc",
    output:
        f"{RESULTS}/generalization/{{name}}.nc",
    log:
        "logs/generalization/{name}.merge.log",
    params:
        code=code_version("generalization"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/generalization_merge.py"


rule figure_generalization:
    input:
        f"{RESULTS}/generalization/{{name}}.nc",
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
