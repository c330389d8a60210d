"""Compare the NetCDF results of two runs: values with xarray.testing.assert_allclose,
attributes exactly; timings (variables and attributes named *time*, *_per_s) and provenance
(config_json, package_versions_json, git_commit, created_utc, history, code versions
*_code_version) excluded.

    .venv/bin/python scripts/compare_results.py OLD_RESULTS_DIR NEW_RESULTS_DIR

Exit status 1 if a file differs or exists in one run only (issue 13: behaviour and results
stay the same across a refactor).
"""
import sys
from pathlib import Path

import xarray as xr

PROVENANCE = {"config_json", "package_versions_json", "git_commit", "created_utc", "history"}


def _is_timing(name: str) -> bool:
    return "time" in name or name.endswith("per_s")


def _strip(ds: xr.Dataset) -> xr.Dataset:
    ds = ds.drop_vars([v for v in ds.data_vars if _is_timing(v)])
    ds.attrs = {k: v for k, v in ds.attrs.items() if k not in PROVENANCE and not _is_timing(k)
                and not k.endswith("code_version")}
    return ds


def compare(a: Path, b: Path) -> list[str]:
    """Problems found (empty: the two result folders agree)."""
    problems = []
    for fa in sorted(a.rglob("*.nc")):
        rel = fa.relative_to(a)
        fb = b / rel
        if not fb.exists():
            problems.append(f"{rel}: only in {a}")
            continue
        da, db = _strip(xr.load_dataset(fa)), _strip(xr.load_dataset(fb))
        try:
            xr.testing.assert_allclose(da, db)
        except AssertionError as exc:
            problems.append(f"{rel}: {str(exc)[:500]}")
        if repr(sorted(da.attrs.items())) != repr(sorted(db.attrs.items())):  # NaN == NaN
            problems.append(f"{rel}: attributes differ")
    problems += [f"{p.relative_to(b)}: only in {b}" for p in sorted(b.rglob("*.nc"))
                 if not (a / p.relative_to(b)).exists()]
    return problems


if __name__ == "__main__":
    old, new = map(Path, sys.argv[1:3])
    found = compare(old, new)
    print(f"compared {len(list(old.rglob('*.nc')))} files: {len(found)} problem(s)")
    print("\n".join(found))
    sys.exit(1 if found else 0)
