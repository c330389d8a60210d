"""Result files that are not complete NetCDF files: found before any job starts.

Used by the Snakefile's ``onstart`` (not by job scripts, so editing it re-runs no job). A
truncated or corrupt file among the results would otherwise be read by a downstream job, which
fails after Snakemake has deleted that job's previous output.
"""

from __future__ import annotations

from pathlib import Path


_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_CLASSIC_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05")


def netcdf_problem(path) -> str | None:
    """Why ``path`` is not a complete NetCDF file, or None if it looks complete.

    Cheap (reads the first bytes only): the format signature, and for NetCDF-4/HDF5 files the
    end-of-file address recorded in the superblock (HDF5 file format spec, section II.A),
    which a truncated file no longer reaches. Classic NetCDF files are checked by signature.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(128)
    if head[:4] in _CLASSIC_MAGIC:
        return None
    if head[:8] != _HDF5_MAGIC:
        return "not a NetCDF file (no NetCDF/HDF5 signature)"
    eof = _hdf5_eof_address(head)
    if eof is None:
        return "unreadable HDF5 superblock"
    if size < eof:
        return f"truncated: {size} of {eof} bytes"
    return None


def _hdf5_eof_address(head: bytes) -> int | None:
    """End-of-file address from an HDF5 superblock (versions 0-3) at offset 0."""
    if len(head) < 12:
        return None
    version = head[8]
    if version in (0, 1):
        size_of_offsets = head[13]
        start = 24 + (4 if version == 1 else 0)  # after the fixed fields (and v1's extra K)
        idx = start + 2 * size_of_offsets       # base address, free-space address, EOF
    elif version in (2, 3):
        size_of_offsets = head[9]
        idx = 12 + 2 * size_of_offsets          # base address, extension address, EOF
    else:
        return None
    if size_of_offsets not in (2, 4, 8) or len(head) < idx + size_of_offsets:
        return None
    base = int.from_bytes(head[idx - 2 * size_of_offsets: idx - size_of_offsets], "little") \
        if version in (0, 1) else int.from_bytes(head[12: 12 + size_of_offsets], "little")
    return base + int.from_bytes(head[idx: idx + size_of_offsets], "little")


def broken_results(results_dir, rebuilt=()) -> list[tuple[str, str]]:
    """(path, problem) of every ``*.nc`` under ``results_dir`` that is not a complete NetCDF
    file, except those in ``rebuilt`` (outputs the coming run re-makes anyway)."""
    rebuilt = {str(Path(p)) for p in rebuilt}
    out = []
    for p in sorted(Path(results_dir).rglob("*.nc")):
        if str(p) in rebuilt:
            continue
        problem = netcdf_problem(p)
        if problem:
            out.append((str(p), problem))
    return out


def check_results_intact(results_dir, workflow) -> None:
    """For the Snakefile's ``onstart``: stop before any job starts (so nothing is deleted) if a
    result file is truncated or corrupt, naming the file and the command that rebuilds it."""
    rebuilt = [f for job in workflow.dag.needrun_jobs() for f in job.output]
    bad = broken_results(results_dir, rebuilt)
    if not bad:
        return
    lines = [f"{p}: {why}" for p, why in bad]
    files = " ".join(p for p, _ in bad)
    raise SystemExit(
        "error: corrupt result file(s); nothing was run or deleted:\n  " + "\n  ".join(lines)
        + f"\nto rebuild them and everything computed from them, run the same command with "
        f"--forcerun {files}\n(make users: make run SMK_ARGS='--forcerun {files}')")


PLACEHOLDER = "CHANGE_ME"


def placeholder_resources(default_args, overwrite: dict) -> list[str]:
    """Resource settings of the active profile that still hold a ``CHANGE_ME`` value.

    ``default_args``: the ``default-resources`` entries as ``name=value`` strings
    (``workflow.resource_settings.default_resources.args``); ``overwrite``: the
    ``set-resources`` mapping rule -> {name: Resource} (its ``raw`` value is the profile's)."""
    found = [f"default-resources: {a}" for a in (default_args or []) if PLACEHOLDER in str(a)]
    for rule, res in sorted((overwrite or {}).items()):
        for name, r in sorted(res.items()):
            raw = getattr(r, "raw", r)
            if PLACEHOLDER in str(raw):
                found.append(f"set-resources: {rule}: {name}={raw}")
    return found


def check_no_placeholders(workflow) -> None:
    """For the Snakefile's ``onstart``: refuse to submit jobs while the profile (e.g. the SLURM
    template profiles/slurm) still holds CHANGE_ME values; dry runs (no onstart) still plan."""
    rs = workflow.resource_settings
    found = placeholder_resources(getattr(rs.default_resources, "args", None),
                                  rs.overwrite_resources)
    if found:
        raise SystemExit("error: the profile still holds CHANGE_ME placeholder(s); set them for "
                         "your site before running (a dry run -n plans anyway):\n  "
                         + "\n  ".join(found))
