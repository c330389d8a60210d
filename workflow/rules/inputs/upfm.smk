# Stage 6 (upfm.smk): the constants and input functions of its rules.
from shallownc import bridge as _bridge

UPFM = config["upfm"]
UPFM_LOSSES = UPFM["sweep"]["losses"]
BRIDGE_GRIDS = _bridge.grids_from_config(UPFM)
BRIDGE_GRIDS_CFG = UPFM["bridge"]["grids"]
FIG_UPFM = f"{REPORTS}/figures/upfm"
# The part of the upfm config one bridge job uses (its own grid only).
UPFM_BRIDGE_COMMON = {k: UPFM[k] for k in ("mse_scale", "lambda_ratio")}
UPFM_SWEEP = canonical(
    {k: UPFM[k] for k in ("solver", "mse_scale", "lambda_ratio")}
    | {"sweep": {k: v for k, v in UPFM["sweep"].items() if k != "losses"}}
)
UPFM_GRAM = canonical(
    {k: UPFM[k] for k in ("gram", "solver", "mse_scale", "lambda_ratio")}
)


def bridge_settings(wildcards):
    """Only this grid's entry: editing another grid does not re-run this job."""
    return canonical(
        UPFM_BRIDGE_COMMON
        | {
            "bridge": UPFM["bridge"]
            | {"grids": {wildcards.grid: BRIDGE_GRIDS_CFG[wildcards.grid]}}
        }
    )
