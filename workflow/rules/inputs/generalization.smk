# Stage 7 (generalization.smk): the constants and input functions of its rules.
from shallownc import generalization as _gen

GEN = config["generalization"]
GEN_EXPERIMENTS = GEN["experiments"]


def gen_experiment(wildcards):
    """One generalization.experiments entry (its trained block without the runtime knobs,
    which never change a result)."""
    exp = GEN_EXPERIMENTS[wildcards.name]
    return canonical(exp | {"trained": _gen.result_settings(exp["trained"])})


def gen_theory_parts(wildcards):
    """The theory job outputs of one experiment (one per d)."""
    return expand(
        rules.generalization_theory.output[0],
        name=wildcards.name,
        d=_gen.job_d_values(GEN_EXPERIMENTS[wildcards.name], "theory"),
    )


def gen_trained_parts(wildcards):
    """The training job outputs of one experiment (one per trained d; none if disabled)."""
    return expand(
        rules.generalization_trained.output[0],
        name=wildcards.name,
        d=_gen.job_d_values(GEN_EXPERIMENTS[wildcards.name], "trained"),
    )
