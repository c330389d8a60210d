"""UPFM/UFM numerical minimizers vs closed form for one loss over (K, n, lambda) (upfm.run_sweep)."""
from threadpoolctl import threadpool_limits

from shallownc import io, upfm
from shallownc.smk import logged

with logged(snakemake) as log, threadpool_limits(snakemake.threads):
    cfg = snakemake.params.upfm
    sw = cfg["sweep"]
    ds = upfm.run_sweep(snakemake.wildcards.loss, sw["K"], sw["n"], sw["ratios"],
                        upfm.SolverSettings.from_config(cfg["solver"]), snakemake.params.seed,
                        mse_scale=cfg["mse_scale"], lam_ratio=cfg["lambda_ratio"])
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("max |best - closed form| = %.3e, max closed-form certificate gap = %.3e",
             float(abs(ds.gap_best).max()), float(abs(ds.cert_gap_closed).max()))
