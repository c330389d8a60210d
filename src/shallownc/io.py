"""NetCDF input/output with provenance and clear errors on bad input.

Every file written by the pipeline carries provenance attributes (:func:`provenance`): the
config as JSON, package versions, the git commit of the code, the creation time. Reading goes
through :func:`read_netcdf`, which turns a missing, corrupt or incomplete file into an
:class:`InputError` naming the file and the problem.

CF conventions (CF-1.8, https://cfconventions.org, sections cited as "CF §"): every file is
normalized centrally by :func:`cf_normalize` before it is written, so every producer benefits:
the ``Conventions``/``title``/``history``/``references`` global attributes (CF §2.6.2), a
``long_name`` on every variable and coordinate (CF §3.2; taken from ``description`` when a
producer gave none), ``units`` on every numeric variable (CF §3.1; ``"1"`` for dimensionless
quantities and indices), and verdict variables stored as integers with ``flag_values`` (an
integer array of the variable's type) and ``flag_meanings`` (CF §3.5). The verdict codes follow
``shallownc.status.STATUS_NAMES`` (project-wide: 1 feasible, 0 infeasible with an exact
proof, -1 undecided, -2 infeasible within a radius). :func:`cf_problems` is the rule-based
checker of exactly these items (tests/test_outputs_quality.py runs it on every file of the tiny
run). CF-1.8 rather than a later version because it is the newest the maintained reference
checker (``cfchecks`` of the ``cfchecker`` package, 4.1) validates; every item above is the same
in CF-1.10. Text variables are stored as character arrays (CF §2.2), which that checker reads;
``units`` that are not UDUNITS units ("epoch", "runs", "same as x") become ``"1"`` and the
producer's wording moves to ``comment``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Iterable

import numpy as np
import xarray as xr

from .status import flag_attrs, status_flag_attrs  # noqa: F401  (re-exported)

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")  # cluster file systems (docs/conventions.md)

ENGINE = "netcdf4"
_PACKAGES = ("shallownc", "numpy", "scipy", "highspy", "xarray", "netCDF4", "torch",
             "snakemake", "seaborn", "scikit-learn")


class InputError(RuntimeError):
    """An input file is missing, unreadable, or lacks what the stage needs."""


def _read_git_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=10)
        if sha.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=10)
        return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


#: the commit of the source tree when this process imported shallownc.io: the code it runs
#: (a job that runs for hours and writes at its end must not record a commit checked out
#: meanwhile; issue 26)
_COMMIT_AT_IMPORT = _read_git_commit()


def git_commit() -> str:
    """Commit of the source tree (``-dirty`` if modified) when this process imported the
    package's io module, or 'unknown' outside git."""
    return _COMMIT_AT_IMPORT


def package_versions() -> dict[str, str]:
    out = {}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def provenance(config: dict | None = None, **extra) -> dict[str, str]:
    """NetCDF-safe provenance attributes (strings only: xarray rejects dict/bool/None)."""
    attrs = {
        "config_json": json.dumps(config if config is not None else {}, sort_keys=True,
                                  default=str),
        "package_versions_json": json.dumps(package_versions(), sort_keys=True),
        "git_commit": git_commit(),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "source": "shallownc (Hong & Ling, arXiv 2409.01832, reproduction and extension)",
    }
    for k, v in extra.items():  # numbers stay numbers (a seed is an integer in every file)
        attrs[k] = v if isinstance(v, (str, int, float, np.number)) and \
            not isinstance(v, bool) else json.dumps(v, default=str)
    return attrs


