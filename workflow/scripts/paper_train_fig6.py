"""One training job of the paper's Figure 6 (paper_training.run_fig6_d1); writes its NetCDF."""
import torch

from shallownc import config, io
from shallownc.paper import training as paper_training
from shallownc.devices import claim_device
from shallownc.smk import logged

with logged(snakemake) as log:
    torch.set_num_threads(snakemake.threads)
    # runtime knobs (threads, checkpoints) come from the config: they are not rerun triggers
    train = {**snakemake.params.train, **config.runtime_knobs(snakemake.config, "paper.train")}
    checkpoint_dir = train["checkpoint_dir"] and f"{train['checkpoint_dir']}/fig6"
    with claim_device(train["device"]) as device:
        log.info("device %s, %d thread(s), checkpoints in %s", device, snakemake.threads,
                 checkpoint_dir)
        ds = paper_training.run_fig6_d1(snakemake.params.fig, train, int(snakemake.wildcards.d1),
                                int(snakemake.params.seed), snakemake.params.solver, device,
                                checkpoint_dir,
                                fashion_path=snakemake.config["data"]["fashion_mnist"]["path"])
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("training wall %.1f s; final NC1 median %.3g", ds.attrs["wall_s"],
             float(ds["final_nc1"].median()))
