"""NetCDF input/output with provenance and clear errors on bad input.

Every file written by the pipeline carries provenance attributes (:func:`provenance`): the
config as JSON, package versions, the git commit of the code, the creation time. Reading goes
through :func:`read_netcdf`, which turns a missing, corrupt or incomplete file into an
:class:`InputError` naming the file and the problem.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Iterable

import numpy as np
import xarray as xr

os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")  # cluster file systems (conventions.md)

ENGINE = "netcdf4"
_PACKAGES = ("shallownc", "numpy", "scipy", "highspy", "xarray", "netCDF4", "torch",
             "snakemake", "seaborn", "scikit-learn")


class InputError(RuntimeError):
    """An input file is missing, unreadable, or lacks what the stage needs."""


def git_commit() -> str:
    """Commit of the source tree (``-dirty`` if modified), or 'unknown' outside git."""
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
    for k, v in extra.items():
        attrs[k] = v if isinstance(v, str) else json.dumps(v, default=str)
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


def write_netcdf(ds: xr.Dataset, path: str | Path, config: dict | None = None,
                 **extra_attrs) -> Path:
    """Write ``ds`` with provenance attributes, atomically (temp file then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ds.copy()
    ds.attrs.update(provenance(config, **extra_attrs) | dict(ds.attrs))
    ds.attrs = _sanitize_attrs(ds.attrs)
    for name in list(ds.variables):
        ds[name].attrs = _sanitize_attrs(ds[name].attrs)
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
