"""Render one CSV table of the report as HTML (shallownc.runinfo.csv_table_html)."""
from pathlib import Path

from shallownc import runinfo
from shallownc.smk import logged

with logged(snakemake) as log:
    page = runinfo.csv_table_html(snakemake.input[0], snakemake.params.title)
    Path(snakemake.output[0]).write_text(page)
    log.info("wrote %s from %s", snakemake.output[0], snakemake.input[0])
