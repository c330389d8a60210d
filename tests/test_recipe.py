"""shallownc.training.recipe: one schema definition of the training recipe and runtime, one
translator to TrainSpec, used by every section that trains."""
import dataclasses

import pytest

from shallownc.config import ConfigError, load_schema, validate
from shallownc.training.recipe import NOT_SPEC, schema_keys, train_kwargs
from shallownc.training.spec import TrainSpec

# every (recipe block, runtime block) of the default configuration
SECTIONS = {
    "training.dynamics": lambda c: (c["training"]["dynamics"]["train"], c["training"]),
    "training.theory": lambda c: (c["training"]["theory"]["train"], c["training"]),
    "verdict.study": lambda c: (c["verdict"]["study"]["train"], c["verdict"]),
    "paper.train": lambda c: ({**c["paper"]["train"], "width": 8, "epochs": 3,
                               "batch_size": 4}, c["paper"]["train"]),
    "generalization.trained": lambda c: (c["generalization"]["experiments"]["x"]["trained"],
                                         c["generalization"]["experiments"]["x"]["trained"]),
}


@pytest.fixture(scope="module")
def default_config():
    gen = {"geometry": "antipodal", "n": 4, "snr": [1.0], "d_over_n": [1.0], "trials": 2}
    return validate({"generalization": {"experiments": {"x": gen}}})


def test_every_schema_key_is_a_trainspec_field():
    """The translator maps every recipe/runtime key to a TrainSpec field (width -> widths):
    nothing of the schema is dropped, and TrainSpec has no second name for it."""
    fields = {f.name for f in dataclasses.fields(TrainSpec)}
    recipe, runtime = schema_keys()
    assert {"width", "epochs", "lr", "n_eval"} <= set(recipe)
    for k in (*recipe, *runtime):
        assert (k if k != "width" else "widths") in fields, k
    defs = load_schema()["$defs"]
    assert set(NOT_SPEC) <= set(defs["train_runtime"]["properties"])


@pytest.mark.parametrize("name", list(SECTIONS))
def test_sections_give_every_setting_and_trainspec_accepts_it(default_config, name):
    """Every section that trains yields a complete set of TrainSpec settings from the schema
    alone (no TrainSpec default is relied on) and TrainSpec accepts it."""
    recipe, runtime = SECTIONS[name](default_config)
    kw = train_kwargs(recipe, runtime)
    rk, tk = schema_keys()
    assert set(kw) == ({*rk, *tk} - {"width"}) | {"widths", "arch"}
    spec = TrainSpec(seeds=(0,), **kw)
    assert spec.widths == (recipe["width"],)
    assert spec.batch_size == (None if recipe["batch_size"] == 0 else recipe["batch_size"])


def test_missing_key_is_an_error_not_a_default():
    c = validate({})
    rec = dict(c["verdict"]["study"]["train"])
    del rec["momentum"]
    with pytest.raises(ValueError, match="momentum"):
        train_kwargs(rec, c["verdict"])


def test_one_definition_section_defaults_and_narrowing():
    """A partial block takes its own section's defaults (verdict width 32, training 64), the
    shared ranges (n_eval >= 4 everywhere; device auto/cpu/cuda/cuda:N everywhere), and a
    section's narrowing (the paper: cross-entropy only)."""
    c = validate({"verdict": {"study": {"train": {"lr": 0.3}}},
                  "training": {"theory": {"train": {"lr": 0.3}}}})
    assert c["verdict"]["study"]["train"]["width"] == 32
    assert c["training"]["theory"]["train"]["width"] == 64
    assert c["paper"]["train"]["lr_schedule"] == "step"
    for bad, key in (({"training": {"theory": {"train": {"n_eval": 3}}}}, "n_eval"),
                     ({"paper": {"train": {"n_eval": 3}}}, "n_eval"),
                     ({"verdict": {"device": "gpu"}}, "device"),
                     ({"paper": {"train": {"loss": "mse"}}}, "loss"),
                     ({"paper": {"train": {"width": 4}}}, "paper.train.width"),
                     ({"verdict": {"study": {"train": {"widht": 4}}}}, "widht")):
        with pytest.raises(ConfigError, match=key):
            validate(bad)
    assert validate({"paper": {"train": {"device": "cuda:1"}}})["paper"]["train"]["device"] \
        == "cuda:1"
