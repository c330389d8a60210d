"""One study job of the verdict stage: a d/n row of the grid, or one variant."""
import json

import torch

from shallownc import io, verdict
from shallownc.devices import claim_device
from shallownc.smk import logged

with logged(snakemake) as log:
    torch.set_num_threads(snakemake.threads)
    cfg = json.loads(snakemake.params.cfg)
    solver = json.loads(snakemake.params.solver)
    seed = int(snakemake.params.seed)
    with claim_device(cfg["device"]) as device:
        cfg["device"] = device
        log.info("device %s, dtype %s, %d thread(s)", device, cfg["dtype"], snakemake.threads)
        if snakemake.rule == "verdict_grid":
            ds = verdict.grid_job(cfg, float(snakemake.params.d_over_n), seed, solver)
        else:
            ds = verdict.variant_job(cfg, json.loads(snakemake.params.variant), seed, solver)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    names = verdict.VERDICT_NAMES
    codes, counts = __import__("numpy").unique(ds["verdict"].values, return_counts=True)
    log.info("verdicts: %s", {names[int(c)]: int(k) for c, k in zip(codes, counts)})
