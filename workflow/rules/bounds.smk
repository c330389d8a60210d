# Stage 3 — theory curves (reports/theory.md): union bound (red), Gordon and kinematic
# comparison bounds (blue), the predicted 50% boundary (dashed), their validation against the
# verified LP verdicts, and the random-feature (three-layer) width experiment.


# Constants and input functions: inputs/bounds.smk (this stage only).
include: "inputs/bounds.smk"


rule bounds_curves:
    output:
        f"{RESULTS}/bounds/{{grid}}.nc",
    log:
        log_path("bounds/{grid}.log"),
    benchmark:
        bench_path("bounds/{grid}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        grid=grid_params,
        bounds=BOUNDS_CFG,
        code=code_version("../scripts/compute_bounds.py"),
    script:
        "../scripts/compute_bounds.py"


rule validate_bounds:
    input:
        curves=expand(rules.bounds_curves.output[0], grid=BOUND_GRIDS),
        feas=feasibility_results(BOUND_GRIDS),
    output:
        csv=report(
            f"{RESULTS}/bounds/summary.csv",
            caption="../report/bounds_summary.rst",
            category="Theory curves",
            subcategory="Validation",
            labels={
                "entry": "validation table (CSV download)",
                "paper": "Theorems 4-5 checked",
            },
        ),
        md=f"{RESULTS}/bounds/summary.md",
    log:
        log_path("bounds/validate.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        bounds=BOUNDS_CFG,
        code=code_version("../scripts/validate_bounds.py"),
    script:
        "../scripts/validate_bounds.py"


rule random_features:
    output:
        f"{RESULTS}/bounds/rf/{{name}}.nc",
    log:
        log_path("bounds/rf_{name}.log"),
    benchmark:
        bench_path("bounds/rf_{name}.tsv")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        setting=rf_setting,
        seed=config["seed"],
        delta=config["bounds"]["delta"],
        solver=SOLVER,
        code=code_version("../scripts/run_random_features.py"),
    script:
        "../scripts/run_random_features.py"


rule figure_bounds_phase:
    input:
        feas=rules.combine_feasibility.output[0],
        curves=rules.bounds_curves.output[0],
    output:
        report(
            f"{FIG_BOUNDS}/phase_{{grid}}.png",
            caption="../report/bounds_phase.rst",
            category="Theory curves",
            subcategory="Phase diagrams",
            labels={
                "entry": "phase diagram with the theory curves",
                "parameters": "grid {grid}",
                "paper": "cf. Figures 1-2 (Theorems 4, 5)",
            },
        ),
    log:
        log_path("bounds/figure_phase_{grid}.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_bounds_phase.py"),
    script:
        "../scripts/plot_bounds_phase.py"


rule figure_bounds_noise:
    input:
        feas=feasibility_results(BOUND_NOISE),
        curves=expand(rules.bounds_curves.output[0], grid=BOUND_NOISE),
    output:
        report(
            f"{FIG_BOUNDS}/pure_noise.png",
            caption="../report/bounds_noise.rst",
            category="Theory curves",
            subcategory="Pure noise",
            labels={
                "entry": "pure noise vs the theory",
                "paper": "Theorem 5(b): d/n = (K+1)/2",
            },
        ),
    log:
        log_path("bounds/figure_pure_noise.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_bounds_noise.py"),
    script:
        "../scripts/plot_bounds_noise.py"


rule figure_random_features:
    input:
        rf=expand(rules.random_features.output[0], name=RF_SETTINGS),
    output:
        report(
            f"{FIG_BOUNDS}/random_features.png",
            caption="../report/bounds_random_features.rst",
            category="Theory curves",
            subcategory="Random features",
            labels={"entry": "random first layer: width d1", "paper": "cf. Theorem 6"},
        ),
    log:
        log_path("bounds/figure_random_features.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_random_features.py"),
    script:
        "../scripts/plot_random_features.py"


ALL_TARGETS += expand(rules.figure_bounds_phase.output[0], grid=BOUND_PHASE)
ALL_TARGETS.append(rules.validate_bounds.output.csv)
if BOUND_NOISE:
    ALL_TARGETS += rules.figure_bounds_noise.output
if RF_SETTINGS:
    ALL_TARGETS += rules.figure_random_features.output