def _sanitize_attrs(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = int(v)
        elif v is None:
            out[k] = "none"
        elif isinstance(v, (dict, list, tuple)):
            out[k] = json.dumps(v, default=str)
        else:
            out[k] = v
    return out


CF_CONVENTIONS = "CF-1.8"
REFERENCES = ("Hong & Ling, Beyond Unconstrained Features: Neural Collapse for Shallow Neural "
              "Networks with General Data, JMLR 2026 (arXiv 2409.01832)")
# Verdict variables of the class LPs (nc_status, nc_all_status, sep_status, lp_status, ...):
# their codes are the project-wide STATUS_NAMES, whatever a producer wrote.
VERDICT_VAR = re.compile(r"^(nc|sep|lp)(_all)?_status(_\w+)?$")
# Any variable whose name says "status" must carry flags (its own or the verdict ones).
STATUS_VAR = re.compile(r"(^|_)status($|_)")
_FLAG_FILL = -127  # stored where a status is missing (NaN); outside every flag value
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # CF §2.3
_FLAG_WORD = re.compile(r"^[A-Za-z0-9_.+\-@]+$")  # CF §3.5: blank-separated words
# long_name and units of coordinates that producers commonly leave bare (CF §3.1-3.2).
COORDINATES = {
    "d": ("input dimension d", "1"), "sigma": ("noise standard deviation sigma", "1"),
    "trial": ("trial index", "1"), "class": ("class index k", "1"),
    "class_i": ("class index i", "1"), "class_j": ("class index j", "1"),
    "d_over_n": ("input dimension over samples per class d/n", "1"),
    "snr": ("signal-to-noise ratio", "1"), "K": ("number of classes K", "1"),
    "n": ("samples per class n", "1"), "epoch": ("training epoch", "1"),
    "ratio": ("lambda_W lambda_H over the UPFM zero-solution threshold", "1"),
    "start": ("random start index", "1"), "sample": ("sample index", "1"),
    "feature": ("feature index", "1"), "seed_index": ("seed index", "1"),
    "first_width": ("first-layer width d1", "1"), "d1": ("first-layer width d1", "1"),
    "d1_over_N": ("first-layer width over the number of samples d1/N", "1"),
    "d_curve": ("input dimension d of the theory curve", "1"),
    "sigma_curve": ("noise standard deviation of the theory curve", "1"),
    "model": ("model name", None), "loss": ("loss name", None),
    "source": ("source of the values", None), "variant": ("regularization variant", None),
}


# UDUNITS units used in this project; anything else is reported by cf_problems.
KNOWN_UNITS = {"1", "s", "ms", "min", "h", "degree", "degrees", "rad", "byte", "MiB", "GiB"}
_NOT_UNITS = re.compile(r"^(same as .*|epochs?|runs?|counts?|trials?|iterations?|steps?)$")


def _cf_units(attrs: dict) -> dict:
    """Replace a descriptive non-unit ("same as x", "epoch", "runs") by "1" (kept in comment)."""
    u = attrs.get("units")
    if isinstance(u, str) and u not in KNOWN_UNITS and _NOT_UNITS.match(u.strip()):
        note = f"units as written by the producer: {u!r} (dimensionless)"
        attrs["comment"] = f"{attrs['comment']}; {note}" if attrs.get("comment") else note
        attrs["units"] = "1"
    return attrs


LONG_NAME_MAX = 120  # characters of a long_name taken from a description


def _depths(text: str) -> list[int]:
    """Bracket depth ((), [], {}) before each character of ``text``."""
    out, depth = [], 0
    for ch in text:
        out.append(depth)
        depth += (ch in "([{") - (ch in ")]}")
    return out


def _first_clause(text: str) -> str:
    """Text up to the first "; " outside brackets (a "; " inside "(...)" does not end it)."""
    dep = _depths(text)
    for m in re.finditer("; ", text):
        if dep[m.start()] == 0:
            return text[:m.start()].strip()
    return text.strip()


def _shorten(text: str, limit: int = LONG_NAME_MAX) -> str:
    """``text`` cut to at most ``limit`` characters at a blank outside brackets (a bracket
    opened before the cut is dropped with its content), "..." marking the cut."""
    if len(text) <= limit:
        return text
    dep = _depths(text)
    cut = max((i for i, ch in enumerate(text[:limit - 3]) if ch == " " and dep[i] == 0),
              default=0)
    head = text[:cut].rstrip(" ,;:(") if cut else text[:limit - 3].split("(")[0].rstrip()
    return head + "..."


def _long_name(name: str, attrs: dict) -> str:
    """A producer's long_name, else the first clause of its description (brackets kept
    whole, :func:`_first_clause`, :func:`_shorten`), else the name."""
    if attrs.get("long_name"):
        return str(attrs["long_name"])
    desc = str(attrs.get("description", "")).strip()
    if desc:
        return _shorten(_first_clause(desc))
    if name in COORDINATES:
        return COORDINATES[name][0]
    return name.replace("_", " ")


def _is_text(var) -> bool:
    return var.dtype.kind in "USO"


def _as_flag_int(ds: xr.Dataset, name: str) -> xr.Dataset:
    """Store a status variable as int8 (NaN -> _FLAG_FILL with a _FillValue), keeping attrs."""
    var = ds[name]
    if var.dtype.kind in "iu":
        return ds
    if var.dtype.kind == "b":
        vals = var.values.astype(np.int8)
        ds[name] = var.copy(data=vals)
        return ds
    vals = np.asarray(var.values, dtype=float)
    finite = np.isfinite(vals)
    if not np.array_equal(vals[finite], np.round(vals[finite])):
        raise ValueError(f"status variable {name!r} holds non-integer values; "
                         "status codes must be integers")
    out = np.where(finite, vals, _FLAG_FILL).astype(np.int8)
    ds[name] = var.copy(data=out)
    ds[name].encoding = {"_FillValue": np.int8(_FLAG_FILL)} if (~finite).any() else {}
    return ds


def _normalize_flags(ds: xr.Dataset, name: str) -> xr.Dataset:
    attrs = ds[name].attrs
    verdict = bool(VERDICT_VAR.match(name))
    if not (verdict or "flag_values" in attrs or "flag_meanings" in attrs):
        return ds
    ds = _as_flag_int(ds, name)
    attrs = dict(ds[name].attrs)
    if verdict:
        attrs.update(status_flag_attrs(ds[name].dtype))
    else:
        fv = attrs.get("flag_values")
        if isinstance(fv, str):
            fv = json.loads(fv)
        if fv is None or "flag_meanings" not in attrs:
            raise ValueError(f"variable {name!r}: flag_values and flag_meanings go together "
                             f"(CF 3.5); got {sorted(attrs)}")
        attrs["flag_values"] = np.asarray(fv).astype(ds[name].dtype)
    attrs.setdefault("units", "1")
    ds[name].attrs = attrs
    return ds


# What the files under each results folder hold (the title of a file, :func:`default_title`).
STAGE_TITLES = {
    "data": "data set",
    "feasibility": "verified class-LP verdicts (is the global minimizer collapsed?)",
    "bounds": "theory curves and sufficient conditions",
    "training": "trained ReLU networks, NC metrics along training",
    "verdict": "certified verdicts: did training reach the collapsed global minimizer?",
    "upfm": "unconstrained positive feature model",
    "generalization": "neural collapse versus test error",
    "paper": "the paper's own figure",
    "imbalance": "imbalanced classes: UPFM threshold, class LPs, trained networks",
}
_TITLE_FACTS = ("geometry", "K", "n", "classes")


def default_title(ds: xr.Dataset, path: str | Path | None = None) -> str:
    """A file's title (CF §2.6.2): its place under the results folder, what that stage holds
    (:data:`STAGE_TITLES`), the data set's geometry/K/n and the dimensions, e.g.
    "shallownc feasibility/k2_antipodal: verified class-LP verdicts (...); geometry
    antipodal, K 2, n 30; dimensions d 8 x sigma 5 x trial 20"."""
    parts = Path(path).with_suffix("").parts if path else ()
    stage = next((i for i, p in enumerate(parts) if p in STAGE_TITLES), None)
    where = "/".join(parts[stage:]) if stage is not None else (parts[-1] if parts else "result")
    what = STAGE_TITLES[parts[stage]] if stage is not None else "result"
    facts = ", ".join(f"{k} {ds.attrs[k]}" for k in _TITLE_FACTS if k in ds.attrs)
    dims = " x ".join(f"{d} {n}" for d, n in ds.sizes.items() if not str(d).startswith("string"))
    return f"shallownc {where}: {what}" + (f"; {facts}" if facts else "") + \
        (f"; dimensions {dims}" if dims else "")


def _same(a, b) -> bool:
    try:
        return bool(np.isclose(float(a), float(b), rtol=1e-12, atol=0))
    except (TypeError, ValueError):
        return str(a) == str(b)


def contradicted_attrs(ds: xr.Dataset) -> list[str]:
    """Global attributes that the file itself contradicts: a number named like a numeric
    coordinate that holds another value or several (a global ``d = 24`` beside a ``d``
    coordinate holding 24 and 60), and ``angle_deg`` where ``geometry`` is not ``angle``
    (the angle means nothing for antipodal, orthogonal or noise data). Data variables are
    not compared: a global ``loss = "ce"`` names the loss beside the variable ``loss``."""
    out = []
    for k, v in ds.attrs.items():
        if k in ds.coords and not _is_text(ds[k]) and not isinstance(v, str):
            vals = np.unique(np.asarray(ds[k].values).ravel())
            if vals.size != 1 or not _same(vals[0], v):
                out.append(k)
    geom = ds.attrs.get("geometry")
    if "angle_deg" in ds.attrs and geom is not None and geom != "angle":
        out.append("angle_deg")
    return out


def cf_normalize(ds: xr.Dataset) -> xr.Dataset:
    """Return a copy of ``ds`` with the CF attributes of the module docstring filled in.

    Existing ``long_name``/``units`` of a producer are kept. Coordinates without units get the
    :data:`COORDINATES` entry, integer and boolean variables (indices, counts, seeds, flags)
    ``"1"``; a floating-point variable without ``units`` is left without, so the checker
    names it (its producer must say what it measures).
    """
    ds = ds.copy()
    # CF 6.1: a text (label) coordinate has one dimension; wider text arrays are data variables
    ds = ds.reset_coords([c for c in ds.coords
                          if c not in ds.dims and _is_text(ds[c]) and ds[c].ndim > 1])
    for name in list(ds.variables):
        ds = _normalize_flags(ds, str(name))
    for name in list(ds.variables):
        name = str(name)
        var = ds.variables[name]
        attrs = _cf_units(dict(var.attrs))
        attrs["long_name"] = _long_name(name, attrs)
        if _is_text(var):
            var.encoding = {k: v for k, v in var.encoding.items() if k != "dtype"} | \
                {"dtype": "S1"}  # char array (CF 2.2), not a netCDF-4 vlen string
        if "units" not in attrs and not _is_text(var):
            if name in COORDINATES and COORDINATES[name][1]:
                attrs["units"] = COORDINATES[name][1]
            elif var.dtype.kind in "iub":
                attrs["units"] = "1"
        var.attrs = attrs
    ds.attrs["Conventions"] = CF_CONVENTIONS
    for k in contradicted_attrs(ds):
        del ds.attrs[k]
    ds.attrs.setdefault("title", default_title(ds))
    ds.attrs.setdefault("references", REFERENCES)
    return ds


def write_netcdf(ds: xr.Dataset, path: str | Path, config: dict | None = None,
                 **extra_attrs) -> Path:
    """Write ``ds`` with provenance and CF attributes (:func:`cf_normalize`), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ds.copy()
    ds.attrs.update(provenance(config, **extra_attrs) | dict(ds.attrs))
    ds.attrs.setdefault("history", f"{ds.attrs['created_utc']} written by shallownc "
                                   f"{package_versions()['shallownc']} ({ds.attrs['git_commit']})")
    ds.attrs.setdefault("title", default_title(ds, path))
    ds = cf_normalize(ds)
    ds.attrs = _sanitize_attrs(ds.attrs)
    for name in list(ds.variables):
        ds.variables[name].attrs = _sanitize_attrs(ds.variables[name].attrs)
    tmp = path.with_name(path.name + ".tmp")
    ds.to_netcdf(tmp, engine=ENGINE)
    os.replace(tmp, path)
    return path


def read_netcdf(path: str | Path, required_vars: Iterable[str] = (),
                required_dims: Iterable[str] = ()) -> xr.Dataset:
    """Open and load a NetCDF file, checking it has the variables and dimensions needed."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"input file not found: {path}")
    try:
        with xr.open_dataset(path, engine=ENGINE) as ds:
            ds = ds.load()
    except Exception as exc:  # netCDF4/HDF5 raise many different types on corrupt files
        raise InputError(f"cannot read NetCDF file {path} (corrupt or not NetCDF): "
                         f"{type(exc).__name__}: {exc}") from exc
    missing = [v for v in required_vars if v not in ds.variables]
    if missing:
        raise InputError(f"NetCDF file {path} lacks variable(s) {missing}; "
                         f"it has {sorted(map(str, ds.variables))}")
    missing_d = [d for d in required_dims if d not in ds.dims]
    if missing_d:
        raise InputError(f"NetCDF file {path} lacks dimension(s) {missing_d}; "
                         f"it has {sorted(map(str, ds.dims))}")
    return ds


def _flag_problems(name: str, var) -> list[str]:
    """CF §3.5 checks of one variable: integer codes, array flag_values, matching meanings."""
    a = var.attrs
    out = []
    if STATUS_VAR.search(name) and "flag_values" not in a:
        out.append(f"{name}: a status variable without flag_values/flag_meanings")
    if "flag_values" not in a and "flag_meanings" not in a:
        return out
    fv, fm = a.get("flag_values"), a.get("flag_meanings")
    if isinstance(fv, np.generic):  # netCDF4 reads a one-element attribute as a scalar
        fv = np.atleast_1d(fv)
    if var.dtype.kind not in "iu":
        out.append(f"{name}: flag variable of type {var.dtype}, not an integer type")
    if not isinstance(fv, np.ndarray) or fv.dtype.kind not in "iu":
        return out + [f"{name}: flag_values must be an integer array, got {fv!r}"]
    if fv.dtype != var.dtype:
        out.append(f"{name}: flag_values of type {fv.dtype} != variable type {var.dtype}")
    words = str(fm or "").split()
    if len(words) != fv.size or not all(_FLAG_WORD.match(w) for w in words):
        out.append(f"{name}: flag_meanings {fm!r} do not name the {fv.size} flag_values")
    if len(set(fv.tolist())) != fv.size:
        out.append(f"{name}: flag_values are not distinct")
    vals = np.unique(np.asarray(var.values))
    fill = var.encoding.get("_FillValue", a.get("_FillValue"))
    stray = sorted(set(vals.tolist()) - set(fv.tolist()) - ({int(fill)} if fill is not None
                                                             else set()))
    if stray:
        out.append(f"{name}: values {stray[:5]} are not among flag_values {fv.tolist()}")
    if VERDICT_VAR.match(name):
        want = status_flag_attrs(fv.dtype)
        if fv.tolist() != want["flag_values"].tolist() or fm != want["flag_meanings"]:
            out.append(f"{name}: verdict flags {fv.tolist()} {fm!r} differ from "
                       f"STATUS_NAMES {want['flag_values'].tolist()} {want['flag_meanings']!r}")
    return out


def _variable_problems(ds: xr.Dataset, name: str) -> list[str]:
    var = ds.variables[name]
    a = var.attrs
    out = []
    if not _NAME.match(name):
        out.append(f"{name}: name must start with a letter and use letters, digits, _ (CF 2.3)")
    if not str(a.get("long_name", a.get("standard_name", ""))).strip():
        out.append(f"{name}: no long_name (CF 3.2)")
    if not _is_text(var) and not (isinstance(a.get("units"), str) and a["units"].strip()):
        out.append(f"{name}: numeric variable without a units string (CF 3.1)")
    elif "units" in a and a["units"] not in KNOWN_UNITS:
        out.append(f"{name}: units {a['units']!r} not a UDUNITS unit known here "
                   "(io.KNOWN_UNITS; CF 3.1)")
    if name in ds.coords and name not in ds.dims and _is_text(var) and var.ndim > 1:
        out.append(f"{name}: text coordinate with {var.ndim} dimensions (labels: 1, CF 6.1)")
    if name in ds.dims and not _is_text(var):
        v = np.asarray(var.values, dtype=float)
        d = np.diff(v)
        if not (np.isfinite(v).all() and ((d > 0).all() or (d < 0).all())):
            out.append(f"{name}: coordinate variable is not strictly monotonic (CF 5)")
    return out + _flag_problems(name, var)


def cf_problems(source: str | Path | xr.Dataset) -> list[str]:
    """Rule-based CF-1.10 check of the items this project promises (module docstring).

    Returns a list of human-readable problems (empty when the file conforms): the
    ``Conventions`` attribute, variable names (CF §2.3), ``long_name`` (§3.2) and ``units``
    (§3.1, text variables exempt) on every variable and coordinate, strictly monotonic
    coordinate variables (§5), and flag variables (§3.5): integer data, integer-array
    ``flag_values`` of the data's type, one ``flag_meanings`` word per value, data within the
    flags; verdict variables must carry exactly the STATUS_NAMES codes.
    """
    if isinstance(source, xr.Dataset):
        ds = source
    else:
        with xr.open_dataset(source, engine=ENGINE, mask_and_scale=False) as f:
            ds = f.load()
    out = []
    conv = str(ds.attrs.get("Conventions", ""))
    if not conv.startswith("CF-"):
        out.append(f"global attribute Conventions is {conv!r}, not 'CF-1.x' (CF 2.6.1)")
    for name in ds.variables:
        out += _variable_problems(ds, str(name))
    return out
