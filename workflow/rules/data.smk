# Stage 1 — data: named Gaussian-mixture examples and the real data set as NetCDF.
# Phase-diagram cells regenerate their data from stored seeds inside the solver jobs
# (storing every cell's samples would take GBs at paper scale); see shallownc.phase.


def example_spec(wildcards):
    """The data.examples entry of one example."""
    return canonical(config["data"]["examples"][wildcards.name])


rule gmm_example:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/data/gmm/{{name}}.nc",
    log:
        "logs/data/gmm/{name}.log",
    params:
        spec=example_spec,
        seed=config["seed"],
        code=code_version("../scripts/make_gmm.py"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/make_gmm.py"


rule digits_data:
    conda:
        CONDA_ENV
    output:
        f"{RESULTS}/data/digits.nc",
    log:
        "logs/data/digits.log",
    params:
        digits=canonical(config["data"]["digits"]),
        code=code_version("../scripts/make_digits.py"),
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/make_digits.py"


ALL_TARGETS += expand(rules.gmm_example.output[0], name=config["data"]["examples"])
ALL_TARGETS += rules.digits_data.output
