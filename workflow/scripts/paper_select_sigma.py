"""Figure 4 or 5: one sigma of Figure 3's runs along the epochs (paper_training.select_sigma)."""
from shallownc import io
from shallownc.paper import training as paper_training
from shallownc.smk import logged

with logged(snakemake) as log:
    ds = paper_training.select_sigma(io.read_netcdf(snakemake.input[0]),
                                     float(snakemake.params.sigma), snakemake.params.figure)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("wrote %s with dims %s", snakemake.output[0], dict(ds.sizes))
