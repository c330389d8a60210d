"""Run one d/n job of training experiment 2 (theory vs training) to NetCDF."""
import torch

from shallownc import config, io, training
from shallownc.devices import claim_device
from shallownc.smk import logged

with logged(snakemake) as log:
    torch.set_num_threads(snakemake.threads)
    # runtime knobs (checkpoints, logging) come from the config: they are not rerun triggers
    knobs = {k: snakemake.config["training"][k] for k in config.RUNTIME_KNOBS["training"]}
    cfg = {**snakemake.params.cfg, **knobs}
    with claim_device(cfg["device"]) as device:
        run_cfg = dict(cfg, device=device)
        log.info("device %s, dtype %s, %d thread(s), checkpoints in %s", device, cfg["dtype"],
                 snakemake.threads, cfg["checkpoint_dir"])
        ds = training.run_grid(cfg["theory"], run_cfg, int(snakemake.params.seed), "theory",
                               float(snakemake.params.d_over_n), snakemake.params.solver)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("final NC1: median %.3g, min %.3g, max %.3g; diverged runs: %d",
             float(ds["final_nc1"].median()), float(ds["final_nc1"].min()),
             float(ds["final_nc1"].max()), int(ds["diverged"].sum()))
