"""Train two-layer nets on one experiment's training sets at one d; test error and NC1."""
from shallownc import generalization, io
from shallownc.config import TRAIN_KNOBS
from shallownc.smk import logged

with logged(snakemake) as log:
    exp = generalization.sub_experiment(snakemake.params.experiment,
                                        int(snakemake.wildcards.d))
    # runtime knobs (checkpoints, logging) come from the config: they are not rerun triggers
    full = snakemake.config["generalization"]["experiments"][snakemake.wildcards.name]
    exp["trained"] = {**exp["trained"], **{k: full["trained"][k] for k in TRAIN_KNOBS}}
    if exp["trained"]["enabled"]:
        import torch

        torch.set_num_threads(snakemake.threads)  # oversubscribed threads: 10x slower here
    ds = generalization.run_trained(exp, snakemake.params.seed, log=log)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("trained %d nets", int(ds.trained.sum()))
