"""One training job of the paper's Figures 3-6 (shallownc.paper_training); writes its NetCDF."""
import json

import torch

from shallownc import io, paper_training
from shallownc.devices import claim_device
from shallownc.smk import logged

with logged(snakemake) as log:
    torch.set_num_threads(snakemake.threads)
    fig = json.loads(snakemake.params.fig)
    train = json.loads(snakemake.params.train)
    solver = json.loads(snakemake.params.solver)
    seed = int(snakemake.params.seed)
    with claim_device(train["device"]) as device:
        log.info("device %s, %d thread(s), checkpoints in %s", device, snakemake.threads,
                 snakemake.params.checkpoint_dir)
        if snakemake.rule == "paper_fig3_job":
            ds = paper_training.run_fig3_d(fig, train, int(snakemake.wildcards.d), seed, solver,
                                           device, snakemake.params.checkpoint_dir)
        else:
            ds = paper_training.run_fig6_d1(fig, train, int(snakemake.wildcards.d1), seed,
                                            solver, device, snakemake.params.checkpoint_dir)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("training wall %.1f s; final NC1 median %.3g", ds.attrs["wall_s"],
             float(ds["final_nc1"].median()))
