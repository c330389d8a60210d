# Stage 5 — unconstrained positive feature model (UPFM) and the bridge to the network.
# Closed forms, certificate and derivation: reports/upfm.md; code: shallownc.upfm, .bridge.
# Jobs: one sweep per loss, one Gram job, one bridge job per data grid (all small).

from shallownc import bridge as _bridge

UPFM = config["upfm"]
UPFM_LOSSES = UPFM["sweep"]["losses"]
BRIDGE_GRIDS = _bridge.grids_from_config(UPFM)
BRIDGE_GRIDS_CFG = UPFM["bridge"]["grids"]
FIG_UPFM = f"{REPORTS}/figures/upfm"
# The bridge imports the project trainer only for the optional GD cross-check.
BRIDGE_GD_MODULES = ("training", "models") if UPFM["bridge"]["gd_check"]["epochs"] else ()
# The part of the upfm config one bridge job uses (its own grid only).
UPFM_BRIDGE_COMMON = {k: UPFM[k] for k in ("mse_scale", "lambda_ratio")}


rule upfm_sweep:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/upfm/sweep_{{loss}}.nc",
    log:
        "logs/upfm/sweep_{loss}.log",
    benchmark:
        "benchmarks/upfm/sweep_{loss}.tsv"
    wildcard_constraints:
        loss="ce|mse",
    params:
        upfm=as_json(
            {k: UPFM[k] for k in ("solver", "mse_scale", "lambda_ratio")}
            | {"sweep": {k: v for k, v in UPFM["sweep"].items() if k != "losses"}}
        ),
        seed=config["seed"],
        code=code_version("upfm", "metrics", "data"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=120,  # minutes; the default config needs seconds, the paper preset ~30 min
    script:
        "../scripts/upfm_sweep.py"


rule upfm_gram:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/upfm/gram.nc",
    log:
        "logs/upfm/gram.log",
    benchmark:
        "benchmarks/upfm/gram.tsv"
    params:
        upfm=as_json({k: UPFM[k] for k in ("gram", "solver", "mse_scale", "lambda_ratio")}),
        seed=config["seed"],
        code=code_version("upfm", "metrics", "data"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/upfm_gram.py"


rule upfm_bridge:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/upfm/bridge_{{grid}}.nc",
    log:
        "logs/upfm/bridge_{grid}.log",
    benchmark:
        "benchmarks/upfm/bridge_{grid}.tsv"
    params:
        # only this grid's entry: editing another grid does not re-run this job
        upfm=lambda wc: as_json(
            UPFM_BRIDGE_COMMON
            | {"bridge": UPFM["bridge"] | {"grids": {wc.grid: BRIDGE_GRIDS_CFG[wc.grid]}}}
        ),
        solver=as_json(config["solver"]),
        seed=config["seed"],
        code=code_version("upfm", "bridge", "normalization", "metrics", "data", "feasibility", *BRIDGE_GD_MODULES),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=240,  # minutes; the default config needs seconds, the paper preset hours
    script:
        "../scripts/upfm_bridge.py"


rule figure_upfm_gram:
    conda:
        CONDA_ENV
    input:
        f"{RESULTS}/upfm/gram.nc",
    output:
        report(
            f"{FIG_UPFM}/gram.png",
            caption="../report/upfm_gram.rst",
            category="UPFM",
            subcategory="Gram matrices",
            labels={"entry": "Gram matrices of the class means", "paper": "Theorem 2"},
        ),
    log:
        "logs/figures/upfm_gram.log",
    params:
        code=code_version("figures/__init__", "figures/upfm"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_upfm.py"


rule figure_upfm_sweep:
    conda:
        CONDA_ENV
    input:
        f"{RESULTS}/upfm/sweep_{{loss}}.nc",
    output:
        report(
            f"{FIG_UPFM}/sweep_{{loss}}.png",
            caption="../report/upfm_sweep.rst",
            category="UPFM",
            subcategory="Closed form vs numerical",
            labels={"entry": "closed form vs numerical minimizers", "parameters": "loss {loss}",
                    "paper": "Theorem 2"},
        ),
    log:
        "logs/figures/upfm_sweep_{loss}.log",
    wildcard_constraints:
        loss="ce|mse",
    params:
        code=code_version("figures/__init__", "figures/upfm"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_upfm.py"


rule figure_upfm_bridge:
    conda:
        CONDA_ENV
    input:
        f"{RESULTS}/upfm/bridge_{{grid}}.nc",
    output:
        report(
            f"{FIG_UPFM}/bridge_{{grid}}.png",
            caption="../report/upfm_bridge.rst",
            category="UPFM",
            subcategory="Bridge to the network",
            labels={"entry": "bridge: LP solution to network", "parameters": "grid {grid}",
                    "paper": "Theorems 1, 3"},
        ),
    log:
        "logs/figures/upfm_bridge_{grid}.log",
    params:
        code=code_version("figures/__init__", "figures/upfm"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_upfm.py"


ALL_TARGETS += expand(f"{RESULTS}/upfm/sweep_{{loss}}.nc", loss=UPFM_LOSSES)
ALL_TARGETS += expand(f"{FIG_UPFM}/sweep_{{loss}}.png", loss=UPFM_LOSSES)
ALL_TARGETS += [f"{RESULTS}/upfm/gram.nc", f"{FIG_UPFM}/gram.png"]
ALL_TARGETS += expand(f"{RESULTS}/upfm/bridge_{{grid}}.nc", grid=BRIDGE_GRIDS)
ALL_TARGETS += expand(f"{FIG_UPFM}/bridge_{{grid}}.png", grid=BRIDGE_GRIDS)
