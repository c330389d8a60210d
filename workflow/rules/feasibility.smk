# Stage 2 — feasibility: verified class LPs and separability over grids (shallownc.phase).
# A grid is split into one job per d value and block of trials; jobs are combined per grid.


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


ALL_TARGETS += feasibility_results(GRIDS)
