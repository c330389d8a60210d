# Stage 2 — feasibility: verified class LPs and separability over grids (shallownc.phase).
# A grid is split into one job per d value and block of trials; jobs are combined per grid.


rule solve_feasibility:
    conda:
        CONDA_ENV
    input:
        grid_data_inputs,
    output:
        f"{RESULTS}/feasibility/{{grid}}/jobs/{{job}}.nc",
    log:
        "logs/feasibility/{grid}/{job}.log",
    benchmark:
        "benchmarks/feasibility/{grid}/{job}.tsv"
    wildcard_constraints:
        job=r"d\d+_t\d+-\d+",
    params:
        grid=job_grid_params,
        seed=config["seed"],
        solver=as_json(config["solver"]),
        code=code_version("data", "feasibility", "phase"),
    threads: config["solver"]["workers"]
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/solve_feasibility.py"


rule combine_feasibility:
    conda:
        CONDA_ENV
    input:
        lambda wc: expand(
            f"{RESULTS}/feasibility/{wc.grid}/jobs/{{job}}.nc", job=feasibility_jobs(wc.grid)
        ),
    output:
        f"{RESULTS}/feasibility/{{grid}}.nc",
    log:
        "logs/feasibility/{grid}.combine.log",
    params:
        code=code_version("phase"),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/combine_feasibility.py"


ALL_TARGETS += expand(f"{RESULTS}/feasibility/{{grid}}.nc", grid=GRIDS)
