"""Bridge check of one data grid: LP solutions -> two-layer weights; F_net - F* (bridge.run_grid)."""
from threadpoolctl import threadpool_limits

from shallownc import bridge, feasibility, io
from shallownc.smk import logged

with logged(snakemake) as log, threadpool_limits(snakemake.threads):
    cfg = snakemake.params.upfm
    grid = bridge.grids_from_config(cfg)[snakemake.wildcards.grid]
    opts = feasibility.SolverOptions.from_config(snakemake.params.solver)
    b = cfg["bridge"]
    ds = bridge.run_grid(grid, b["losses"], b["ratio"], snakemake.params.seed, opts,
                         bridge.TrainSettings.from_config(b["train"]),
                         mse_scale=cfg["mse_scale"], lam_ratio=cfg["lambda_ratio"],
                         gd=bridge.GDCheck.from_config(b["gd_check"]))
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    feas = ds.nc_all_status == 1
    log.info("constructed gap: max |F_net - F*| = %.3e over %d feasible data sets",
             float(abs(ds.constructed_gap.where(feas)).max()), int(feas.sum()))
    log.info("trained gap: feasible max %.3e, infeasible min %.3e",
             float(ds.trained_gap.where(feas).max()),
             float(ds.trained_gap.where(ds.nc_all_status == 0).min()))
