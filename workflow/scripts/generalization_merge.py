"""Merge the per-d theory and trained-network results of one experiment into one NetCDF file."""
from shallownc import generalization, io
from shallownc.smk import logged

with logged(snakemake) as log:
    dims = ["snr", "d_over_n", "trial"]
    theory = [io.read_netcdf(p, required_vars=["best_nc_error_lower", "nc_all_status"],
                             required_dims=dims) for p in snakemake.input.theory]
    trained = [io.read_netcdf(p, required_vars=["trained", "trained_test_error"],
                              required_dims=dims) for p in snakemake.input.trained]
    ds = generalization.merge(theory, trained)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("merged %d theory and %d trained parts", len(theory), len(trained))
