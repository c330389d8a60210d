"""Figures of the training stage (shallownc.figures.training), from NetCDF only."""
from shallownc import io
from shallownc.figures import training as ft
from shallownc.smk import logged

with logged(snakemake) as log:
    inp, out = snakemake.input, snakemake.output
    ft.plot_dynamics(io.read_netcdf(inp.dynamics, required_vars=["nc1", "lp_status"]),
                     out.dynamics)
    ft.plot_three_layer(io.read_netcdf(inp.three_layer, required_vars=["nc1"]),
                        out.three_layer)
    ft.plot_regularization(io.read_netcdf(inp.regularization, required_vars=["nc1"]),
                           out.regularization)
    log.info("wrote %s", list(out))
