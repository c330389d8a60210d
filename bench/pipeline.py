"""Benchmark 3 — pipeline overhead: dry-run time and the share of wall time inside job bodies.

    .venv/bin/python bench/pipeline.py                    # dry run (paper) + default run
    .venv/bin/python bench/pipeline.py --skip-run         # dry runs only (seconds)
    .venv/bin/python bench/pipeline.py --targets results/feasibility/k3_orthogonal.nc

1. Dry run: ``snakemake -n`` of presets/paper.yaml's DAG (target < 10 s), timed as a
   subprocess, with the number of jobs it plans; the default config's dry run for comparison.
2. Default run: ``snakemake --cores C`` of config.yaml (or ``--targets``) into a fresh working
   directory, so nothing in the checkout is touched and no lock is shared. Afterwards every
   ``<results_dir>/benchmarks/**/*.tsv`` file of that directory gives a job body's wall time (column ``s``:
   the job's script process, imports included). Reported:
     busy share   = sum(s) / (C x wall)   fraction of the available core time spent inside
                                          benchmarked job bodies (target >= 70%)
     jobs         = number of benchmarked jobs and their median s
   Jobs without a ``benchmark:`` directive (cheap local rules) count as overhead, and so do
   idle cores while the DAG waits on a serial chain.
"""
from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine  # noqa: E402

SMK = str(ROOT / ".venv" / "bin" / "snakemake")


def snakemake(args, workdir, log_path=None, timeout=None):
    """Run snakemake on the repository's Snakefile in ``workdir``; (wall s, rc, output)."""
    cmd = [SMK, "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    out = p.stdout + p.stderr
    if log_path:
        Path(log_path).write_text(" ".join(cmd) + "\n" + out)
    return wall, p.returncode, out


def planned_jobs(out: str) -> int | None:
    """Total of the 'Job stats' table of a dry run (the line 'total  N')."""
    m = re.findall(r"^total\s+(\d+)", out, flags=re.M)
    return int(m[-1]) if m else None


def dry_run(config: Path, workdir: Path):
    wall, rc, out = snakemake(["-n", "--quiet", "rules", "--configfile", str(config)], workdir)
    return wall, rc, planned_jobs(out), out


def benchmark_rows(workdir: Path):
    rows = []
    for f in sorted(workdir.glob("*/benchmarks/**/*.tsv")):   # <results_dir>/benchmarks
        with f.open() as fh:
            for r in csv.DictReader(fh, delimiter="\t"):
                rows.append((str(f.relative_to(workdir)), float(r["s"])))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--skip-run", action="store_true", help="dry runs only")
    ap.add_argument("--targets", nargs="*", default=[], help="default: the whole pipeline")
    ap.add_argument("--keep", action="store_true", help="keep the run's working directory")
    a = ap.parse_args(argv)
    print(f"machine: {machine()}")

    py = str(ROOT / ".venv" / "bin" / "python")
    mods = sorted(set(re.findall(r"^\s*from shallownc import (\w+)",
                                 "".join(f.read_text() for f in
                                         (ROOT / "workflow" / "rules").glob("*.smk")),
                                 flags=re.M)))
    for label, code in (("python + import snakemake", "import snakemake.api"),
                        (f"parse-time imports shallownc.{{{','.join(mods)}}}",
                         "; ".join(f"import shallownc.{m}" for m in mods))):
        t0 = time.perf_counter()
        subprocess.run([py, "-c", code], check=True)
        print(f"{label}: {time.perf_counter() - t0:.2f} s")
    with tempfile.TemporaryDirectory(prefix="bench-dry-") as tmp:
        for name in ("presets/paper.yaml", "config.yaml"):
            snakemake(["-n", "--quiet", "--configfile", str(ROOT / name)], tmp)  # warm cache
            wall, rc, jobs, out = dry_run(ROOT / name, Path(tmp))
            target = " (target < 10 s)" if "paper" in name else ""
            print(f"dry run {name}: {wall:.2f} s, {jobs} jobs planned, rc {rc}{target}")
            if rc != 0:
                print(out[-2000:])
    if a.skip_run:
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        log = work / "snakemake-run.log"
        wall, rc, out = snakemake(["--cores", str(a.cores), "--configfile",
                                   str(ROOT / "config.yaml"), *a.targets], work, log)
        rows = benchmark_rows(work)
        body = sum(s for _, s in rows)
        print(f"default run ({' '.join(a.targets) or 'all targets'}): wall {wall:.1f} s on "
              f"{a.cores} cores, rc {rc} (log: {log if a.keep else 'deleted'})")
        if rows:
            ss = sorted(s for _, s in rows)
            print(f"  {len(rows)} benchmarked jobs, sum(s) = {body:.1f} s, median "
                  f"{ss[len(ss) // 2]:.2f} s, max {ss[-1]:.1f} s")
            print(f"  busy share sum(s) / ({a.cores} x wall) = "
                  f"{body / (a.cores * wall) * 100:.0f}%  (target >= 70%)")
            by_stage = {}
            for f, s in rows:
                stage = Path(f).parts[1] if len(Path(f).parts) > 2 else Path(f).stem
                by_stage.setdefault(stage, []).append(s)
            for stage, v in sorted(by_stage.items(), key=lambda kv: -sum(kv[1])):
                print(f"    {stage:20s} {len(v):4d} jobs  {sum(v):8.1f} s")
        if rc != 0:
            print(out[-3000:])
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
