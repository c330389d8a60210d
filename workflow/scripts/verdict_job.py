"""One job of the verdict study: a d/n row of the grid (verdict.grid_job) or one variant of
the base recipe (verdict.variant_job); writes its NetCDF."""
import numpy as np

from shallownc import io, verdict
from shallownc.smk import logged
from shallownc.training.job import training_job

with logged(snakemake) as log:
    with training_job(snakemake, "verdict", snakemake.params.cfg, log) as cfg:
        job, seed, solver = snakemake.params.job, int(snakemake.params.seed), snakemake.params.solver
        if job["kind"] == "grid":
            ds = verdict.grid_job(cfg, float(job["d_over_n"]), seed, solver)
        else:
            ds = verdict.variant_job(cfg, dict(job["variant"]), seed, solver)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    codes, counts = np.unique(ds["verdict"].values, return_counts=True)
    log.info("verdicts: %s", {verdict.VERDICT_NAMES[int(c)]: int(k) for c, k in zip(codes, counts)})
