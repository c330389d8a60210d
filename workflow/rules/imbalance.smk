# Stage 9 — imbalanced classes (issue 21; reports/imbalance.md; code: shallownc.upfm_imbalanced,
# shallownc.imbalance). Target: `snakemake imbalance`. Jobs: the UPFM agreement check, the
# threshold curves, one LP job per phase panel, the trained-network sweep over lambda_W
# lambda_H, their figures.


# Constants and input functions: inputs/imbalance.smk (this stage only).
include: "inputs/imbalance.smk"


rule imbalance_agreement:
    output:
        f"{RESULTS}/imbalance/agreement.nc",
    log:
        log_path("imbalance/agreement.log"),
    benchmark:
        bench_path("imbalance/agreement.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        cfg=canonical(IMB["agreement"]),
        seed=config["seed"],
        code=code_version("../scripts/imbalance_agreement.py"),
    script:
        "../scripts/imbalance_agreement.py"


rule imbalance_threshold:
    output:
        expand(f"{RESULTS}/imbalance/threshold_{{g}}.nc", g=IMB_GROUPS),
    log:
        log_path("imbalance/threshold.log"),
    benchmark:
        bench_path("imbalance/threshold.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=canonical(IMB["threshold"]),
        seed=config["seed"],
        code=code_version("../scripts/imbalance_threshold.py"),
    script:
        "../scripts/imbalance_threshold.py"


rule imbalance_phase:
    output:
        f"{RESULTS}/imbalance/phase_{{panel}}.nc",
    log:
        log_path("imbalance/phase_{panel}.log"),
    benchmark:
        bench_path("imbalance/phase_{panel}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        panel=imbalance_panel,
        delta=IMB["phase"]["delta"],
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/imbalance_phase.py"),
    script:
        "../scripts/imbalance_phase.py"


rule imbalance_sweep:
    output:
        f"{RESULTS}/imbalance/sweep.nc",
    log:
        log_path("imbalance/sweep.log"),
    benchmark:
        bench_path("imbalance/sweep.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        cfg=canonical(IMB["sweep"]),
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/imbalance_sweep.py"),
    script:
        "../scripts/imbalance_sweep.py"


rule figure_imbalance_threshold:
    input:
        rules.imbalance_threshold.output,
    output:
        report(
            f"{FIG_IMB}/threshold.png",
            caption="../report/imbalance_threshold.rst",
            category="Imbalance",
            subcategory="Vanishing threshold",
            labels={
                "entry": "minority vanishing vs minority collapse",
                "paper": "beyond",
            },
        ),
    log:
        log_path("figures/imbalance_threshold.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_imbalance_threshold.py"),
    script:
        "../scripts/plot_imbalance_threshold.py"


rule figure_imbalance_phase:
    input:
        rules.imbalance_phase.output[0],
    output:
        report(
            f"{FIG_IMB}/phase_{{panel}}.png",
            caption="../report/imbalance_phase.rst",
            category="Imbalance",
            subcategory="Phase diagrams",
            labels={
                "entry": "per-class LP phase diagram",
                "parameters": "panel {panel}",
                "paper": "Theorem 3 with n_k",
            },
        ),
    log:
        log_path("figures/imbalance_phase_{panel}.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_imbalance_phase.py"),
    script:
        "../scripts/plot_imbalance_phase.py"


rule figure_imbalance_sweep:
    input:
        rules.imbalance_sweep.output[0],
    output:
        report(
            f"{FIG_IMB}/sweep.png",
            caption="../report/imbalance_sweep.rst",
            category="Imbalance",
            subcategory="Trained networks",
            labels={
                "entry": "trained class norms across the threshold",
                "paper": "beyond",
            },
        ),
    log:
        log_path("figures/imbalance_sweep.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_imbalance_sweep.py"),
    script:
        "../scripts/plot_imbalance_sweep.py"


IMBALANCE_TARGETS = [
    rules.imbalance_agreement.output[0],
    rules.figure_imbalance_threshold.output[0],
    rules.figure_imbalance_sweep.output[0],
] + expand(rules.figure_imbalance_phase.output[0], panel=IMB_PANELS)


rule imbalance:
    input:
        IMBALANCE_TARGETS,
    localrule: True


ALL_TARGETS += IMBALANCE_TARGETS
