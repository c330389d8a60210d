"""Combine the per-job NetCDF files of a paper figure, or select Figure 4/5 from Figure 3."""
from shallownc import io, paper_training
from shallownc.smk import logged

with logged(snakemake) as log:
    if snakemake.rule == "paper_fig45":
        fig3 = io.read_netcdf(snakemake.input[0])
        ds = paper_training.select_sigma(fig3, float(snakemake.params.sigma),
                                         snakemake.params.figure)
    else:
        parts = [io.read_netcdf(p) for p in snakemake.input]
        ds = paper_training.combine(parts, snakemake.params.dim)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("wrote %s with dims %s", snakemake.output[0], dict(ds.sizes))
