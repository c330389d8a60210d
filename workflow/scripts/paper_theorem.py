"""Theorem 6 or Theorems 7-8 panel data (shallownc.paper.theorems); writes its NetCDF."""
from shallownc import io
from shallownc.paper import theorems as paper_theorems
from shallownc.smk import logged

with logged(snakemake) as log:
    cfg = snakemake.params.cfg
    solver = snakemake.params.solver
    seed = int(snakemake.params.seed)
    if snakemake.wildcards.fig == "theorem6":
        ds = paper_theorems.run_theorem6(cfg, snakemake.params.fig6, seed, solver,
                                         snakemake.config["data"]["fashion_mnist"]["path"])
        log.info("lambda_min corrected %s, lemma9 %s; thresholds %s; observed full rank %s, "
                 "NC %s", ds.lambda_min_corrected.values, ds.lambda_min_lemma9.values,
                 ds.threshold_corrected.values, ds.observed_full_rank_d1.values,
                 ds.observed_nc_d1.values)
    else:
        ds = paper_theorems.run_theorem78(cfg, seed, solver)
        log.info("(2.28) agreement: %s", paper_theorems.theorem78_agreement(ds))
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
