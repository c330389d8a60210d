"""Separability vs NC-feasibility over the phase-diagram grids (figures.feasibility.fig_separability)."""
from shallownc import figures, io
from shallownc.figures import feasibility as ff
from shallownc.smk import logged

with logged(snakemake) as log:
    dss = [io.read_netcdf(p, required_vars=["nc_status", "nc_all_status", "sep_all_status"],
                          required_dims=["d", "sigma", "trial", "class"])
           for p in snakemake.input]
    figures.save(ff.fig_separability(dss), snakemake.output[0])
    log.info("wrote %s from %d file(s)", snakemake.output[0], len(dss))
