# Stage 2 (feasibility.smk): the constants and input functions of its rules.
from shallownc import phase

GRIDS = phase.grids_from_config(config)
TRIALS_PER_JOB = config["feasibility"]["trials_per_job"]


def feasibility_jobs(grid):
    return GRIDS[grid].jobs(TRIALS_PER_JOB)


def job_grid_params(wildcards):
    """The grid's parameters without its d list and trial count: those are in the job name,
    so adding or changing one d value (or trials) leaves the other jobs' params unchanged.
    """
    spec = GRIDS[wildcards.grid].as_dict()
    return canonical({k: v for k, v in spec.items() if k not in ("d", "trials")})


def grid_data_inputs(wildcards):
    """The real data set, for grids drawn from it; nothing for Gaussian mixtures."""
    if GRIDS[wildcards.grid].source == "digits":
        return rules.digits_data.output
    return []


def grid_job_outputs(wildcards):
    """Every job output of one grid (input of its combine step)."""
    return expand(
        rules.solve_feasibility.output[0],
        grid=wildcards.grid,
        job=feasibility_jobs(wildcards.grid),
    )


def feasibility_results(grids):
    """Combined NetCDF file of each grid."""
    return expand(rules.combine_feasibility.output[0], grid=grids)


PHASE_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "phase"]
NOISE_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "pure_noise"]
REAL_GRIDS = [g for g, spec in GRIDS.items() if spec.kind == "real"]
FIG_FEAS = f"{REPORTS}/figures/feasibility"
