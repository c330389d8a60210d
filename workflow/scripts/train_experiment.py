"""Run one training experiment (or one d/n job of experiment 2) and write its NetCDF."""
import json

import torch

from shallownc import io, training
from shallownc.devices import claim_device
from shallownc.smk import logged

with logged(snakemake) as log:
    torch.set_num_threads(snakemake.threads)
    cfg = json.loads(snakemake.params.cfg)
    solver = json.loads(snakemake.params.solver)
    seed = int(snakemake.params.seed)
    with claim_device(cfg["device"]) as device:
        run_cfg = dict(cfg, device=device, checkpoint_dir=snakemake.params.checkpoint_dir)
        log.info("device %s, dtype %s, %d thread(s), checkpoints in %s", device, cfg["dtype"],
                 snakemake.threads, snakemake.params.checkpoint_dir)
        if snakemake.rule == "train_theory":
            ds = training.run_grid(cfg["theory"], run_cfg, seed, "theory",
                                   float(snakemake.params.d_over_n), solver)
        else:
            exp = snakemake.wildcards.experiment
            run = {"dynamics": lambda: training.run_dynamics(cfg[exp], run_cfg, seed, solver),
                   "three_layer": lambda: training.run_three_layer(cfg[exp], run_cfg, seed,
                                                                   solver),
                   "regularization": lambda: training.run_regularization(cfg[exp], run_cfg,
                                                                         seed, solver)}[exp]
            ds = run()
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("final NC1: median %.3g, min %.3g, max %.3g; diverged runs: %d",
             float(ds["final_nc1"].median()), float(ds["final_nc1"].min()),
             float(ds["final_nc1"].max()), int(ds["diverged"].sum()))
