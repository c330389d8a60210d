# Stage 10 — the report's own entries: CSV tables rendered as HTML, and the run summary that the
# landing page (workflow/report/workflow.rst) links to. Included last: it sees ALL_TARGETS.


# Constants and input functions: inputs/report.smk (this stage only).
include: "inputs/report.smk"


rule report_table:
    input:
        report_table_csv,
    output:
        report(
            f"{REPORTS}/tables/{{table}}.html",
            caption="../report/table.rst",
            category=report_table_category,
            subcategory=report_table_subcategory,
            labels=report_table_labels,
        ),
    log:
        log_path("report/table_{table}.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        title=report_table_title,
        code=code_version("../scripts/report_table.py"),
    script:
        "../scripts/report_table.py"


rule run_summary:
    input:
        RUN_INPUTS,
    output:
        report(
            f"{REPORTS}/run_summary.html",
            caption="../report/run_summary.rst",
            category="About this run",
            labels={"entry": "what was run: config, sizes, wall time, versions"},
        ),
    log:
        log_path("report/run_summary.log"),
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code_version("../scripts/run_summary.py"),
    script:
        "../scripts/run_summary.py"


ALL_TARGETS += expand(rules.report_table.output[0], table=REPORT_TABLES)
ALL_TARGETS += rules.run_summary.output
