"""Imbalance figure: threshold (figures.imbalance.fig_threshold)."""
from shallownc import figures, io
from shallownc.figures import imbalance as fi
from shallownc.smk import logged

with logged(snakemake) as log:
    dss = [io.read_netcdf(p) for p in snakemake.input]
    figures.save(fi.fig_threshold(dss if "threshold" == "threshold" else dss[0]), snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
