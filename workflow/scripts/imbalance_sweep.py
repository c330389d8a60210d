"""Trained two-layer nets across the minority-vanishing threshold (imbalance.lambda_sweep)."""
from threadpoolctl import threadpool_limits

from shallownc import feasibility, imbalance, io
from shallownc.smk import logged

with logged(snakemake) as log, threadpool_limits(1):
    opts = feasibility.SolverOptions.from_config(snakemake.params.solver)
    ds = imbalance.lambda_sweep(snakemake.params.cfg, snakemake.params.seed, opts)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("trained class norms:\n%s\nclosed form:\n%s\nverdicts:\n%s",
             ds.h_trained.isel(trial=0).to_pandas(), ds.h_closed.isel(trial=0).to_pandas(),
             ds.verdict.to_pandas())
