"""Combine the per-job NetCDF files of the paper's Figure 3 (cells along d and sigma) or
Figure 6 (along d1) (paper.training.combine)."""
from shallownc import io
from shallownc.paper import training as paper_training
from shallownc.smk import logged

with logged(snakemake) as log:
    ds = paper_training.combine([io.read_netcdf(p) for p in snakemake.input],
                                snakemake.params.dims)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("wrote %s with dims %s", snakemake.output[0], dict(ds.sizes))
