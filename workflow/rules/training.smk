# Stage 4 — training: two- and three-layer ReLU nets trained with batched runs, NC metrics at
# log-spaced epochs (shallownc.training, shallownc.metrics; reports/training.md).
# One job per experiment (experiment 2: one job per d/n value), since each job pays ~1.6 s
# for importing torch. Checkpoints live in training.checkpoint_dir, outside every output:
# a killed job re-run continues from its last checkpoint.

TRAIN_CFG = config["training"]
TRAIN_CODE = code_version("training", "models", "metrics", "data", "feasibility")
TRAIN_GLOBAL = {k: v for k, v in TRAIN_CFG.items()
                if k not in ("dynamics", "theory", "three_layer", "regularization")}
THEORY_JOBS = {f"dn{r:g}": r for r in TRAIN_CFG["theory"]["d_over_n"]}


rule train_experiment:
    output:
        f"{RESULTS}/training/{{experiment}}.nc",
    log:
        "logs/training/{experiment}.log",
    benchmark:
        "benchmarks/training/{experiment}.tsv"
    wildcard_constraints:
        experiment="dynamics|three_layer|regularization",
    params:
        cfg=lambda wc: as_json({**TRAIN_GLOBAL, wc.experiment: TRAIN_CFG[wc.experiment]}),
        solver=as_json(config["solver"]),
        seed=config["seed"],
        checkpoint_dir=TRAIN_CFG["checkpoint_dir"],
        code=TRAIN_CODE,
    threads: TRAIN_CFG["threads"]
    resources:
        mem_mb=4000,
        runtime=600,
        gpu=TRAIN_CFG["gpus_per_job"],
    conda:
        CONDA_ENV
    script:
        "../scripts/train_experiment.py"


rule train_theory:
    output:
        f"{RESULTS}/training/theory/{{job}}.nc",
    log:
        "logs/training/theory/{job}.log",
    benchmark:
        "benchmarks/training/theory/{job}.tsv"
    wildcard_constraints:
        job=r"dn[0-9.e+-]+",
    params:
        # the d/n list is left out: each job's own value is its d_over_n param, so adding
        # or changing one d/n value re-runs only that job
        cfg=as_json(
            {
                **TRAIN_GLOBAL,
                "theory": {k: v for k, v in TRAIN_CFG["theory"].items() if k != "d_over_n"},
            }
        ),
        d_over_n=lambda wc: THEORY_JOBS[wc.job],
        solver=as_json(config["solver"]),
        seed=config["seed"],
        checkpoint_dir=TRAIN_CFG["checkpoint_dir"],
        code=TRAIN_CODE,
    threads: TRAIN_CFG["threads"]
    resources:
        mem_mb=4000,
        runtime=600,
        gpu=TRAIN_CFG["gpus_per_job"],
    conda:
        CONDA_ENV
    script:
        "../scripts/train_experiment.py"


rule combine_training_theory:
    input:
        expand(f"{RESULTS}/training/theory/{{job}}.nc", job=THEORY_JOBS),
    output:
        f"{RESULTS}/training/theory.nc",
    log:
        "logs/training/theory.combine.log",
    params:
        code=code_version("training"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/combine_training.py"


rule plot_training:
    input:
        dynamics=f"{RESULTS}/training/dynamics.nc",
        three_layer=f"{RESULTS}/training/three_layer.nc",
        regularization=f"{RESULTS}/training/regularization.nc",
    output:
        dynamics=report(
            f"{REPORTS}/figures/training/dynamics.png",
            caption="../report/training_dynamics.rst",
            category="Training",
            labels={"entry": "NC metrics vs epoch", "paper": "cf. Figures 4-5"},
        ),
        three_layer=report(
            f"{REPORTS}/figures/training/three_layer.png",
            caption="../report/training_three_layer.rst",
            category="Training",
            labels={"entry": "three-layer net, SGD", "paper": "cf. Figure 6"},
        ),
        regularization=report(
            f"{REPORTS}/figures/training/regularization.png",
            caption="../report/training_regularization.rst",
            category="Training",
            labels={"entry": "regularizers", "paper": "beyond the paper (its future work)"},
        ),
    log:
        "logs/training/plot.log",
    params:
        code=code_version("figures/training"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_training.py"


ALL_TARGETS += [
    f"{RESULTS}/training/theory.nc",
    f"{REPORTS}/figures/training/dynamics.png",
    f"{REPORTS}/figures/training/three_layer.png",
    f"{REPORTS}/figures/training/regularization.png",
]
