"""One job of the training stage to NetCDF: a single-job experiment (dynamics, three_layer,
regularization) or one d/n value of experiment 2 (theory vs training)."""
from shallownc import io, training
from shallownc.smk import logged
from shallownc.training.job import training_job

RUN = {"dynamics": training.run_dynamics, "three_layer": training.run_three_layer,
       "regularization": training.run_regularization}

with logged(snakemake) as log:
    job = snakemake.params.job
    exp = job["experiment"]
    seed, solver = int(snakemake.params.seed), snakemake.params.solver
    with training_job(snakemake, "training", snakemake.params.cfg, log) as cfg:
        if exp == "theory":
            ds = training.run_grid(cfg["theory"], cfg, seed, "theory",
                                   float(job["d_over_n"]), solver)
        else:
            ds = RUN[exp](cfg[exp], cfg, seed, solver)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("final NC1: median %.3g, min %.3g, max %.3g; diverged runs: %d",
             float(ds["final_nc1"].median()), float(ds["final_nc1"].min()),
             float(ds["final_nc1"].max()), int(ds["diverged"].sum()))
