# Stage 6 — unconstrained positive feature model (UPFM) and the bridge to the network.
# Closed forms, certificate and derivation: reports/upfm.md; code: shallownc.upfm, .bridge.
# Jobs: one sweep per loss, one Gram job, one bridge job per data grid (all small).


# Constants and input functions: inputs/upfm.smk (this stage only).
include: "inputs/upfm.smk"


rule upfm_sweep:
    output:
        f"{RESULTS}/upfm/sweep_{{loss}}.nc",
    log:
        log_path("upfm/sweep_{loss}.log"),
    benchmark:
        bench_path("upfm/sweep_{loss}.tsv")
    wildcard_constraints:
        loss="ce|mse",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=120,  # minutes; the default config needs seconds, the paper preset ~30 min
    params:
        upfm=UPFM_SWEEP,
        seed=config["seed"],
        code=code_version("../scripts/upfm_sweep.py"),
    script:
        "../scripts/upfm_sweep.py"


rule upfm_gram:
    output:
        f"{RESULTS}/upfm/gram.nc",
    log:
        log_path("upfm/gram.log"),
    benchmark:
        bench_path("upfm/gram.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        upfm=UPFM_GRAM,
        seed=config["seed"],
        code=code_version("../scripts/upfm_gram.py"),
    script:
        "../scripts/upfm_gram.py"


rule upfm_bridge:
    output:
        f"{RESULTS}/upfm/bridge_{{grid}}.nc",
    log:
        log_path("upfm/bridge_{grid}.log"),
    benchmark:
        bench_path("upfm/bridge_{grid}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=240,  # minutes; the default config needs seconds, the paper preset hours
    params:
        upfm=bridge_settings,
        solver=SOLVER,
        seed=config["seed"],
        code=code_version("../scripts/upfm_bridge.py"),
    script:
        "../scripts/upfm_bridge.py"


rule figure_upfm_gram:
    input:
        rules.upfm_gram.output[0],
    output:
        report(
            f"{FIG_UPFM}/gram.png",
            caption="../report/upfm_gram.rst",
            category="UPFM",
            subcategory="Gram matrices",
            labels={"entry": "Gram matrices of the class means", "paper": "Theorem 2"},
        ),
    log:
        log_path("figures/upfm_gram.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_upfm_gram.py"),
    script:
        "../scripts/plot_upfm_gram.py"


rule figure_upfm_sweep:
    input:
        rules.upfm_sweep.output[0],
    output:
        report(
            f"{FIG_UPFM}/sweep_{{loss}}.png",
            caption="../report/upfm_sweep.rst",
            category="UPFM",
            subcategory="Closed form vs numerical",
            labels={
                "entry": "closed form vs numerical minimizers",
                "parameters": "loss {loss}",
                "paper": "Theorem 2",
            },
        ),
    log:
        log_path("figures/upfm_sweep_{loss}.log"),
    wildcard_constraints:
        loss="ce|mse",
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_upfm_sweep.py"),
    script:
        "../scripts/plot_upfm_sweep.py"


rule figure_upfm_bridge:
    input:
        rules.upfm_bridge.output[0],
    output:
        report(
            f"{FIG_UPFM}/bridge_{{grid}}.png",
            caption="../report/upfm_bridge.rst",
            category="UPFM",
            subcategory="Bridge to the network",
            labels={
                "entry": "bridge: LP solution to network",
                "parameters": "grid {grid}",
                "paper": "Theorems 1, 3",
            },
        ),
    log:
        log_path("figures/upfm_bridge_{grid}.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_upfm_bridge.py"),
    script:
        "../scripts/plot_upfm_bridge.py"


ALL_TARGETS += expand(rules.upfm_sweep.output[0], loss=UPFM_LOSSES)
ALL_TARGETS += expand(rules.figure_upfm_sweep.output[0], loss=UPFM_LOSSES)
ALL_TARGETS += rules.upfm_gram.output + rules.figure_upfm_gram.output
ALL_TARGETS += expand(rules.upfm_bridge.output[0], grid=BRIDGE_GRIDS)
ALL_TARGETS += expand(rules.figure_upfm_bridge.output[0], grid=BRIDGE_GRIDS)
