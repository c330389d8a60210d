"""The preamble of a Snakemake training job, in one place (issue 20): shared by the
training, verdict and paper training scripts. (Kept out of shallownc.smk, which every script
imports, so that non-training jobs' code versions do not include the config and the trainer.)"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def training_job(snakemake, section: str, settings: dict, log):
    """The preamble of every training job (the one copy; issue 20): torch uses the rule's
    threads, the section's runtime knobs (threads, checkpoints, logging: not rerun triggers,
    so rules leave them out of their params) come from the config, and the job trains on a
    device claimed for it (shallownc.devices.claim_device: concurrent jobs get distinct GPUs).
    Yields ``settings`` with the knobs and the claimed ``device``."""
    import torch

    from shallownc.config import runtime_knobs
    from shallownc.devices import claim_device

    torch.set_num_threads(snakemake.threads)
    run = {**settings, **runtime_knobs(snakemake.config, section)}
    with claim_device(run["device"]) as device:
        run["device"] = device
        log.info("device %s, dtype %s, %d thread(s), checkpoints in %s", device, run["dtype"],
                 snakemake.threads, run["checkpoint_dir"])
        yield run
