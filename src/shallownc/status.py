"""Status codes of the project (ground floor: imports numpy only, xarray lazily).

Every integer code stored in a NetCDF file is defined here, once, with its name and its CF flag
attributes (CF §3.5 ``flag_values`` / ``flag_meanings``):

* LP verdicts (``nc_status``, ``sep_status``, ``lp_status``, ...; reports/lp_exact.md):
  ``1`` feasible (a verified point), ``0`` infeasible (an exact Farkas proof), ``-1``
  undecided, ``-2`` infeasible within a radius only (not a proof). Produced by the LP engine
  :mod:`shallownc.feasibility`, whose module docstring gives what each code certifies.
* LP method codes (``nc_method``, ``sep_method``): the engine's method that decided a class LP.
* Training verdicts (``verdict``; reports/training.md, "Certified verdicts", V§2-4):
  reached, stalled, undecided, no_lp_proof, diverged, infeasible_below_tolerance,
  not_applicable. Produced by :mod:`shallownc.verdict`.

Readers of results (``shallownc.io``, the figure modules, report tables) import the codes from
here, not from their producers, so that the code version of a plotting script
(``shallownc.codehash``) does not include the LP engine or the trainer: editing the engine
re-runs only the jobs that solve LPs and what reads their outputs (issue 20, item 5).
"""

from __future__ import annotations

import numpy as np

# ------------------------------------------------------------------------------ LP verdicts

FEASIBLE, INFEASIBLE, UNDECIDED, INFEASIBLE_WITHIN_RADIUS = 1, 0, -1, -2
STATUS_NAMES = {FEASIBLE: "feasible", INFEASIBLE: "infeasible", UNDECIDED: "undecided",
                INFEASIBLE_WITHIN_RADIUS: "infeasible_within_radius"}
# NetCDF attributes of every stored status variable (CF flag convention)
STATUS_ATTRS = {"flag_values": list(STATUS_NAMES), "flag_meanings": " ".join(
    STATUS_NAMES.values()), "units": "1"}
# the two codes that are proofs (a verified point, an exact Farkas certificate)
DECISIVE = (FEASIBLE, INFEASIBLE)
# Codes are stored in NetCDF files (``nc_method``/``sep_method``): append, never reorder.
METHODS = ("none", "shortcut_full_rank", "shortcut_equalities", "dual_simplex",
           "primal_simplex", "ipm", "farkas_lp", "shortcut_square", "reduced_dual_simplex",
           "shortcut_nc_combination", "reduced_max_margin", "exact_noiseless", "constructive",
           "active_set", "nnls", "gram_active_set")
METHOD_CODE = {m: i for i, m in enumerate(METHODS)}


def all_classes_status(statuses) -> int:
    """Combine class verdicts: infeasible (proven) if any class is; else infeasible within
    radius if any class is; else undecided if any is; else feasible."""
    st = list(statuses)
    for s in (INFEASIBLE, INFEASIBLE_WITHIN_RADIUS, UNDECIDED):
        if s in st:
            return s
    return FEASIBLE


def all_classes_status_array(status, dim: str = "class"):
    """:func:`all_classes_status` along ``dim`` of an xarray DataArray (int8 result)."""
    import xarray as xr

    out = xr.full_like(status.isel({dim: 0}, drop=True), FEASIBLE)
    for s in (UNDECIDED, INFEASIBLE_WITHIN_RADIUS, INFEASIBLE):  # last wins: highest priority
        out = xr.where((status == s).any(dim), s, out)
    return out.astype(np.int8)


def probability(status, dim=("trial",)):
    """P(feasible) over decided trials only (status 1 or 0, proofs both ways); undecided and
    infeasible-within-radius trials are counted separately, never as proofs.

    Returns an xarray Dataset: p (NaN where nothing was decided), n_decided, n_undecided.
    """
    import xarray as xr

    dec = (status == FEASIBLE) | (status == INFEASIBLE)
    n_dec = dec.sum(dim)
    p = (status == FEASIBLE).sum(dim) / n_dec.where(n_dec > 0)
    return xr.Dataset({"p": p, "n_decided": n_dec, "n_undecided": (~dec).sum(dim)})


# ------------------------------------------------------------------------ training verdicts

# Verdict codes (NetCDF flag_values / flag_meanings). Append, never reorder.
REACHED, STALLED, VERDICT_UNDECIDED, NO_LP_PROOF, DIVERGED, UNRESOLVED, NOT_APPLICABLE = range(7)
VERDICT_NAMES = {
    REACHED: "reached",
    STALLED: "stalled",
    VERDICT_UNDECIDED: "undecided",
    NO_LP_PROOF: "no_lp_proof",
    DIVERGED: "diverged",
    UNRESOLVED: "infeasible_below_tolerance",
    NOT_APPLICABLE: "not_applicable",
}
# Why a run with gap > tol did not reach F* (issue 23; stability.unreached_label, S§3/S§5);
# the study's runs get these instead of stalled / undecided (kept for trajectory-only verdicts).
UNSTABLE_STEP, OSCILLATING, STATIONARY_NOT_GLOBAL, STILL_MOVING = range(7, 11)
VERDICT_NAMES.update({UNSTABLE_STEP: "unstable_step", OSCILLATING: "oscillating",
                      STATIONARY_NOT_GLOBAL: "stationary_not_global",
                      STILL_MOVING: "still_moving"})
