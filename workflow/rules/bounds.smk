# Stage 3 — theory curves (reports/theory.md): union bound (red), Gordon and kinematic
# comparison bounds (blue), the predicted 50% boundary (dashed), their validation against the
# verified LP verdicts, and the random-feature (three-layer) width experiment.
# (PHASE_GRIDS and NOISE_GRIDS are redefined here because figures.smk is included later.)

from shallownc import random_features as _rf

BOUND_GRIDS = [g for g, spec in GRIDS.items() if spec.source == "gmm" and spec.geometry != "random"]
BOUND_PHASE = [g for g in BOUND_GRIDS if GRIDS[g].kind == "phase"]
BOUND_NOISE = [g for g in BOUND_GRIDS if GRIDS[g].kind == "pure_noise"]
RF_SETTINGS = _rf.settings_from_config(config)
BOUNDS_CFG = {k: v for k, v in config["bounds"].items() if k != "random_features"}
FIG_BOUNDS = f"{REPORTS}/figures/bounds"


rule bounds_curves:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/bounds/{{grid}}.nc",
    log:
        "logs/bounds/{grid}.log",
    benchmark:
        "benchmarks/bounds/{grid}.tsv"
    params:
        grid=lambda wc: as_json(GRIDS[wc.grid].as_dict()),
        bounds=as_json(BOUNDS_CFG),
        code=code_version("bounds", "data", "phase"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/compute_bounds.py"


rule validate_bounds:
    conda:
        CONDA_ENV
    input:
        curves=expand(f"{RESULTS}/bounds/{{grid}}.nc", grid=BOUND_GRIDS),
        feas=expand(f"{RESULTS}/feasibility/{{grid}}.nc", grid=BOUND_GRIDS),
    output:
        csv=report(
            f"{RESULTS}/bounds/summary.csv",
            caption="../report/bounds_summary.rst",
            category="Theory curves",
            subcategory="Validation",
            labels={"entry": "validation table (CSV download)", "paper": "Theorems 4-5 checked"},
        ),
        md=f"{RESULTS}/bounds/summary.md",
    log:
        "logs/bounds/validate.log",
    params:
        bounds=as_json(BOUNDS_CFG),
        code=code_version("bounds", "phase"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/validate_bounds.py"


rule random_features:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/bounds/rf/{{name}}.nc",
    log:
        "logs/bounds/rf_{name}.log",
    benchmark:
        "benchmarks/bounds/rf_{name}.tsv"
    params:
        setting=lambda wc: as_json(RF_SETTINGS[wc.name].as_dict()),
        seed=config["seed"],
        delta=config["bounds"]["delta"],
        solver=as_json(config["solver"]),
        code=code_version("random_features", "bounds", "data", "feasibility", "phase"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../scripts/run_random_features.py"


rule figure_bounds_phase:
    conda:
        CONDA_ENV
    input:
        feas=f"{RESULTS}/feasibility/{{grid}}.nc",
        curves=f"{RESULTS}/bounds/{{grid}}.nc",
    output:
        report(
            f"{FIG_BOUNDS}/phase_{{grid}}.png",
            caption="../report/bounds_phase.rst",
            category="Theory curves",
            subcategory="Phase diagrams",
            labels={"entry": "phase diagram with the theory curves", "parameters": "grid {grid}",
                    "paper": "cf. Figures 1-2 (Theorems 4, 5)"},
        ),
    log:
        "logs/bounds/figure_phase_{grid}.log",
    params:
        code=code_version("figures/__init__", "figures/feasibility", "figures/bounds"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_bounds.py"


rule figure_bounds_noise:
    conda:
        CONDA_ENV
    input:
        feas=expand(f"{RESULTS}/feasibility/{{grid}}.nc", grid=BOUND_NOISE),
        curves=expand(f"{RESULTS}/bounds/{{grid}}.nc", grid=BOUND_NOISE),
    output:
        report(
            f"{FIG_BOUNDS}/pure_noise.png",
            caption="../report/bounds_noise.rst",
            category="Theory curves",
            subcategory="Pure noise",
            labels={"entry": "pure noise vs the theory", "paper": "Theorem 5(b): d/n = (K+1)/2"},
        ),
    log:
        "logs/bounds/figure_pure_noise.log",
    params:
        code=code_version("figures/__init__", "figures/feasibility", "figures/bounds"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_bounds.py"


rule figure_random_features:
    conda:
        CONDA_ENV
    input:
        rf=expand(f"{RESULTS}/bounds/rf/{{name}}.nc", name=RF_SETTINGS),
    output:
        report(
            f"{FIG_BOUNDS}/random_features.png",
            caption="../report/bounds_random_features.rst",
            category="Theory curves",
            subcategory="Random features",
            labels={"entry": "random first layer: width d1", "paper": "cf. Theorem 6"},
        ),
    log:
        "logs/bounds/figure_random_features.log",
    params:
        code=code_version("figures/__init__", "figures/feasibility", "figures/bounds"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_bounds.py"


ALL_TARGETS += expand(f"{FIG_BOUNDS}/phase_{{grid}}.png", grid=BOUND_PHASE)
ALL_TARGETS += [f"{RESULTS}/bounds/summary.csv"]
if BOUND_NOISE:
    ALL_TARGETS += [f"{FIG_BOUNDS}/pure_noise.png"]
if RF_SETTINGS:
    ALL_TARGETS += [f"{FIG_BOUNDS}/random_features.png"]
