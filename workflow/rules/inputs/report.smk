# Stage 10 (report.smk): the constants and input functions of its rules.
from shallownc.paper import table as _paper_table

# CSV tables shown in the report: name -> (csv, title, category, subcategory).
_REPORT_TABLES = {
    "bounds_summary": (
        f"{RESULTS}/bounds/summary.csv",
        "Validation of the theory curves (capture shares, 50% gaps, soundness)",
        "Theory curves",
        "Validation",
    ),
    "verdict_theory": (
        f"{RESULTS}/verdict/theory_table.csv",
        "Theory experiment: runs by LP status and certified verdict",
        "Verdicts",
        "Tables",
    ),
    "verdict_study": (
        f"{RESULTS}/verdict/study_table.csv",
        "Verdict study: runs by LP status and certified verdict",
        "Verdicts",
        "Tables",
    ),
    "verdict_cells": (
        f"{RESULTS}/verdict/study_cells.csv",
        "Verdict study per (d/n, sigma) cell: verdict counts, sharpness, eta*, lr, end-point "
        "diagnostics",
        "Verdicts",
        "Tables",
    ),
    "verdict_recipes": (
        f"{RESULTS}/verdict/recipes.csv",
        "Per recipe: LP-feasible runs reached / unstable step / oscillating / stationary not "
        "global / still moving, LP-infeasible runs",
        "Verdicts",
        "Tables",
    ),
    "paper_length": (
        _paper_table.table_csv(RESULTS, _paper_table.PAPER_LENGTH_KEY),
        "Paper Figure 3 cells at the paper's length (committed runs): final metrics per recipe "
        "beside the paper's final NC1",
        "Paper figures",
        "Tables",
    ),
}


def report_tables(targets):
    """The tables whose CSV this run builds."""
    return {k: v for k, v in _REPORT_TABLES.items() if v[0] in targets}


def report_table_csv(wildcards):
    return _REPORT_TABLES[wildcards.table][0]


def report_table_title(wildcards):
    return _REPORT_TABLES[wildcards.table][1]


def report_table_category(wildcards):
    return _REPORT_TABLES[wildcards.table][2]


def report_table_subcategory(wildcards):
    return _REPORT_TABLES[wildcards.table][3]


def report_table_labels(wildcards):
    return {"entry": f"table: {_REPORT_TABLES[wildcards.table][1]}"}


REPORT_TABLES = report_tables(ALL_TARGETS)
RUN_INPUTS = list(ALL_TARGETS) + expand(
    f"{REPORTS}/tables/{{table}}.html", table=REPORT_TABLES
)
