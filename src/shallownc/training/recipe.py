"""The one translator from a validated training recipe to :func:`shallownc.training.train`.

A recipe is a config block validated against ``$defs/train_recipe`` and its runtime a block
validated against ``$defs/train_runtime`` (src/shallownc/schemas/config.schema.yaml); every
section that trains (training, verdict, paper.train, generalization's trained) uses those two
definitions, so one function maps them to TrainSpec keyword arguments. The schema is the only
source of defaults: a key the validated blocks lack is an error here, never a TrainSpec
default. Lambdas are the paper's (2.1) values, which the trainer minimizes as they are
(training.objective.NORMALIZATION).
"""

from __future__ import annotations

import functools

# Runtime keys that never change a result and are not TrainSpec fields (the job's CPU threads
# and GPU count are Snakemake resources; config.TRAIN_KNOBS lists every result-neutral key).
NOT_SPEC = ("threads", "gpus_per_job")


@functools.lru_cache(maxsize=1)
def schema_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(recipe keys, runtime keys) as declared in the schema's $defs."""
    from shallownc.config import load_schema

    defs = load_schema()["$defs"]
    recipe = tuple(defs["train_recipe"]["properties"])
    runtime = tuple(k for k in defs["train_runtime"]["properties"] if k not in NOT_SPEC)
    return recipe, runtime


def _pick(block: dict, keys: tuple, what: str) -> dict:
    missing = [k for k in keys if k not in block]
    if missing:
        raise ValueError(f"{what} lacks {missing}: build it through config validation "
                         "(the schema is the only source of defaults)")
    return {k: block[k] for k in keys}


def train_kwargs(recipe: dict, runtime: dict) -> dict:
    """TrainSpec keyword arguments of a validated recipe and runtime block.

    width p -> widths (p,) (a two-layer net; a caller that builds another architecture
    replaces arch/widths), batch_size 0 -> None (full batch), lr_milestones -> tuple. Other
    keys of the blocks (a section's own settings) are ignored.
    """
    rkeys, tkeys = schema_keys()
    kw = _pick(recipe, rkeys, "training recipe")
    kw.update(_pick(runtime, tkeys, "training runtime"))
    kw["arch"] = "two_layer"
    kw["widths"] = (int(kw.pop("width")),)
    bs = int(kw.pop("batch_size"))
    kw["batch_size"] = None if bs == 0 else bs
    kw["lr_milestones"] = tuple(float(m) for m in kw["lr_milestones"])
    return kw
