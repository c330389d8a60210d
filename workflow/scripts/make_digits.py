"""Write the real data set (scikit-learn digits, a few classes) as NetCDF."""
from shallownc import data, io
from shallownc.smk import logged

with logged(snakemake) as log:
    cfg = snakemake.params.digits
    ds = data.digits_dataset(cfg["classes"], cfg["standardize"])
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("wrote %s: d=%d N=%d classes=%s", snakemake.output[0], ds.sizes["feature"],
             ds.sizes["sample"], cfg["classes"])
