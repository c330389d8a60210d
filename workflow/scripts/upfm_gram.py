"""Class-mean Gram matrices of UPFM and UFM minimizers, CE and MSE (upfm.run_gram)."""
from threadpoolctl import threadpool_limits

from shallownc import io, upfm
from shallownc.smk import logged

with logged(snakemake) as log, threadpool_limits(snakemake.threads):
    cfg = snakemake.params.upfm
    g = cfg["gram"]
    ds = upfm.run_gram(g["K"], g["n"], g["ratio"], upfm.SolverSettings.from_config(cfg["solver"]),
                       snakemake.params.seed, mse_scale=cfg["mse_scale"],
                       lam_ratio=cfg["lambda_ratio"])
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("NC2 orthogonal-frame error:\n%s\nNC2 ETF error:\n%s", ds.nc2_of.to_pandas(),
             ds.nc2_etf.to_pandas())
