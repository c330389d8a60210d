# Stage 4 (training.smk): the constants and input functions of its rules.
TRAIN_CFG = config["training"]
TRAIN_EXPERIMENTS = ("dynamics", "theory", "three_layer", "regularization")
# settings shared by every experiment (device, dtype, ...), without the runtime knobs
TRAIN_GLOBAL = {
    k: v for k, v in result_settings("training").items() if k not in TRAIN_EXPERIMENTS
}
THEORY_JOBS = {f"dn{r:g}": r for r in TRAIN_CFG["theory"]["d_over_n"]}


def experiment_settings(wildcards):
    """The shared settings and the section of one experiment (no other experiment's)."""
    return canonical(
        {**TRAIN_GLOBAL, wildcards.experiment: TRAIN_CFG[wildcards.experiment]}
    )


def theory_d_over_n(wildcards):
    """The d/n value of one theory job."""
    return THEORY_JOBS[wildcards.job]


def training_result(experiment):
    """The NetCDF file of one single-job experiment (rule train_experiment)."""
    return expand(rules.train_experiment.output[0], experiment=experiment)[0]
