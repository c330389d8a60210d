# Stage 8 — the report's own entries: CSV tables rendered as HTML, and the run summary that the
# landing page (workflow/report/workflow.rst) links to. Included last: it sees ALL_TARGETS.

# CSV tables shown in the report: name -> (csv, title, category, subcategory).
REPORT_TABLES = {
    "bounds_summary": (f"{RESULTS}/bounds/summary.csv",
                       "Validation of the theory curves (capture shares, 50% gaps, soundness)",
                       "Theory curves", "Validation"),
    "verdict_theory": (f"{RESULTS}/verdict/theory_table.csv",
                       "Theory experiment: runs by LP status and certified verdict",
                       "Verdicts", "Tables"),
    "verdict_study": (f"{RESULTS}/verdict/study_table.csv",
                      "Verdict study: runs by LP status and certified verdict",
                      "Verdicts", "Tables"),
    "verdict_cells": (f"{RESULTS}/verdict/study_cells.csv",
                      "Verdict study per (d/n, sigma) cell: reached / stalled / undecided",
                      "Verdicts", "Tables"),
}
REPORT_TABLES = {k: v for k, v in REPORT_TABLES.items() if v[0] in ALL_TARGETS}


rule report_table:
    conda:
        CONDA_ENV
    input:
        lambda wc: REPORT_TABLES[wc.table][0],
    output:
        report(
            f"{REPORTS}/tables/{{table}}.html",
            caption="../report/table.rst",
            category=lambda wc: REPORT_TABLES[wc.table][2],
            subcategory=lambda wc: REPORT_TABLES[wc.table][3],
            labels=lambda wc: {"entry": "table: " + REPORT_TABLES[wc.table][1]},
        ),
    params:
        title=lambda wc: REPORT_TABLES[wc.table][1],
        code=code_version("runinfo", "paper_figures"),
    log:
        "logs/report/table_{table}.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/report_table.py"


RUN_INPUTS = list(ALL_TARGETS) + expand(f"{REPORTS}/tables/{{table}}.html", table=REPORT_TABLES)


rule run_summary:
    conda:
        CONDA_ENV
    input:
        RUN_INPUTS,
    output:
        report(
            f"{REPORTS}/run_summary.html",
            caption="../report/run_summary.rst",
            category="About this run",
            labels={"entry": "what was run: config, sizes, wall time, versions"},
        ),
    params:
        configfiles=[str(p) for p in workflow.config_settings.configfiles] or ["config.yaml"],
        code=code_version("runinfo", "paper_figures"),
    log:
        "logs/report/run_summary.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/run_summary.py"


ALL_TARGETS += expand(f"{REPORTS}/tables/{{table}}.html", table=REPORT_TABLES)
ALL_TARGETS.append(f"{REPORTS}/run_summary.html")
