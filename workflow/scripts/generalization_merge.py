"""Merge the theory and trained-network results of one experiment into one NetCDF file."""
from shallownc import generalization, io
from shallownc.smk import logged

with logged(snakemake):
    theory = io.read_netcdf(snakemake.input.theory,
                            required_vars=["best_nc_error_lower", "nc_all_status"],
                            required_dims=["snr", "d_over_n", "trial"])
    trained = io.read_netcdf(snakemake.input.trained,
                             required_vars=["trained", "trained_test_error"],
                             required_dims=["snr", "d_over_n", "trial"])
    io.write_netcdf(generalization.merge(theory, trained), snakemake.output[0],
                    snakemake.config)
