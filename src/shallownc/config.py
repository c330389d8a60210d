"""Configuration: load, merge the JSON-schema fragments, fill defaults, validate.

The schema ships inside the package (``shallownc/schemas/``; ``workflow/schemas`` links
there): ``config.schema.yaml`` is the root and holds the ``$defs`` shared by several sections
(the Gaussian-mixture cell fields, the training settings), every other ``<key>.schema.yaml``
validates the top-level key ``<key>``. The schema is the single source of defaults and of
per-field constraints; the constraints that combine fields (a JSON schema cannot express them)
are the ``_cross_checks`` below, each stated once. Validation fills defaults in place and fails
with a :class:`ConfigError` whose message names the offending key, the value and what is
allowed.

Command line: ``python -m shallownc.config FILE`` validates a config file and prints one line
per problem (exit status 2), or ``ok``.
"""

from __future__ import annotations

import copy
import math
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator

import jsonschema
import yaml

from .class_sizes import dimension

ROOT_SCHEMA = "config.schema.yaml"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# Parallelism and logging knobs: they never change a result, so rules leave them out of their
# params (no re-run when they change) and scripts read them from the config.
# The training knobs are the result-neutral keys of $defs/train_runtime, one list for every
# section that trains.
TRAIN_KNOBS = ("threads", "gpus_per_job", "checkpoint_dir", "checkpoint_every_s", "log_every_s")
RUNTIME_KNOBS = {
    "solver": ("workers",),
    "training": TRAIN_KNOBS,
    "verdict": TRAIN_KNOBS,
    "paper.train": TRAIN_KNOBS,
}


def section(config: dict, name: str) -> dict:
    """The config section ``name`` ("a" or "a.b")."""
    node = config
    for key in name.split("."):
        node = node[key]
    return node


def runtime_knobs(config: dict, name: str) -> dict:
    """The parallelism/logging knobs of section ``name`` (read by scripts from the config,
    since rules keep them out of their params)."""
    node = section(config, name)
    return {k: node[k] for k in RUNTIME_KNOBS[name]}
# Path settings that must stay inside the working directory (unless allow_external_paths).
_PATH_KEYS = (("results_dir",), ("report_dir",), ("training", "checkpoint_dir"),
              ("verdict", "checkpoint_dir"), ("paper", "train", "checkpoint_dir"))
# Geometries whose means are only defined for two classes (paper Section 3, docs/science.md §1).
_TWO_CLASS_GEOMETRIES = ("antipodal", "angle")
# Sections whose defaults are not worth a log line when left out (limits, not settings).
_QUIET_DEFAULTS = ("work_limits",)
# Training experiments whose nets have two layers (no first layer to freeze).
_TWO_LAYER_EXPERIMENTS = ("dynamics", "theory", "regularization")


