"""Combine the d/n jobs of experiment 2 and add collapse vs LP verdict (confusion matrix)."""
import xarray as xr

from shallownc import io, training
from shallownc.smk import logged

with logged(snakemake) as log:
    parts = [io.read_netcdf(p, required_vars=["final_nc1", "lp_status", "diverged"])
             for p in snakemake.input]
    ds = xr.concat(parts, dim="d_over_n", data_vars="all", coords="different",
                   compat="equals", join="outer", combine_attrs="override").sortby("d_over_n")
    ds = training.collapse_summary(ds, float(snakemake.params.threshold))
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("confusion (rows LP feasible/infeasible, cols collapsed/not):\n%s",
             ds["confusion"].values)
    log.info("agreement rate %.3f over %d decided runs (%d undecided LPs)",
             ds.attrs["agreement_rate"], ds.attrs["n_decided"], ds.attrs["n_undecided_lp"])
