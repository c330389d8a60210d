# Stage 4 — training: two- and three-layer ReLU nets trained with batched runs, NC metrics at
# log-spaced epochs (shallownc.training, shallownc.metrics; reports/training.md).
# Rule train_job: one job per experiment (experiment 2, theory: one job per d/n value,
# job theory/dn<r>), since each job pays ~1.6 s
# for importing torch. Checkpoints live in training.checkpoint_dir, outside every output:
# a killed job re-run continues from its last checkpoint.


# Constants and input functions: inputs/training.smk (this stage only).
include: "inputs/training.smk"


rule train_job:
    output:
        f"{RESULTS}/training/{{job}}.nc",
    log:
        log_path("training/{job}.log"),
    benchmark:
        bench_path("training/{job}.tsv")
    wildcard_constraints:
        job=r"dynamics|three_layer|regularization|theory/dn[0-9.e+-]+",
    conda:
        CONDA_ENV
    threads: TRAIN_CFG["threads"]
    resources:
        mem_mb=4000,
        runtime=600,
        gpu=TRAIN_CFG["gpus_per_job"],
    params:
        cfg=train_job_settings,
        job=train_job,
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/train_job.py"),
    script:
        "../scripts/train_job.py"


rule combine_training_theory:
    input:
        expand(rules.train_job.output[0], job=[f"theory/{j}" for j in THEORY_JOBS]),
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
