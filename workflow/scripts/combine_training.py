"""Combine the d/n jobs of experiment 2 (the theory experiment) into one file; its
verdicts against the class-LP status are the verdict stage's (verdict_theory.py)."""
import xarray as xr

from shallownc import io
from shallownc.smk import logged

with logged(snakemake) as log:
    parts = [io.read_netcdf(p, required_vars=["final_nc1", "lp_status", "diverged"])
             for p in snakemake.input]
    ds = xr.concat(parts, dim="d_over_n", data_vars="all", coords="different",
                   compat="equals", join="outer", combine_attrs="override").sortby("d_over_n")
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("combined %d jobs: d/n %s, %d runs", len(parts), ds.d_over_n.values.tolist(),
             int(ds["final_nc1"].size))
