"""Config validation: defaults, and clear errors naming the key for bad configs."""
import copy
import re

import pytest
import yaml

from shallownc import config as C
from shallownc.paper import lp as paper_lp


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
    bad.write_text("seed: 1\nsolver:\n  tolerance: [1, 2\n  workers: 2\n")
    with pytest.raises(C.ConfigError) as exc:
        C.load(bad, schema_dir)
    # names the file and the line of the syntax error
    assert f"{bad} is not valid YAML: line 4" in str(exc.value), exc.value


def test_validation_does_not_accept_then_mutate_user_values(root, schema_dir):
    cfg = _load(root, "config.yaml")
    before = copy.deepcopy(cfg)
    C.validate(cfg, schema_dir)
    scalars = {k: v for k, v in before.items() if not isinstance(v, dict)}
    assert scalars and {k: cfg[k] for k in scalars} == scalars


def test_cross_field_training_geometry(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["training"]["dynamics"]["data"]["K"] = 3
    msg = _err(schema_dir, cfg)
    assert "training.dynamics.data.K" in msg and "must be 2" in msg


# ---- configs that validate must run; bad ones fail before any job (issue 14, items 5-7) ----

@pytest.mark.parametrize("section, key", [("pure_noise", "d_over_n"), ("real_data", "d")])
def test_empty_grid_lists_fail_validation(root, schema_dir, section, key):
    cfg = _load(root, "config.yaml")
    cfg["feasibility"][section][key] = []
    msg = _err(schema_dir, cfg)
    assert f"'feasibility.{section}.{key}' must not be empty" in msg, msg


def _arrays(schema, node, path=""):
    node = C._resolve(node, schema)
    if node.get("type") == "array":
        yield path, node
    for k, v in node.get("properties", {}).items():
        yield from _arrays(schema, v, f"{path}.{k}")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _arrays(schema, node["additionalProperties"], f"{path}.<name>")


def test_every_list_is_non_empty_or_says_what_empty_means(schema_dir):
    """An empty list must either fail validation or be a documented setting ([] = ...)."""
    schema = C.load_schema(schema_dir)
    bad = [p for p, node in _arrays(schema, schema)
           if not node.get("minItems")
           and not any(w in node.get("description", "") for w in ("[]", "empty"))]
    assert not bad, f"lists that may be empty without saying what that means: {bad}"


def test_sections_left_out_are_reported(root, schema_dir):
    cfg = _load(root, "config.yaml")
    del cfg["upfm"]
    del cfg["feasibility"]["real_data"]
    lines = [x for x in C.validate_or_exit(cfg, schema_dir) if "schema defaults" in x]
    assert len(lines) == 1 and "work_limits" not in lines[0]
    assert "upfm" in lines[0] and "feasibility.real_data" in lines[0], lines
    full = _load(root, "config.yaml")
    assert "upfm" not in " ".join(C.validate_or_exit(full, schema_dir))


@pytest.mark.parametrize("value", ["", ".", "/", "/tmp/out", "~/out", "../out", "a/../../b"])
@pytest.mark.parametrize("key", ["results_dir", "report_dir"])
def test_output_dirs_must_stay_inside_the_working_directory(schema_dir, key, value):
    msg = _err(schema_dir, {key: value})
    assert f"'{key}'" in msg, msg


def test_external_paths_only_when_allowed(schema_dir):
    msg = _err(schema_dir, {"training": {"checkpoint_dir": "/var/ckpt"}})
    assert "training.checkpoint_dir" in msg and "allow_external_paths" in msg
    cfg = C.validate({"results_dir": "/data/out", "allow_external_paths": True,
                      "training": {"checkpoint_dir": "../ckpt"}}, schema_dir)
    assert cfg["results_dir"] == "/data/out"
    assert C.validate({"results_dir": "out/quick"}, schema_dir)["results_dir"] == "out/quick"


def test_validate_or_exit_is_one_clean_message(schema_dir):
    with pytest.raises(SystemExit) as exc:
        C.validate_or_exit({"results_dir": ""}, schema_dir)
    assert str(exc.value).startswith("error: invalid configuration:")
    assert "'results_dir' must not be empty" in str(exc.value)


def test_command_line_check_prints_one_line_per_problem(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("feasibility:\n  pure_noise: {d_over_n: []}\nresults_dir: ''\n")
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("seed: 1\nfoo: [bar: 3\nbaz: 4\n")
    assert C.main([str(tmp_path / "missing.yaml"), str(bad), str(syntax)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"error: {tmp_path / 'missing.yaml'}: config file not found: " \
                     f"{tmp_path / 'missing.yaml'}"
    assert len(err) == 4, err  # missing (1) + two problems of bad.yaml (2) + syntax (1)
    assert "line 3, column 4" in err[3], err[3]
    assert C.main([str(ROOT_CONFIG)]) == 0


ROOT_CONFIG = __import__("pathlib").Path(__file__).resolve().parents[1] / "config.yaml"


def test_generalization_rules_are_checked_by_the_config_module(root, schema_dir):
    """(They lived in generalization.smk: validation belongs to shallownc.config.)"""
    cfg = _load(root, "config.yaml")
    name = next(iter(cfg["generalization"]["experiments"]))
    cfg["generalization"]["experiments"][name]["panel_d_over_n"] = [123.0]
    msg = _err(schema_dir, cfg)
    assert f"generalization.experiments.{name}.panel_d_over_n" in msg and "not in" in msg


def test_k_must_be_2_is_one_rule_for_every_cell(root, schema_dir):
    """Phase diagrams, data examples, bridge grids, random features, training data."""
    cfg = _load(root, "config.yaml")
    cfg["data"]["examples"]["bad"] = {"geometry": "angle", "K": 3, "n": 2, "d": 4, "sigma": 1.0}
    cfg["upfm"]["bridge"]["grids"]["bad"] = {"geometry": "antipodal", "K": 4, "n": 2,
                                             "d_over_n": [2.0], "sigma": [0.1], "trials": 1}
    cfg["bounds"]["random_features"]["bad"] = {"geometry": "antipodal", "K": 3, "n": 4,
                                               "d": 3, "sigma": 0.5, "d1_over_N": [1, 2],
                                               "trials": 1}
    msg = _err(schema_dir, cfg)
    for where in ("data.examples.bad.K", "upfm.bridge.grids.bad.K",
                  "bounds.random_features.bad.K"):
        assert f"'{where}' must be 2" in msg, msg


def test_schema_ships_inside_the_package():
    """A non-editable install validates with the schema in shallownc/schemas (package data)."""
    assert C.default_schema_dir() == C.SCHEMA_DIR
    assert C.SCHEMA_DIR.parent == __import__("pathlib").Path(C.__file__).resolve().parent
    import tomllib
    pyproject = tomllib.loads((ROOT_CONFIG.parent / "pyproject.toml").read_text())
    assert "schemas/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["shallownc"]
    assert (ROOT_CONFIG.parent / "workflow" / "schemas").resolve() == C.SCHEMA_DIR


def test_runtime_knobs_are_schema_keys(schema_dir):
    """The keys rules leave out of their params (no re-run) must exist in the schema."""
    schema = C.load_schema(schema_dir)
    for section, keys in C.RUNTIME_KNOBS.items():
        node = schema
        for key in section.split("."):
            node = C._resolve(node, schema)["properties"][key]
        props = C._all_properties(node, schema)
        assert set(keys) <= props, (section, set(keys) - props)


def test_paper_figure_sigma_must_be_a_trained_sigma(schema_dir):
    """(This check lived in paper_training.smk: validation belongs to shallownc.config.)"""
    msg = _err(schema_dir, {"paper": {"fig3": {"sigma": [0.18, 1.42], "fig4_sigma": 0.5,
                                               "fig5_sigma": 1.42}}})
    assert "'paper.fig3.fig4_sigma' = 0.5 is not one of paper.fig3.sigma" in msg, msg
    assert "fig5_sigma" not in msg


def test_verdict_variant_names_are_unique(schema_dir):
    """(This check lived in verdict.smk: validation belongs to shallownc.config.)"""
    msg = _err(schema_dir, {"verdict": {"study": {"variants": {"list": [{"name": "a"},
                                                                        {"name": "a"}]}}}})
    assert "'verdict.study.variants.list' names must be unique" in msg, msg


# ---- issue 24: configs that validated and then failed after the work, or ran silently wrong --

def test_non_finite_numbers_fail_naming_the_key(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]["sigma"][0] = float("nan")
    cfg["training"]["dynamics"]["sigma"][1] = float("inf")
    msg = _err(schema_dir, cfg)
    assert "'feasibility.phase_diagrams.k2_antipodal.sigma[0]' = nan is not a finite" in msg
    assert "'training.dynamics.sigma[1]' = inf is not a finite" in msg


@pytest.mark.parametrize("section, key", [
    ("verdict.study.train", "lambda_W"), ("verdict.study.train", "lambda_H"),
    ("training.theory.train", "lambda_W")])
def test_zero_lambda_where_the_verdict_takes_F_star_fails(root, schema_dir, section, key):
    cfg = _load(root, "config.yaml")
    C.section(cfg, section)[key] = 0
    msg = _err(schema_dir, cfg)
    assert f"'{section}.{key}' = 0" in msg and "lambda_W > 0 and lambda_H > 0" in msg
    # without the verdict stage's bound, lambda 0 is a valid training setting
    cfg = _load(root, "config.yaml")
    cfg["training"]["dynamics"]["train"][key] = 0
    C.validate(cfg, schema_dir)


def test_variant_override_is_named_in_the_error(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["verdict"]["study"]["variants"]["list"].append({"name": "narrow", "width": 1})
    msg = _err(schema_dir, cfg)
    i = len(cfg["verdict"]["study"]["variants"]["list"]) - 1
    assert f"'verdict.study.variants.list[{i}].width' = 1 < K = 2" in msg
    cfg["verdict"]["study"]["variants"]["list"][i] = {"name": "k40", "K": 40,
                                                       "geometry": "orthogonal"}
    assert f"'verdict.study.train.width' = 32 < K = 40" in _err(schema_dir, cfg)


def test_weight_decay_with_the_theory_verdict_fails(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["training"]["theory"]["train"]["reg"] = "weight_decay"
    msg = _err(schema_dir, cfg)
    assert "'training.theory.train.reg' = 'weight_decay'" in msg and "verdict.theory" in msg
    cfg = _load(root, "config.yaml")
    cfg["training"]["theory"]["train"]["reg"] = "weight_decay"
    cfg["verdict"]["theory"] = False
    C.validate(cfg, schema_dir)


def test_width_below_K_and_bias_fail_where_the_verdict_applies(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["verdict"]["study"]["train"]["width"] = 1
    cfg["training"]["theory"]["train"]["bias"] = True
    msg = _err(schema_dir, cfg)
    assert "'verdict.study.train.width' = 1 < K = 2" in msg
    assert "'training.theory.train.bias' is true" in msg


@pytest.mark.parametrize("experiment", ["dynamics", "theory", "regularization"])
def test_freeze_first_on_a_two_layer_net_fails(root, schema_dir, experiment):
    cfg = _load(root, "config.yaml")
    cfg["training"][experiment]["train"]["freeze_first"] = True
    msg = _err(schema_dir, cfg)
    assert f"'training.{experiment}.train.freeze_first' is true" in msg


def test_training_and_verdict_grids_refuse_duplicate_d(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["training"]["theory"]["d_over_n"] = [1.0, 1.0000001]
    cfg["verdict"]["study"]["d_over_n"] = [2.0, 2.01]
    msg = _err(schema_dir, cfg)
    assert "'training.theory.d_over_n' values round to duplicate d" in msg
    assert "'training.theory.d_over_n' values [1.0, 1.0000001] give duplicate job names" in msg
    assert "'verdict.study.d_over_n' values round to duplicate d" in msg


def _paper_fig1(cfg):
    cfg.setdefault("paper", {})["fig1"] = {"geometry": "angle", "K": 2, "n": 10, "angle_deg": [90],
                            "d": {"start": 10, "step": 5, "count": 3},
                            "sigma": {"start": 0.0, "step": 0.5, "count": 2}, "trials": 2}
    return cfg["paper"]["fig1"]


def test_paper_figure_d_start_zero_fails_at_validation(root, schema_dir):
    cfg = _load(root, "config.yaml")
    _paper_fig1(cfg)["d"]["start"] = 0
    msg = _err(schema_dir, cfg)
    assert "'paper.fig1.d' gives d = 0 (start 0); input dimensions must be >= 1" in msg
    cfg = _load(root, "config.yaml")
    _paper_fig1(cfg)["d"]["step"] = 2.5
    assert "'paper.fig1.d' must give integer dimensions" in _err(schema_dir, cfg)


def test_paper_grids_round_d_instead_of_truncating(root, schema_dir):
    from shallownc import phase

    cfg = _load(root, "config.yaml")
    block = _paper_fig1(cfg)
    block["d"] = {"start": 5.9999999995, "step": 1, "count": 2}
    C.validate(cfg, schema_dir)
    assert paper_lp.paper_grids("fig1", block)["theta90"].d == (6, 7)


def test_lambda_above_the_zero_solution_threshold_is_noted(root, schema_dir):
    cfg = _load(root, "config.yaml")
    cfg["verdict"]["study"]["train"].update(loss="mse", lambda_W=1.0, lambda_H=1.0)
    C.validate(cfg, schema_dir)
    note = C.notes(cfg)[0]      # the base recipe (variants inheriting it: the same line)
    assert "'verdict.study.train.lambda_W' x 'verdict.study.train.lambda_H' = 1" in note
    assert "zero-solution threshold" in note
    assert not C.notes(C.validate(_load(root, "config.yaml"), schema_dir))


def test_work_above_the_limits_is_refused_naming_the_key(root, schema_dir):
    """A typo-sized grid (n = 10^5 per class, one trial per job) stops at validation with the
    count and the key to raise, instead of minutes of planning (shallownc.worksize)."""
    cfg = _load(root, "config.yaml")
    g = cfg["feasibility"]["phase_diagrams"]["k2_antipodal"]
    g.update(n=100000, trials=10000)
    cfg["feasibility"]["trials_per_job"] = 1
    msg = _err(schema_dir, cfg)
    assert re.search(r"the default target asks for [\d,]+ per-cell jobs > "
                     r"'work_limits.max_jobs' = 20,000", msg), msg
    assert "40,000,000,000 data entries in one LP > 'work_limits.max_lp_entries'" in msg
    cfg = _load(root, "config.yaml")
    cfg["work_limits"] = {"max_train_steps": 1000}
    assert "training steps > 'work_limits.max_train_steps' = 1,000" in _err(schema_dir, cfg)


def test_work_size_counts_steps_and_lps_per_network_and_data_set(root, schema_dir):
    from shallownc import worksize

    cfg = C.validate(_load(root, "config.yaml"), schema_dir)
    base = worksize.estimate(cfg)["default target"]
    dyn = cfg["training"]["dynamics"]
    runs = len(dyn["d_over_n"]) * len(dyn["sigma"]) * dyn["trials"]
    more = copy.deepcopy(cfg)
    more["training"]["dynamics"]["trials"] += 1
    more["training"]["dynamics"]["train"]["batch_size"] = 7       # ceil(60 / 7) = 9 steps
    after = worksize.estimate(more)["default target"]
    extra = runs // dyn["trials"]
    assert after.train_steps - base.train_steps == (
        (runs + extra) * dyn["train"]["epochs"] * 9 - runs * dyn["train"]["epochs"])
    assert after.lps - base.lps == extra * dyn["data"]["K"]
    assert after.jobs == base.jobs


@pytest.mark.parametrize("key, value, match", [
    ("lambda_W", 0, "'paper.train.lambda_W' = 0"), ("lambda_H", 0.0, "'paper.train.lambda_H' = 0.0"),
    ("bias", True, "'paper.train.bias' is true"),
    ("freeze_first", True, "'paper.train.freeze_first' is true")])
def test_paper_training_settings_that_would_fail_after_training(schema_dir, key, value, match):
    """Figures 3-6 compute the UPFM optimum after training: lambda 0 failed there."""
    assert match in _err(schema_dir, {"paper": {"train": {key: value}}})
