# Stage 9 (imbalance.smk): the constants and input functions of its rules.
import sys

from shallownc import imbalance as _imbalance

IMB = config["imbalance"]
IMB_PANELS = IMB["phase"]["panels"]
try:  # cross-checks the schema cannot express: one line naming the key, no traceback
    _imbalance.check_config(IMB)
except ValueError as _exc:
    sys.exit(f"error: {_exc}")
IMB_GROUPS = [f"{a}_{b}" for a, b in IMB["threshold"]["groups"]]
FIG_IMB = f"{REPORTS}/figures/imbalance"


def imbalance_panel(wildcards):
    """Only this panel's entry: editing another panel does not re-run this job."""
    return canonical(IMB_PANELS[wildcards.panel])