# lambda_W lambda_H at or above the UPFM zero-solution threshold (issue 24): F* is attained by
# the zero network on any data, so gap <= tol is no collapse (certificate.classify).
ZERO_SOLUTION = 11
VERDICT_NAMES[ZERO_SOLUTION] = "zero_solution"
VERDICT_HELP = {
    "reached": "LP feasible and gap <= tol: at the collapsed global minimizer (V§2-3)",
    "stalled": "gap > tol and log-log slope over the last decade > -s_stall (V§4)",
    "undecided": "gap > tol and still decreasing (slope <= -s_stall)",
    "no_lp_proof": "LP status -1 or -2: F* is not proven attainable nor unattainable",
    "diverged": "objective became NaN/inf or blew up",
    "infeasible_below_tolerance": "LP infeasible (inf F_net > F*) but gap <= tol: the positive "
                                  "minimum gap is below the tolerance; never 'reached'",
    "not_applicable": "not trained on the activation-regularized objective: no UPFM bound",
    "unstable_step": "LP feasible, gap > tol, final lr >= the step limit 2(1+momentum)/lambda_max "
                     "of the collapsed minimizer (S§3): it cannot be the run's limit",
    "oscillating": "gap > tol and flat, relative gradient > stationary_gradient: not at a "
                   "stationary point (S§5)",
    "stationary_not_global": "gap > tol and flat, relative gradient <= stationary_gradient, "
                             "float64 L-BFGS polish ends with gap > tol (S§5)",
    "still_moving": "gap > tol and still falling (slope <= -stall_slope), or the polish "
                    "reaches F* (a descent path exists)",
    "zero_solution": "lambda_W lambda_H >= the UPFM zero-solution threshold: F* is the value "
                     "of the zero network (all features 0), attained on any data whatever the "
                     "LP status, and gap <= tol: the run reached it; no collapse "
                     "(reports/upfm.md D§2-D§3)",
}
# LP statuses as rows of verdict tables, and the two that are proofs (V§2)
LP_STATUSES = (FEASIBLE, INFEASIBLE, UNDECIDED, INFEASIBLE_WITHIN_RADIUS)
LP_PROOF = DECISIVE


def verdict_flag_attrs(long_name: str) -> dict:
    """CF attributes of an integer training-verdict variable (flag_values / flag_meanings)."""
    codes = sorted(VERDICT_NAMES)
    return {"long_name": long_name, "units": "1",
            "flag_values": np.asarray(codes, dtype=np.int8),
            "flag_meanings": " ".join(VERDICT_NAMES[c] for c in codes),
            "description": "; ".join(f"{VERDICT_NAMES[c]}: {VERDICT_HELP[VERDICT_NAMES[c]]}"
                                     for c in codes)}


# Outcomes of LP-feasible runs that a recipe table counts (shallownc.stability, issue 23)
OUTCOMES = ("reached", "unstable_step", "oscillating", "stationary_not_global", "still_moving")


def outcome_counts(ds) -> dict:
    """Counts of one recipe's runs: LP feasible / infeasible / other, each outcome of
    OUTCOMES among LP-feasible runs, and 'other' (diverged, not applicable, no LP proof...)."""
    code = {name: c for c, name in VERDICT_NAMES.items()}
    v = ds["verdict"].values.ravel()
    lp = ds["lp_status"].values.ravel()
    out = {"runs": int(v.size), "lp_feasible": int((lp == FEASIBLE).sum()),
           "lp_infeasible": int((lp == INFEASIBLE).sum())}
    feas = lp == FEASIBLE
    for name in OUTCOMES:
        out[name] = int((feas & (v == code[name])).sum())
    out["other_feasible"] = int(feas.sum()) - sum(out[n] for n in OUTCOMES)
    return out


# ------------------------------------------------------------------- CF flag attributes

def status_flag_attrs(dtype=np.int8) -> dict:
    """``flag_values``/``flag_meanings`` of the LP verdict codes (CF §3.5), from STATUS_NAMES:
    the meanings are the names with blanks replaced by underscores, in decreasing code order."""
    return flag_attrs(STATUS_NAMES, dtype)


def flag_attrs(meanings: dict[int, str], dtype=np.int8) -> dict:
    """CF flag attributes of any integer code variable, e.g. {1: "ok", 0: "not_nc"}."""
    codes = sorted(meanings, reverse=True)
    return {"flag_values": np.array(codes, dtype=dtype),
            "flag_meanings": " ".join(str(meanings[c]).replace(" ", "_") for c in codes)}
