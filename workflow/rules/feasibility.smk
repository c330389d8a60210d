# Stage 2 — feasibility: verified class LPs and separability over grids (shallownc.phase), and
# the figures drawn from them. A grid is split into one job per d value and block of trials;
# jobs are combined per grid.


# Constants and input functions: inputs/feasibility.smk (this stage only).
include: "inputs/feasibility.smk"


rule solve_feasibility:
    input:
        grid_data_inputs,
    output:
        f"{RESULTS}/feasibility/{{grid}}/jobs/{{job}}.nc",
    log:
        log_path("feasibility/{grid}/{job}.log"),
    benchmark:
        bench_path("feasibility/{grid}/{job}.tsv")
    wildcard_constraints:
        job=r"d\d+_t\d+-\d+",
    conda:
        CONDA_ENV
    threads: config["solver"]["workers"]
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        grid=job_grid_params,
        seed=config["seed"],
        solver=SOLVER,
        code=code_version("../scripts/solve_feasibility.py"),
    script:
        "../scripts/solve_feasibility.py"


rule combine_feasibility:
    input:
        grid_job_outputs,
    output:
        f"{RESULTS}/feasibility/{{grid}}.nc",
    log:
        log_path("feasibility/{grid}.combine.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code_version("../scripts/combine_feasibility.py"),
    script:
        "../scripts/combine_feasibility.py"


# ---- figures of this stage (read only the NetCDF results above; rst captions in
# workflow/report/)


rule figure_phase_diagram:
    input:
        rules.combine_feasibility.output[0],
    output:
        report(
            f"{FIG_FEAS}/phase_{{grid}}.png",
            caption="../report/feasibility_phase.rst",
            category="Feasibility",
            subcategory="Phase diagrams",
            labels={
                "entry": "verified phase diagram",
                "parameters": "grid {grid}",
                "paper": "cf. Figures 1-2 (Theorem 3)",
            },
        ),
    log:
        log_path("figures/phase_{grid}.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_phase_diagram.py"),
    script:
        "../scripts/plot_phase_diagram.py"


rule figure_separability:
    input:
        feasibility_results(PHASE_GRIDS),
    output:
        report(
            f"{FIG_FEAS}/separability_vs_nc.png",
            caption="../report/feasibility_separability.rst",
            category="Feasibility",
            subcategory="Separability",
            labels={
                "entry": "separability vs NC-feasibility",
                "paper": "beyond the paper",
            },
        ),
    log:
        log_path("figures/separability_vs_nc.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_separability.py"),
    script:
        "../scripts/plot_separability.py"


rule figure_pure_noise:
    input:
        feasibility_results(NOISE_GRIDS),
    output:
        report(
            f"{FIG_FEAS}/pure_noise.png",
            caption="../report/feasibility_pure_noise.rst",
            category="Feasibility",
            subcategory="Pure noise",
            labels={"entry": "pure noise", "paper": "Theorem 5(b): d/n = (K+1)/2"},
        ),
    log:
        log_path("figures/pure_noise.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_pure_noise.py"),
    script:
        "../scripts/plot_pure_noise.py"


rule figure_real_data:
    input:
        rules.combine_feasibility.output[0],
    output:
        report(
            f"{FIG_FEAS}/real_{{grid}}.png",
            caption="../report/feasibility_real.rst",
            category="Feasibility",
            subcategory="Real data",
            labels={
                "entry": "digits (real data)",
                "parameters": "grid {grid}",
                "paper": "beyond the paper (real data, Theorem 3)",
            },
        ),
    log:
        log_path("figures/real_{grid}.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code_version("../scripts/plot_real_data.py"),
    script:
        "../scripts/plot_real_data.py"


ALL_TARGETS += feasibility_results(GRIDS)
ALL_TARGETS += expand(rules.figure_phase_diagram.output[0], grid=PHASE_GRIDS)
ALL_TARGETS += expand(rules.figure_real_data.output[0], grid=REAL_GRIDS)
if PHASE_GRIDS:
    ALL_TARGETS += rules.figure_separability.output
if NOISE_GRIDS:
    ALL_TARGETS += rules.figure_pure_noise.output
