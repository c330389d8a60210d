# Stage 1 (data.smk): the constants and input functions of its rules.
def example_spec(wildcards):
    """The data.examples entry of one example."""
    return canonical(config["data"]["examples"][wildcards.name])
