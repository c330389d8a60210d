"""Combine the job outputs of one grid into results/feasibility/<grid>.nc."""
from shallownc import io, phase
from shallownc.smk import logged

with logged(snakemake) as log:
    parts = [io.read_netcdf(p, required_vars=["nc_status", "sep_status"]) for p in snakemake.input]
    ds = phase.combine(parts)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("combined %d jobs into %s with dims %s", len(parts), snakemake.output[0],
             dict(ds.sizes))
