# Stage 4 (training.smk): the constants and input functions of its rules.
TRAIN_CFG = config["training"]
TRAIN_EXPERIMENTS = ("dynamics", "theory", "three_layer", "regularization")
# settings shared by every experiment (device, dtype, ...), without the runtime knobs
TRAIN_GLOBAL = {
    k: v for k, v in result_settings("training").items() if k not in TRAIN_EXPERIMENTS
}
THEORY_JOBS = {f"dn{r:g}": r for r in TRAIN_CFG["theory"]["d_over_n"]}


def train_job(wildcards):
    """What one training job runs: a single-job experiment (job = its name) or one d/n value
    of experiment 2 (job theory/dn<r>)."""
    if wildcards.job.startswith("theory/"):
        return {"experiment": "theory", "d_over_n": THEORY_JOBS[wildcards.job[7:]]}
    return {"experiment": wildcards.job}


def train_job_settings(wildcards):
    """The shared settings and the section of the job's experiment (no other experiment's);
    a theory job's section without the d/n list: each job's own value is in its job param, so
    adding or changing one d/n value re-runs only that job."""
    exp = train_job(wildcards)["experiment"]
    section = TRAIN_CFG[exp]
    if exp == "theory":
        section = {k: v for k, v in section.items() if k != "d_over_n"}
    return canonical({**TRAIN_GLOBAL, exp: section})


def training_result(experiment):
    """The NetCDF file of one single-job experiment (rule train_job)."""
    return expand(rules.train_job.output[0], job=experiment)[0]
