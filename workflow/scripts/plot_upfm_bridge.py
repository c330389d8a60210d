"""Bridge check of one data grid: constructed and trained gaps to F* (figures.upfm.fig_bridge)."""
from shallownc import figures, io
from shallownc.figures import upfm as fu
from shallownc.smk import logged

with logged(snakemake) as log:
    ds = io.read_netcdf(snakemake.input[0],
                        required_vars=["constructed_gap", "trained_gap", "nc_all_status"])
    figures.save(fu.fig_bridge(ds), snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
