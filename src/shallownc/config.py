"""Configuration: load, merge the JSON-schema fragments, fill defaults, validate.

The schema lives in ``workflow/schemas/``: ``config.schema.yaml`` is the root, every other
``<key>.schema.yaml`` validates the top-level key ``<key>``. Validation fills defaults in place
and fails with a :class:`ConfigError` whose message names the offending key, the value and
what is allowed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

ROOT_SCHEMA = "config.schema.yaml"


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type, out of range or unknown."""


def default_schema_dir() -> Path:
    """``workflow/schemas`` of the source checkout this package was installed from."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "workflow" / "schemas"
        if (cand / ROOT_SCHEMA).exists():
            return cand
    raise ConfigError(
        "cannot find workflow/schemas/config.schema.yaml; pass schema_dir explicitly"
    )


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
        root["$defs"].update(frag.pop("$defs", {}))
        frag.pop("$schema", None)
        root["properties"][key] = frag
    return root


def _extend_with_default(validator_class):
    """Validator that fills ``default`` values of missing properties (jsonschema FAQ recipe)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_FillingValidator = _extend_with_default(jsonschema.Draft202012Validator)


def _path_str(path: Iterable[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _resolve(schema: dict, root: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        node = root
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _explain(err: jsonschema.ValidationError, root: dict) -> str:
    where = _path_str(err.absolute_path)
    sch = _resolve(err.schema, root) if isinstance(err.schema, dict) else {}
    desc = sch.get("description", "") if isinstance(sch, dict) else ""
    v = err.validator
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(sch.get("properties", {}))
        unknown = sorted(set(err.instance) - set(allowed))
        if allowed:
            return (f"unknown key(s) {unknown} at '{where}'; allowed keys: {allowed}")
        return f"invalid entry at '{where}': {err.message}"
    if v == "propertyNames":
        return (f"invalid name {err.instance!r} at '{where}': names must match "
                f"{err.validator_value.get('pattern')}")
    if v == "required":
        return f"missing key at '{where}': {err.message}"
    if v == "enum":
        return (f"invalid value {err.instance!r} for '{where}'; allowed values: "
                f"{err.validator_value}" + (f" ({desc.strip()})" if desc else ""))
    if v == "type":
        return (f"wrong type for '{where}': {err.instance!r} is not of type "
                f"{err.validator_value!r}" + (f" ({desc.strip()})" if desc else ""))
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        rng = []
        for key, sym in (("minimum", ">="), ("exclusiveMinimum", ">"),
                         ("maximum", "<="), ("exclusiveMaximum", "<")):
            if key in sch:
                rng.append(f"{sym} {sch[key]}")
        return (f"value {err.instance!r} out of range for '{where}'; allowed: "
                f"{' and '.join(rng)}" + (f" ({desc.strip()})" if desc else ""))
    return f"invalid value for '{where}': {err.message}" + (f" ({desc.strip()})" if desc else "")


def validate(config: dict, schema_dir: str | Path | None = None) -> dict:
    """Validate ``config`` in place (defaults filled) and run cross-field checks.

    Raises :class:`ConfigError` listing every problem, each naming its key.
    """
    if not isinstance(config, dict):
        raise ConfigError(f"the configuration must be a mapping, got {type(config).__name__}")
    schema = load_schema(schema_dir)
    validator = _FillingValidator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    msgs = [_explain(e, schema) for e in errors]
    if not msgs:
        msgs = list(_cross_checks(config))
    if msgs:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(msgs))
    return config


def _cross_checks(config: dict) -> Iterable[str]:
    """Constraints a JSON schema cannot express (combinations of fields)."""
    for name, g in config.get("feasibility", {}).get("phase_diagrams", {}).items():
        where = f"feasibility.phase_diagrams.{name}"
        if g["geometry"] in ("antipodal", "angle") and g["K"] != 2:
            yield f"'{where}.K' must be 2 for geometry {g['geometry']!r} (got {g['K']})"
        for r in g["d_over_n"]:
            d = round(r * g["n"])
            if d < 1:
                yield f"'{where}.d_over_n' value {r} gives d = {d} < 1 for n = {g['n']}"
            if g["geometry"] == "orthogonal" and d < g["K"]:
                yield (f"'{where}.d_over_n' value {r} gives d = {d} < K = {g['K']}: "
                       "orthogonal means need d >= K")
        ds = [round(r * g["n"]) for r in g["d_over_n"]]
        if len(set(ds)) != len(ds):
            yield f"'{where}.d_over_n' values round to duplicate d for n = {g['n']}: {ds}"
    pn = config.get("feasibility", {}).get("pure_noise", {})
    if pn:
        ds = [round(r * pn["n"]) for r in pn["d_over_n"]]
        if len(set(ds)) != len(ds):
            yield f"'feasibility.pure_noise.d_over_n' values round to duplicate d: {ds}"
    for exp, section in (config.get("training") or {}).items():
        dat = section.get("data") if isinstance(section, dict) else None
        if isinstance(dat, dict) and dat.get("geometry") in ("antipodal", "angle") \
                and dat.get("K", 2) != 2:
            yield (f"'training.{exp}.data.K' must be 2 for geometry {dat['geometry']!r} "
                   f"(got {dat.get('K')})")
    for name, g in config.get("data", {}).get("examples", {}).items():
        if g["geometry"] in ("antipodal", "angle") and g["K"] != 2:
            yield f"'data.examples.{name}.K' must be 2 for geometry {g['geometry']!r}"
        if g["geometry"] == "orthogonal" and g["d"] < g["K"]:
            yield f"'data.examples.{name}.d' must be >= K for orthogonal means"
    yield from _upfm_checks(config.get("upfm", {}))


def _upfm_checks(u: dict) -> Iterable[str]:
    """upfm: widths must hold the closed form (p >= K); bridge grids as for phase diagrams."""
    w = u.get("solver", {}).get("width", 0)
    if w:
        for key, Ks in (("sweep.K", u.get("sweep", {}).get("K", [])),
                        ("gram.K", [u.get("gram", {}).get("K", 0)])):
            if max(Ks, default=0) > w:
                yield f"'upfm.solver.width' = {w} is smaller than 'upfm.{key}' {max(Ks)}"
    tw = u.get("bridge", {}).get("train", {}).get("width", 0)
    for name, g in u.get("bridge", {}).get("grids", {}).items():
        where = f"upfm.bridge.grids.{name}"
        if tw and tw < g["K"]:
            yield f"'upfm.bridge.train.width' = {tw} is smaller than '{where}.K' = {g['K']}"
        if g["geometry"] in ("antipodal", "angle") and g["K"] != 2:
            yield f"'{where}.K' must be 2 for geometry {g['geometry']!r} (got {g['K']})"
        for r in g["d_over_n"]:
            d = round(r * g["n"])
            if d < 1 or (g["geometry"] == "orthogonal" and d < g["K"]):
                yield (f"'{where}.d_over_n' value {r} gives d = {d}: need d >= 1 "
                       "(and d >= K for orthogonal means)")


def load(path: str | Path, schema_dir: str | Path | None = None) -> dict:
    """Read a YAML config file and validate it (defaults filled)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    try:
        cfg = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    return validate(cfg, schema_dir)


def to_json(config: dict) -> str:
    """Canonical JSON of a config (sorted keys), for NetCDF provenance attributes."""
    return json.dumps(config, sort_keys=True, default=str)
