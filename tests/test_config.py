"""Config validation: defaults, and clear errors naming the key for bad configs."""
import copy

import pytest
import yaml

from shallownc import config as C


def _load(root, name):
    return yaml.safe_load((root / name).read_text())


@pytest.mark.parametrize("name", ["config.yaml", "presets/tiny.yaml", "presets/paper.yaml"])
def test_shipped_configs_validate(root, schema_dir, name):
    cfg = C.validate(_load(root, name), schema_dir)
    assert cfg["solver"]["tolerance"] > 0


def test_defaults_are_filled(schema_dir):
    cfg = C.validate({}, schema_dir)
    assert cfg["seed"] == 20240903
    assert cfg["solver"]["methods"] == ["dual_simplex", "ipm", "farkas_lp"]
    assert cfg["feasibility"]["pure_noise"]["n"] == 40
    assert cfg["data"]["digits"]["classes"] == [0, 1, 7]


def _err(schema_dir, cfg):
    with pytest.raises(C.ConfigError) as exc:
        C.validate(cfg, schema_dir)
    return str(exc.value)


def test_unknown_key_names_key_and_allowed(schema_dir):
    msg = _err(schema_dir, {"solver": {"tolerence": 1e-6}})
    assert "tolerence" in msg and "solver" in msg and "tolerance" in msg


def test_unknown_top_level_key(schema_dir):
    msg = _err(schema_dir, {"sead": 3})
    assert "sead" in msg and "allowed keys" in msg and "seed" in msg


def test_wrong_type_names_key(schema_dir):
    msg = _err(schema_dir, {"seed": "abc"})
    assert "seed" in msg and "integer" in msg


def test_out_of_range_names_key_and_range(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]["sigma"][1] = -0.5
    msg = _err(schema_dir, cfg)
    assert "feasibility.phase_diagrams.k2_antipodal.sigma[1]" in msg and "> 0" in msg


def test_enum_lists_allowed_values(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]["geometry"] = "simplex"
    msg = _err(schema_dir, cfg)
    assert "simplex" in msg and "orthogonal" in msg and "antipodal" in msg


def test_missing_required_key(root, schema_dir):
    cfg = _load(root, "config.yaml")
    del cfg["feasibility"]["phase_diagrams"]["k3_orthogonal"]["trials"]
    msg = _err(schema_dir, cfg)
    assert "trials" in msg and "k3_orthogonal" in msg


def test_cross_field_antipodal_needs_k2(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]["K"] = 3
    msg = _err(schema_dir, cfg)
    assert "k2_antipodal.K" in msg and "must be 2" in msg


def test_duplicate_d_after_rounding(root, schema_dir):
    cfg = _load(root, "config.yaml")
    g = cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]
    g["d_over_n"] = [1.0, 1.01]
    msg = _err(schema_dir, cfg)
    assert "duplicate d" in msg


def test_bad_method_name(schema_dir):
    msg = _err(schema_dir, {"solver": {"methods": ["simplex"]}})
    assert "solver.methods[0]" in msg and "dual_simplex" in msg


def test_load_reports_missing_and_bad_yaml(tmp_path, schema_dir):
    with pytest.raises(C.ConfigError, match="not found"):
        C.load(tmp_path / "nope.yaml", schema_dir)
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1, 2\n")
    with pytest.raises(C.ConfigError, match="not valid YAML"):
        C.load(bad, schema_dir)


def test_validation_does_not_accept_then_mutate_user_values(root, schema_dir):
    cfg = _load(root, "config.yaml")
    before = copy.deepcopy(cfg)
    C.validate(cfg, schema_dir)
    for key, val in before.items():
        if not isinstance(val, dict):
            assert cfg[key] == val


def test_cross_field_training_geometry(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["training"]["dynamics"]["data"]["K"] = 3
    msg = _err(schema_dir, cfg)
    assert "training.dynamics.data.K" in msg and "must be 2" in msg