# Recipe keys of $defs/train_recipe that each paper figure sets itself (not paper.train).
PAPER_FIGURE_RECIPE = ("width", "epochs", "batch_size")


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type, out of range or unknown."""


def default_schema_dir() -> Path:
    """The schema folder shipped inside the package (works for non-editable installs)."""
    if not (SCHEMA_DIR / ROOT_SCHEMA).is_file():
        raise ConfigError(f"schema not found: {SCHEMA_DIR / ROOT_SCHEMA} (broken install?)")
    return SCHEMA_DIR


def load_schema(schema_dir: str | Path | None = None) -> dict:
    """Root schema with every fragment merged under ``properties`` (fragment ``$defs`` hoisted)."""
    schema_dir = Path(schema_dir) if schema_dir else default_schema_dir()
    root = yaml.safe_load((schema_dir / ROOT_SCHEMA).read_text())
    root.setdefault("$defs", {})
    for frag_path in sorted(schema_dir.glob("*.schema.yaml")):
        if frag_path.name == ROOT_SCHEMA:
            continue
        key = frag_path.name[: -len(".schema.yaml")]
        frag = yaml.safe_load(frag_path.read_text())
        for name, sub in frag.pop("$defs", {}).items():
            if name in root["$defs"]:
                raise ConfigError(f"schema {frag_path.name}: $defs/{name} is already defined")
            root["$defs"][name] = sub
        frag.pop("$schema", None)
        root["properties"][key] = frag
    return root


def _resolve(schema: Any, root: dict) -> Any:
    """Follow ``$ref`` (local ``#/...`` references only) to the schema it names."""
    while isinstance(schema, dict) and "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        # keywords beside the $ref (e.g. a narrower enum or a default) take precedence
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _default_of(sub: Any, root: dict):
    """(True, default) if the property schema (after ``$ref``) has a default."""
    sub = _resolve(sub, root)
    if isinstance(sub, dict) and "default" in sub:
        return True, sub["default"]
    return False, None


def _fill_defaults(properties: dict, instance: Any, root: dict) -> None:
    if isinstance(instance, dict):
        for name, sub in properties.items():
            has, default = _default_of(sub, root)
            if has and name not in instance:
                instance[name] = copy.deepcopy(default)


def _extend_with_default(validator_class, root: dict):
    """Validator that fills ``default`` values of missing properties (jsonschema FAQ recipe,
    extended to defaults reached through ``$ref``).

    A block that uses a shared definition ($ref or allOf, e.g. $defs/train_recipe) may give
    its own defaults in ``properties`` beside it; those are filled first, whatever the keyword
    order, so the block's defaults win over the definition's."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        _fill_defaults(properties, instance, root)
        yield from validate_properties(validator, properties, instance, schema)

    def sibling_first(keyword):
        inner = validator_class.VALIDATORS[keyword]

        def apply(validator, value, instance, schema):
            _fill_defaults(schema.get("properties", {}), instance, root)
            yield from inner(validator, value, instance, schema)
        return apply

    return jsonschema.validators.extend(validator_class, {
        "properties": set_defaults, "$ref": sibling_first("$ref"),
        "allOf": sibling_first("allOf")})


def _all_properties(sch: Any, root: dict) -> set:
    """Property names a schema allows, through $ref and allOf (for unevaluatedProperties)."""
    if not isinstance(sch, dict):
        return set()
    out = set(sch.get("properties", {}))
    if "$ref" in sch:
        node = root
        for part in sch["$ref"].lstrip("#/").split("/"):
            node = node[part]
        out |= _all_properties(node, root)
    for sub in sch.get("allOf", []):
        out |= _all_properties(sub, root)
    return out


def _path_str(path: Iterable[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _range_text(sch: dict) -> str:
    rng = []
    for key, sym in (("minimum", ">="), ("exclusiveMinimum", ">"),
                     ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in sch:
            rng.append(f"{sym} {sch[key]}")
    return " and ".join(rng)


def _explain(err: jsonschema.ValidationError, root: dict) -> str:
    where = _path_str(err.absolute_path)
    sch = _resolve(err.schema, root) if isinstance(err.schema, dict) else {}
    desc = sch.get("description", "") if isinstance(sch, dict) else ""
    why = f" ({desc.strip()})" if desc else ""
    v = err.validator
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(sch.get("properties", {}))
        unknown = sorted(set(err.instance) - set(allowed))
        if allowed:
            return f"unknown key(s) {unknown} at '{where}'; allowed keys: {allowed}"
        return f"invalid entry at '{where}': {err.message}"
    if v == "unevaluatedProperties" and isinstance(err.instance, dict):
        allowed = sorted(_all_properties(err.schema, root))
        unknown = sorted(set(err.instance) - set(allowed))
        return f"unknown key(s) {unknown} at '{where}'; allowed keys: {allowed}"
    if v == "propertyNames":
        return (f"invalid name {err.instance!r} at '{where}': names must match "
                f"{err.validator_value.get('pattern')}")
    if v == "required":
        return f"missing key at '{where}': {err.message}"
    if v == "enum":
        return f"invalid value {err.instance!r} for '{where}'; allowed values: " \
               f"{err.validator_value}{why}"
    if v == "type":
        return (f"wrong type for '{where}': {err.instance!r} is not of type "
                f"{err.validator_value!r}{why}")
    if v == "minItems":
        return f"'{where}' must not be empty (at least {err.validator_value} item(s)){why}"
    if v == "minLength":
        return f"'{where}' must not be empty{why}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"value {err.instance!r} out of range for '{where}'; allowed: " \
               f"{_range_text(sch)}{why}"
    return f"invalid value for '{where}': {err.message}{why}"


def defaulted_sections(config: dict, schema: dict, prefix: str = "", depth: int = 2) -> list[str]:
    """Dotted names of the sections (objects with a default, down to ``depth`` levels) that
    ``config`` leaves out, i.e. that validation will fill entirely from the schema defaults."""
    out = []
    for name, sub in _resolve(schema, schema).get("properties", {}).items():
        sub = _resolve(sub, schema)
        if sub.get("type") != "object" or "default" not in sub:
            continue
        if name not in config:
            out.append(prefix + name)
        elif depth > 1 and isinstance(config[name], dict):
            out += _sub_defaulted(config[name], sub, schema, f"{prefix}{name}.", depth - 1)
    return out


def _sub_defaulted(config: dict, sub: dict, root: dict, prefix: str, depth: int) -> list[str]:
    return defaulted_sections(config, {**root, "properties": sub.get("properties", {})},
                              prefix, depth)


def validate(config: dict, schema_dir: str | Path | None = None) -> dict:
    """Validate ``config`` in place (defaults filled) and run the cross-field checks.

    Raises :class:`ConfigError` listing every problem, each naming its key.
    """
    if not isinstance(config, dict):
        raise ConfigError(f"the configuration must be a mapping, got {type(config).__name__}")
    schema = load_schema(schema_dir)
    validator = _extend_with_default(jsonschema.Draft202012Validator, schema)(schema)
    # NaN passes every range keyword (all comparisons with NaN are false), inf every
    # exclusiveMinimum: non-finite numbers are refused first, wherever they are
    msgs = list(_finite_checks(config))
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    msgs += [_explain(e, schema) for e in errors]
    if not msgs:
        msgs = list(_cross_checks(config))
    if not msgs:
        msgs = list(_work_checks(config))
    if msgs:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(msgs))
    return config


def validate_or_exit(config: dict, schema_dir: str | Path | None = None) -> list[str]:
    """Validate for the Snakefile: on a problem, print it and exit (no traceback, no job run);
    otherwise return the lines to log (the sections taken entirely from the defaults)."""
    given = copy.deepcopy(config)
    try:
        validate(config, schema_dir)
    except ConfigError as exc:
        sys.exit(f"error: {exc}")
    lines = [f"config: {line}" for line in work_lines(config) + notes(config)]
    missing = [s for s in defaulted_sections(given, load_schema(schema_dir))
               if s not in _QUIET_DEFAULTS]
    if missing:
        lines.append("config: section(s) not given, filled with the schema defaults: "
                     + ", ".join(missing))
    return lines


# ---- cross-field rules (each stated once) -----------------------------------------------------

def _walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Every mapping inside the config with its key path."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, path + (k,))


def _where(path: tuple) -> str:
    return _path_str(path)


def _cell_checks(config: dict) -> Iterator[str]:
    """Every Gaussian-mixture cell, wherever it sits: two-class geometries need K = 2, and
    orthogonal means need d >= K (d given directly or as d_over_n * n)."""
    for path, g in _walk(config):
        geometry, K = g.get("geometry"), g.get("K")
        if not isinstance(geometry, str) or not isinstance(K, int):
            continue
        where = _where(path)
        if geometry in _TWO_CLASS_GEOMETRIES and K != 2:
            yield f"'{where}.K' must be 2 for geometry {geometry!r} (got {K})"
        if isinstance(g.get("d"), int) and geometry == "orthogonal" and g["d"] < K:
            yield f"'{where}.d' = {g['d']} < K = {K}: orthogonal means need d >= K"
        if isinstance(g.get("n"), int) and isinstance(g.get("d_over_n"), list):
            yield from _d_over_n_checks(where, g, min_d=K if geometry == "orthogonal" else 1)


def _d_over_n_checks(where: str, g: dict, min_d: int = 1) -> Iterator[str]:
    """d = round(d_over_n * n) (class_sizes.dimension) must be >= min_d and distinct across the
    list."""
    ds = [dimension(r, g["n"]) for r in g["d_over_n"]]
    for r, d in zip(g["d_over_n"], ds):
        if d < min_d:
            yield (f"'{where}.d_over_n' value {r} gives d = {d} < {min_d} for n = {g['n']}"
                   + (" (orthogonal means need d >= K)" if min_d > 1 else ""))
    if len(set(ds)) != len(ds):
        yield f"'{where}.d_over_n' values round to duplicate d for n = {g['n']}: {ds}"


def _finite_checks(node: Any, path: tuple = ()) -> Iterator[str]:
    """Every number in the config must be finite (YAML .nan / .inf are refused)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _finite_checks(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _finite_checks(v, path + (i,))
    elif isinstance(node, float) and not math.isfinite(node):
        yield f"'{_where(path)}' = {node!r} is not a finite number"


def _job_name_checks(where: str, values: list, prefix: str = "dn") -> Iterator[str]:
    """Job names ``{prefix}{value:g}`` (common.smk) must be distinct: two values printing
    alike would share one job and one output, and one of them would be dropped."""
    names = [f"{prefix}{float(v):g}" for v in values]
    if len(set(names)) != len(names):
        yield (f"'{where}' values {values} give duplicate job names {names} (they agree to 6 "
               "significant digits); use values that differ in the first 6 digits")


def _path_checks(config: dict) -> Iterator[str]:
    """Output and checkpoint folders: non-empty relative paths inside the working directory."""
    if config.get("allow_external_paths"):
        return
    for keys in _PATH_KEYS:
        node = config
        for k in keys:
            node = node.get(k) if isinstance(node, dict) else None
        if not isinstance(node, str):
            continue
        where = ".".join(keys)
        p = PurePosixPath(node)
        if not node.strip() or p == PurePosixPath("."):
            yield f"'{where}' = {node!r} must name a folder inside the working directory"
        elif p.is_absolute() or node.startswith("~"):
            yield (f"'{where}' = {node!r} is absolute; use a path relative to the working "
                   "directory, or set allow_external_paths: true")
        elif ".." in p.parts:
            yield (f"'{where}' = {node!r} leaves the working directory ('..'); set "
                   "allow_external_paths: true to allow it")


def _generalization_checks(gen: dict) -> Iterator[str]:
    """Generalization experiments: d >= 2, distinct d, figure panels and training subsets
    drawn from the experiment's own grid (reports/generalization.md)."""
    for name, exp in gen.get("experiments", {}).items():
        where = f"generalization.experiments.{name}"
        yield from _d_over_n_checks(where, exp, min_d=2)
        extra = [p for p in exp["panel_d_over_n"] if p not in exp["d_over_n"]]
        if extra:
            yield f"'{where}.panel_d_over_n' values {extra} are not in d_over_n {exp['d_over_n']}"
        if exp["low_snr"] and exp["low_snr"] not in exp["snr"]:
            yield f"'{where}.low_snr' = {exp['low_snr']} is not one of snr {exp['snr']}"
        tr = exp["trained"]
        for key in ("snr", "d_over_n"):
            extra = [v for v in tr[key] if v not in exp[key]]
            if extra:
                yield f"'{where}.trained.{key}' values {extra} are not in {key} {exp[key]}"
        if tr["trials"] > exp["trials"]:
            yield f"'{where}.trained.trials' = {tr['trials']} exceeds trials = {exp['trials']}"


def _upfm_checks(u: dict) -> Iterator[str]:
    """upfm: widths must hold the closed form (p >= K; 0 means 2K)."""
    w = u["solver"]["width"]
    if w:
        for key, Ks in (("sweep.K", u["sweep"]["K"]), ("gram.K", [u["gram"]["K"]])):
            if max(Ks) > w:
                yield f"'upfm.solver.width' = {w} is smaller than 'upfm.{key}' {max(Ks)}"
    tw = u["bridge"]["train"]["width"]
    for name, g in u["bridge"]["grids"].items():
        if tw and tw < g["K"]:
            yield (f"'upfm.bridge.train.width' = {tw} is smaller than "
                   f"'upfm.bridge.grids.{name}.K' = {g['K']}")


def _paper_checks(paper: dict) -> Iterator[str]:
    """Figures 4-5 show one sigma of Figure 3's runs: it must be one of paper.fig3.sigma."""
    fig3 = paper["fig3"]
    for fig in ("fig4", "fig5"):
        s = fig3[f"{fig}_sigma"]
        if not any(abs(s - v) < 1e-12 for v in fig3["sigma"]):
            yield f"'paper.fig3.{fig}_sigma' = {s} is not one of paper.fig3.sigma {fig3['sigma']}"
    for key in PAPER_FIGURE_RECIPE:
        if key in paper["train"]:
            yield (f"'paper.train.{key}' is set by each figure (paper.fig3.{key}, "
                   f"paper.fig6.{key}), not by the shared recipe")


def _min_d(data: dict) -> int:
    """Smallest input dimension of a cell: orthogonal means need d >= K."""
    return int(data["K"]) if data.get("geometry") == "orthogonal" else 1


def _training_checks(tr: dict) -> Iterator[str]:
    """Training grids: distinct d (and job names) after rounding; freeze_first only where
    there is a first layer to freeze (the three-layer experiment)."""
    for name in _TWO_LAYER_EXPERIMENTS:
        if tr[name]["train"].get("freeze_first"):
            yield (f"'training.{name}.train.freeze_first' is true, but the {name} experiment "
                   "trains a two-layer net: only training.three_layer has a first layer to "
                   "freeze")
    for name in ("dynamics", "theory"):
        exp = tr[name]
        yield from _d_over_n_checks(f"training.{name}", {"n": exp["data"]["n"],
                                                         "d_over_n": exp["d_over_n"]},
                                    min_d=_min_d(exp["data"]))
    yield from _job_name_checks("training.theory.d_over_n", tr["theory"]["d_over_n"])


def _upfm_bound_checks(keys: dict, train: dict, data: dict, why: str = "") -> Iterator[str]:
    """A recipe whose runs are compared with the UPFM optimum F* (verdict V§1): the
    activation-regularized objective (reg feature; with ``why`` the verdict needs it, else
    other regularizers are simply not assessed), lambda_W, lambda_H > 0 (F* of paper Theorem 2
    is defined for positive lambdas), no biases (V§1 bounds the bias-free net f = W2 relu(W1 x)
    only) and width p >= K (the collapsed minimizer has one neuron per class; with p < K no
    network attains F*, reports/upfm.md D§7). ``keys`` maps a setting to the config key that
    sets it."""
    if train["reg"] != "feature":
        if why:
            yield (f"'{keys['reg']}' = {train['reg']!r}: {why} compares every run with the UPFM "
                   "optimum, which bounds only the activation-regularized objective (reg: "
                   "feature)")
        return
    for lam in ("lambda_W", "lambda_H"):
        if not train[lam] > 0:
            yield (f"'{keys[lam]}' = {train[lam]!r}: the UPFM optimum F* (paper Theorem 2) that "
                   "the verdict compares with needs lambda_W > 0 and lambda_H > 0 (reg: feature)")
    if train.get("bias"):
        yield (f"'{keys['bias']}' is true: the verdict's bound F_net >= F* (V§1) holds for the "
               "bias-free net W2 relu(W1 x) only; set bias: false")
    if train["width"] < data["K"]:
        yield (f"'{keys['width']}' = {train['width']} < K = {data['K']}: the collapsed minimizer "
               "needs one neuron per class (width >= K); a narrower net never attains F*")


def _verdict_checks(config: dict) -> Iterator[str]:
    """Variant names are job wildcards (unique); study d values distinct after rounding; every
    recipe assessed against the UPFM optimum (study, variants, and the training stage's
    theory experiment when verdict.theory is on) must admit that bound."""
    v = config["verdict"]
    st = v["study"]
    names = [x["name"] for x in st["variants"]["list"]]
    if len(set(names)) != len(names):
        yield f"'verdict.study.variants.list' names must be unique, got {names}"
    data = st["data"]
    for where, vals in (("verdict.study", st["d_over_n"]),
                        ("verdict.study.variants", st["variants"]["d_over_n"])):
        yield from _d_over_n_checks(where, {"n": data["n"], "d_over_n": vals}, _min_d(data))
    yield from _job_name_checks("verdict.study.d_over_n", st["d_over_n"])
    for where, train, data, keys, why in _verdict_recipes(config):
        yield from _upfm_bound_checks(keys, train, data, why)


def _verdict_recipes(config: dict) -> Iterator[tuple]:
    """(name, train block, data block, key of each setting, why) of every recipe the verdict
    stage compares with the UPFM optimum."""
    v = config["verdict"]
    st = v["study"]
    base = st["train"]
    yield ("verdict.study.train", base, st["data"],
           {k: f"verdict.study.train.{k}" for k in (*base, "bias")}, "")
    for i, var in enumerate(st["variants"]["list"]):
        over = {k: x for k, x in var.items() if k != "name"}
        keys = {k: (f"verdict.study.variants.list[{i}].{k}" if k in over
                    else f"verdict.study.train.{k}") for k in (*base, "bias")}
        # a variant may change the data's K and geometry (verdict.VARIANT_DATA)
        data = {**st["data"], **{k: var[k] for k in ("K", "geometry") if k in var}}
        yield f"verdict.study.variants.list[{i}]", {**base, **over}, data, keys, ""
    if v["theory"]:
        th = config["training"]["theory"]
        yield ("training.theory.train", th["train"], th["data"],
               {k: f"training.theory.train.{k}" for k in (*th["train"], "bias")},
               "verdict.theory (on)")


def _paper_train_checks(paper: dict) -> Iterator[str]:
    """paper.train: Figures 3-6 report the gap to the UPFM optimum F* (paper Theorem 2), defined
    for lambda_W, lambda_H > 0 and a lower bound only for the bias-free net; Figure 3 trains a
    two-layer net and Figure 6 freezes its own first layer, so freeze_first is not a setting."""
    tr = paper["train"]
    for lam in ("lambda_W", "lambda_H"):
        if lam in tr and not tr[lam] > 0:
            yield (f"'paper.train.{lam}' = {tr[lam]!r}: Figures 3-6 report the gap to the UPFM "
                   "optimum F* (paper Theorem 2), which needs lambda_W > 0 and lambda_H > 0")
    if tr.get("bias"):
        yield ("'paper.train.bias' is true: the figures' gap to F* (V§1) holds for the "
               "bias-free net only; the paper's nets have no biases")
    if tr.get("freeze_first"):
        yield ("'paper.train.freeze_first' is true: Figure 3 trains a two-layer net and Figure 6 "
               "freezes its first layer itself; leave it false")


def _span_recipes(config: dict) -> Iterator[tuple]:
    """(config key of data_span, recipe key prefix, recipe) of every recipe trained with a
    runtime block that sets data_span: true."""
    tr, v, paper = config["training"], config["verdict"], config["paper"]
    if paper["train"]["data_span"]:
        yield "paper.train.data_span", "paper.train", paper["train"]
    for name, exp in config["generalization"]["experiments"].items():
        t = exp["trained"]
        if t["enabled"] and t["data_span"]:
            where = f"generalization.experiments.{name}.trained"
            yield f"{where}.data_span", where, t
    gd = config["imbalance"]["sweep"]["gd"]
    if gd["enabled"] and gd["data_span"]:
        yield "imbalance.sweep.gd.data_span", "imbalance.sweep.gd", gd
    if tr["data_span"]:
        for name in ("dynamics", "theory", "three_layer", "regularization"):
            yield "training.data_span", f"training.{name}.train", tr[name]["train"]
        for i, var in enumerate(tr["regularization"]["variants"]):
            yield ("training.data_span", f"training.regularization.variants[{i}]",
                   {**tr["regularization"]["train"], **var})
    if v["data_span"]:
        for where, train, _data, _keys, _why in _verdict_recipes(config):
            if where.startswith("verdict."):
                yield "verdict.data_span", where, train


def _data_span_checks(config: dict) -> Iterator[str]:
    """Training in the span of the data (data_span, shallownc.training.span) is exact only
    for SGD on the activation-regularized or unregularized objective of a trained first layer
    (reports/training.md §9, SP§3); the trainer refuses other recipes, so refuse them here,
    before any job starts."""
    from .training.span import unsupported

    for key, where, train in _span_recipes(config):
        why = unsupported(train.get("reg", "feature"), train.get("optimizer", "sgd"),
                          bool(train.get("freeze_first")))
        if why is not None:
            yield (f"'{key}' is true, but {where}: {why}; set {key}: false for this recipe")


def _paper_lp_checks(paper: dict) -> Iterator[str]:
    """Figures 1-2 (paper.fig1/fig2): integer, distinct input dimensions d >= 1 (>= K for
    orthogonal means); geometry angle needs K = 2 and a list of angles, the others none."""
    from .paper.lp import axis_values

    for fig in ("fig1", "fig2"):
        if fig not in paper:
            continue
        b, where = paper[fig], f"paper.{fig}"
        vals = axis_values(b["d"])
        d = [int(round(x)) for x in vals]
        if any(abs(x - r) > 1e-9 for x, r in zip(vals, d)):
            yield f"'{where}.d' must give integer dimensions, got {list(vals)}"
        elif min(d) < _min_d(b):
            yield (f"'{where}.d' gives d = {min(d)} (start {b['d']['start']}); input dimensions "
                   f"must be >= {_min_d(b)}" + (" (orthogonal means need d >= K)"
                                               if _min_d(b) > 1 else ""))
        elif len(set(d)) != len(d):
            yield f"'{where}.d' gives duplicate dimensions {d}"
        if b["geometry"] == "angle" and (b["K"] != 2 or not b["angle_deg"]):
            yield f"'{where}': geometry angle needs K = 2 and a non-empty list angle_deg"
        if b["geometry"] != "angle" and b["angle_deg"]:
            yield f"'{where}.angle_deg' is only for geometry angle (got {b['geometry']!r})"


def _zero_solution_notes(config: dict) -> Iterator[str]:
    """Recipes assessed against the UPFM optimum whose lambda_W lambda_H is at or above the
    UPFM zero-solution threshold (reports/upfm.md D§2-D§3): their F* is attained by the zero
    network (every feature 0), so a run at F* has learnt nothing; the verdict labels such
    runs ``zero_solution`` (shallownc.verdict)."""
    from . import upfm

    for where, train, data, keys, _ in _verdict_recipes(config):
        if train["reg"] != "feature" or not (train["lambda_W"] > 0 and train["lambda_H"] > 0):
            continue
        # the trainer's MSE scale (imports torch: only for an MSE recipe)
        scale = (_trainer_mse_scale(),) if train["loss"] == "mse" else ()
        thr = upfm.threshold(train["loss"], "upfm", int(data["K"]), int(data["n"]), *scale)
        prod = train["lambda_W"] * train["lambda_H"]
        if prod >= thr:
            yield (f"'{keys['lambda_W']}' x '{keys['lambda_H']}' = {prod:.4g} >= {thr:.4g}, the "
                   f"UPFM zero-solution threshold ({train['loss']}, K = {data['K']}, n = "
                   f"{data['n']}): the optimum F* is the zero network; the verdict labels "
                   "these runs zero_solution")


def _trainer_mse_scale() -> float:
    from .normalization import trainer_mse_scale

    return trainer_mse_scale()


def notes(config: dict) -> list[str]:
    """Warnings about a valid config (validated, defaults filled): settings that run but whose
    results say less than a reader may expect. Printed by ``shallownc validate`` and logged by
    the Snakefile before any job."""
    return list(dict.fromkeys(_zero_solution_notes(config)))   # variants may inherit a note


def _cross_checks(config: dict) -> Iterator[str]:
    """Constraints a JSON schema cannot express (combinations of fields)."""
    yield from _path_checks(config)
    yield from _cell_checks(config)
    pn = config["feasibility"]["pure_noise"]
    yield from _d_over_n_checks("feasibility.pure_noise", pn)
    yield from _generalization_checks(config["generalization"])
    yield from _upfm_checks(config["upfm"])
    yield from _paper_checks(config["paper"])
    yield from _paper_lp_checks(config["paper"])
    yield from _paper_train_checks(config["paper"])
    yield from _training_checks(config["training"])
    yield from _verdict_checks(config)
    yield from _data_span_checks(config)


def _work_checks(config: dict) -> Iterator[str]:
    """The size of the work within work_limits (shallownc.worksize); only once the other
    checks pass (the counts assume a consistent config)."""
    from . import worksize

    yield from worksize.over_limits(worksize.estimate(config), config["work_limits"])


def work_lines(config: dict) -> list[str]:
    """The size of the work of a validated config, one line per target (stated by
    ``shallownc validate`` and logged by the Snakefile)."""
    from . import worksize

    return [f"work of the {target}: {size.line()}"
            for target, size in worksize.estimate(config).items()]


# ---- files --------------------------------------------------------------------------------------

def read_yaml(path: str | Path) -> dict:
    """A YAML config file as a mapping; errors name the file (and the line of a syntax error)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"config file {path} is a directory, not a YAML file")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start}): is it a "
                          "YAML file?") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"config file {path} is not valid YAML:{at}: {problem}") from exc
    if cfg is None:
        return {}
    if not isinstance(cfg, dict):
        raise ConfigError(f"config file {path} must hold a mapping, not {type(cfg).__name__}")
    return cfg


def read_yaml_or_exit(path: str | Path) -> dict:
    """:func:`read_yaml` for the Snakefile: a problem exits with one line, no traceback."""
    try:
        return read_yaml(path)
    except ConfigError as exc:
        sys.exit(f"error: {exc}")


def load(path: str | Path, schema_dir: str | Path | None = None) -> dict:
    """Read a YAML config file and validate it (defaults filled)."""
    return validate(read_yaml(path), schema_dir)


# ---- layering: config files, overrides and the default config.yaml -----------------------------
# A run's config (docs/guide.md "Overrides"): the --configfile files merged in the order given, then the
# --config overrides, merged as Snakemake merges them (mappings key by key, any other value
# replaced). Unless the result says `base: schema` (the presets do) or config.yaml is itself one
# of the files, it is layered on config.yaml: an override file holding `seed: 3` is config.yaml
# with seed 3, never the schema defaults alone.
DEFAULT_CONFIG = "config.yaml"


def merge(base: dict, over: dict) -> dict:
    """``over`` merged onto a copy of ``base``: mappings key by key (recursively), every other
    value replaced (Snakemake's update_config)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def typed(text: str) -> Any:
    """A command-line value as Snakemake types it (int, float, then YAML: true/false, null,
    lists and mappings with typed entries), e.g. '1e-3' -> 0.001, 'false' -> False."""
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"value {text!r} is not valid YAML: {exc}") from exc
    return retyped(value) if isinstance(value, (dict, list)) else value


def retyped(value: Any) -> Any:
    """Strings inside lists and mappings typed as by :func:`typed` (Snakemake's --config reads
    nested values such as ``training='{dynamics: {train: {lr: 0.1}}}'`` as strings)."""
    if isinstance(value, dict):
        return {k: retyped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [retyped(v) for v in value]
    if isinstance(value, str):
        return typed(value)
    return value


def parse_overrides(items: Iterable[str]) -> dict:
    """``KEY=VALUE`` items (KEY dotted for nested keys: ``training.dynamics.train.lr=0.1``) as
    one nested mapping; values typed (:func:`typed`)."""
    out: dict = {}
    for item in items:
        key, sep, text = item.partition("=")
        parts = key.split(".")
        if not sep or not all(p.strip() for p in parts):
            raise ConfigError(f"override {item!r} must be KEY=VALUE (nested keys joined by "
                              "dots, e.g. training.dynamics.train.lr=0.1)")
        node: Any = typed(text) if text else None
        for p in reversed(parts):
            node = {p: node}
        out = merge(out, node)
    return out


def nested_overrides(config_overrides: dict) -> dict:
    """Snakemake's --config values with dotted keys expanded and nested strings typed (a
    plain ``snakemake --config`` user gets what the shallownc CLI gives)."""
    out: dict = {}
    for key, value in config_overrides.items():
        node = retyped(value)
        for p in reversed(str(key).split(".")):
            node = {p: node}
        out = merge(out, node)
    return out


def layered(config: dict, files: list, default: str | Path = DEFAULT_CONFIG) -> dict:
    """``config`` (the merged files and overrides) layered on ``default`` unless it says
    ``base: schema`` or ``default`` is one of ``files`` (module section "layering")."""
    default = Path(default)
    if config.get("base", "config.yaml") == "schema" or not files:
        return config
    if any(Path(f).resolve() == default.resolve() for f in files):
        return config
    if not default.is_file():
        raise ConfigError(f"{', '.join(map(str, files))}: layered on {default}, which is not "
                          "there; give a complete config with `base: schema`, or run where "
                          f"{default.name} is")
    return merge(read_yaml(default), config)


def resolve(files: list, overrides: dict | None = None,
            default: str | Path = DEFAULT_CONFIG) -> dict:
    """The config a run uses (not validated): ``default`` alone if no file is given, else the
    files merged in order and layered (:func:`layered`); then the overrides."""
    cfg: dict = {}
    for f in files:
        cfg = merge(cfg, read_yaml(f))
    cfg = merge(cfg, overrides or {})
    if not files:
        return merge(read_yaml(default), cfg)
    return layered(cfg, files, default)


def apply_run_layers(config: dict, files: list, config_overrides: dict,
                     default: str | Path = DEFAULT_CONFIG) -> None:
    """For the Snakefile: Snakemake has merged the --configfile files and the --config values
    into ``config``; expand dotted keys, type nested values, layer on config.yaml, in place.
    A problem exits with one line (no traceback)."""
    try:
        over = nested_overrides(config_overrides)
        for k in config_overrides:
            if "." in str(k):
                config.pop(k, None)
        new = layered(merge(config, over), files, default)
    except ConfigError as exc:
        sys.exit(f"error: {exc}")
    config.clear()
    config.update(new)


def load_run(files: list, overrides: dict | None = None,
             default: str | Path = DEFAULT_CONFIG) -> dict:
    """The validated config of a run with these --configfile files and --config overrides
    (:func:`resolve`)."""
    return validate(resolve(list(files), overrides, default))


def main(argv: list[str] | None = None) -> int:
    """``python -m shallownc.config FILE...``: each file as a run would use it alone (layered
    on ./config.yaml unless it says ``base: schema``); one line per problem, exit status 2;
    else ok."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m shallownc.config CONFIG.yaml [...]", file=sys.stderr)
        return 2
    status = 0
    for path in argv:
        try:
            load_run([path])
        except ConfigError as exc:
            text = str(exc).replace("invalid configuration:\n  - ", "").split("\n  - ")
            for line in text:
                print(f"error: {path}: {line}", file=sys.stderr)
            status = 2
        else:
            print(f"ok: {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
