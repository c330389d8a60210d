"""Closed form vs numerical minimizers of one loss (figures.upfm.fig_sweep)."""
from shallownc import figures, io
from shallownc.figures import upfm as fu
from shallownc.smk import logged

with logged(snakemake) as log:
    ds = io.read_netcdf(snakemake.input[0],
                        required_vars=["closed_value", "best_value", "cert_lb_closed",
                                       "feature_norm", "feature_norm_closed", "gap_best"])
    figures.save(fu.fig_sweep(ds), snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
