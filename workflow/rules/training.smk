# Stage 4 — training: two- and three-layer ReLU nets trained with batched runs, NC metrics at
# log-spaced epochs (shallownc.training, shallownc.metrics; reports/training.md).
# One job per experiment (experiment 2: one job per d/n value), since each job pays ~1.6 s
# for importing torch. Checkpoints live in training.checkpoint_dir, outside every output:
# a killed job re-run continues from its last checkpoint.


# Constants and input functions: inputs/training.smk (this stage only).
include: "inputs/training.smk"


rule train_experiment:
    output:
        f"{RESULTS}/training/{{experiment}}.nc",
    log:
        log_path("training/{experiment}.log"),
    benchmark:
        bench_path("training/{experiment}.tsv")
    wildcard_constraints:
        experiment="dynamics|three_layer|regularization",
    conda:
        CONDA_ENV
    threads: TRAIN_CFG["threads"]
    resources:
        mem_mb=4000,
        runtime=600,
        gpu=TRAIN_CFG["gpus_per_job"],
    params:
        cfg=experiment_settings,
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/train_experiment.py"),
    script:
        "../scripts/train_experiment.py"


rule train_theory:
    output:
        f"{RESULTS}/training/theory/{{job}}.nc",
    log:
        log_path("training/theory/{job}.log"),
    benchmark:
        bench_path("training/theory/{job}.tsv")
    wildcard_constraints:
        job=r"dn[0-9.e+-]+",
    conda:
        CONDA_ENV
    threads: TRAIN_CFG["threads"]
    resources:
        mem_mb=4000,
        runtime=600,
        gpu=TRAIN_CFG["gpus_per_job"],
    params:
        # the d/n list is left out: each job's own value is its d_over_n param, so adding
        # or changing one d/n value re-runs only that job
        cfg=canonical(
            {
                **TRAIN_GLOBAL,
                "theory": {
                    k: v for k, v in TRAIN_CFG["theory"].items() if k != "d_over_n"
                },
            }
        ),
        d_over_n=theory_d_over_n,
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/train_theory.py"),
    script:
        "../scripts/train_theory.py"


rule combine_training_theory:
    input:
        expand(rules.train_theory.output[0], job=THEORY_JOBS),
    output:
        f"{RESULTS}/training/theory.nc",
    log:
        log_path("training/theory.combine.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code_version("../scripts/combine_training.py"),
    script:
        "../scripts/combine_training.py"


rule plot_training:
    input:
        dynamics=training_result("dynamics"),
        three_layer=training_result("three_layer"),
        regularization=training_result("regularization"),
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
            labels={
                "entry": "regularizers",
                "paper": "beyond the paper (its future work)",
            },
        ),
    log:
        log_path("training/plot.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code_version("../scripts/plot_training.py"),
    script:
        "../scripts/plot_training.py"


ALL_TARGETS += rules.combine_training_theory.output
ALL_TARGETS += rules.plot_training.output
