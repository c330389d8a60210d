"""The run summary of the report's landing page (shallownc.runinfo.run_summary_html)."""
from pathlib import Path

from shallownc import runinfo
from shallownc.smk import logged

with logged(snakemake) as log:
    results = {Path(p) for p in snakemake.input if p.endswith(".nc")}
    # every NetCDF result this run's targets were made from (per-job pieces excluded)
    res_dir = Path(snakemake.config["results_dir"])
    results |= {p for p in res_dir.rglob("*.nc") if "jobs" not in p.parts}
    # this results folder's timings (common.smk: BENCHMARKS), of the jobs of this run
    bench = sorted((res_dir / "benchmarks").rglob("*.tsv"))
    page = runinfo.run_summary_html(sorted(results), runinfo.configfiles_from_env(),
                                    snakemake.config, bench, runinfo.run_started_from_env())
    Path(snakemake.output[0]).write_text(page)
    log.info("wrote %s (%d results)", snakemake.output[0], len(results))
