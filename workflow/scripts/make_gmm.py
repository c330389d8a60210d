"""Write one named Gaussian-mixture example (config data.examples.<name>) as NetCDF."""
from shallownc import data, io
from shallownc.smk import logged

with logged(snakemake) as log:
    spec = data.GMMSpec(**snakemake.params.spec)
    ds = data.gmm_dataset(spec, snakemake.params.seed, trial=0)
    ds.attrs["name"] = snakemake.wildcards.name
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("wrote %s: d=%d N=%d SNR=%.3g", snakemake.output[0], ds.sizes["feature"],
             ds.sizes["sample"], ds.attrs["snr"])
