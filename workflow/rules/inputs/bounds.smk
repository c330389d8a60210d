# Stage 3 (bounds.smk): the constants and input functions of its rules.
from shallownc import random_features as _rf

# The grids and combined results of stage 2 (feasibility.smk: GRIDS, feasibility_results).
BOUND_GRIDS = [
    g for g, spec in GRIDS.items() if spec.source == "gmm" and spec.geometry != "random"
]
BOUND_PHASE = [g for g in BOUND_GRIDS if GRIDS[g].kind == "phase"]
BOUND_NOISE = [g for g in BOUND_GRIDS if GRIDS[g].kind == "pure_noise"]
RF_SETTINGS = _rf.settings_from_config(config)
BOUNDS_CFG = canonical(
    {k: v for k, v in config["bounds"].items() if k != "random_features"}
)
FIG_BOUNDS = f"{REPORTS}/figures/bounds"


def rf_setting(wildcards):
    """One bounds.random_features setting (its widths resolved)."""
    return canonical(RF_SETTINGS[wildcards.name].as_dict())


def grid_params(wildcards):
    """All parameters of one grid (theory curves use every d value)."""
    return canonical(GRIDS[wildcards.grid].as_dict())
