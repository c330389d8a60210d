"""One variant of the verdict study's base recipe (verdict.variant_job); writes its NetCDF."""
import numpy as np
import torch

from shallownc import config, io, verdict
from shallownc.devices import claim_device
from shallownc.smk import logged

with logged(snakemake) as log:
    torch.set_num_threads(snakemake.threads)
    # runtime knobs (checkpoints, logging) come from the config: they are not rerun triggers
    cfg = {**snakemake.params.cfg, **config.runtime_knobs(snakemake.config, "verdict")}
    with claim_device(cfg["device"]) as device:
        cfg["device"] = device
        log.info("device %s, dtype %s, %d thread(s)", device, cfg["dtype"], snakemake.threads)
        ds = verdict.variant_job(cfg, dict(snakemake.params.variant),
                                 int(snakemake.params.seed), snakemake.params.solver)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    codes, counts = np.unique(ds["verdict"].values, return_counts=True)
    log.info("verdicts: %s", {verdict.VERDICT_NAMES[int(c)]: int(k) for c, k in zip(codes, counts)})
