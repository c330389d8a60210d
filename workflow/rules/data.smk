# Stage 1 — data: named Gaussian-mixture examples and the real data set as NetCDF.
# Phase-diagram cells regenerate their data from stored seeds inside the solver jobs
# (storing every cell's samples would take GBs at paper scale); see shallownc.phase.


# Constants and input functions: inputs/data.smk (this stage only).
include: "inputs/data.smk"


rule gmm_example:
    output:
        f"{RESULTS}/data/gmm/{{name}}.nc",
    log:
        log_path("data/gmm/{name}.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        spec=example_spec,
        seed=config["seed"],
        code=code_version("../scripts/make_gmm.py"),
    script:
        "../scripts/make_gmm.py"


rule digits_data:
    output:
        f"{RESULTS}/data/digits.nc",
    log:
        log_path("data/digits.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        digits=canonical(config["data"]["digits"]),
        code=code_version("../scripts/make_digits.py"),
    script:
        "../scripts/make_digits.py"


ALL_TARGETS += expand(rules.gmm_example.output[0], name=config["data"]["examples"])
ALL_TARGETS += rules.digits_data.output
