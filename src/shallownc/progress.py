"""Progress of a run in the terminal: the planned work and its estimated time before the first
job starts, then every ``progress_every_s`` seconds one line with the jobs done, the time
elapsed and an ETA for the run, and one line per running job with its own progress and ETA.

Snakemake's own terminal output says "N of M steps done"; the jobs log their progress (epoch,
objective, NC1, steps/s and ETA of the training loop; cells done and ETA of an LP sweep) into
their log files. This module reads those lines back and shows them where the user is looking.
Started from the Snakefile's ``onstart`` (not in dry runs), as a daemon thread of the Snakemake
process, writing to its stderr; it never changes a job or an output.

Estimates (:func:`estimate`): the median wall time of the same rule in this results folder's
``benchmarks/`` from earlier runs (each job writes one benchmark file), else the runtime the
rule declares (``resources: runtime``, minutes; an upper bound for cluster schedulers). Once
jobs have finished, the run ETA scales the remaining estimates by measured / estimated of the
finished jobs (:func:`run_eta`), so an estimate from upper bounds corrects itself.
"""

from __future__ import annotations

import csv
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# a job's progress line: what the training loop and the LP sweeps log (shallownc.training.loop
# _log_progress, shallownc.sweep.map_cells)
PROGRESS_MARK = "ETA"


@dataclass
class PlannedJob:
    """One job of the run: its rule, a short label, outputs, log file and estimated seconds."""
    rule: str
    label: str
    outputs: tuple
    log: str | None
    estimate_s: float
    basis: str          # "benchmark" (earlier runs) or "declared" (resources: runtime)


@dataclass
class Plan:
    jobs: list
    cores: int
    started: float = field(default_factory=time.time)


def benchmark_seconds(path: str | Path) -> float | None:
    """Wall seconds (column ``s``) of one Snakemake benchmark file, None if unreadable."""
    try:
        with open(path) as fh:
            return float(next(csv.DictReader(fh, delimiter="\t"))["s"])
    except (StopIteration, KeyError, ValueError, TypeError, OSError):
        return None


def estimate(job, measured: dict[str, list]) -> tuple[float, str]:
    """(seconds, basis) of one Snakemake job: the median of this rule's earlier benchmark
    times (``measured``: rule -> seconds), else its declared runtime (minutes) x 60, else
    60 s."""
    times = measured.get(job.rule.name)
    if times:
        return float(statistics.median(times)), "benchmark"
    try:
        rt = float(job.resources.get("runtime", 1))
    except (TypeError, ValueError):
        rt = 1.0
    return max(rt, 0.0) * 60.0, "declared"


def measured_times(jobs) -> dict[str, list]:
    """Wall seconds of earlier runs per rule: every existing file matching the rule's
    benchmark pattern (wildcards as ``*``), e.g. ``<results>/benchmarks/feasibility/*/*.tsv``."""
    out: dict[str, list] = {}
    for rule in {j.rule.name: j.rule for j in jobs}.values():
        pattern = getattr(rule, "benchmark", None)
        if not pattern:
            continue
        glob = re.sub(r"\{[^}]+\}", "*", str(pattern))
        times = [benchmark_seconds(f) for f in Path().glob(glob)] if not \
            Path(glob).is_absolute() else [benchmark_seconds(f) for f in
                                           Path("/").glob(glob.lstrip("/"))]
        times = [t for t in times if t is not None]
        if times:
            out[rule.name] = times
    return out


def _label(job) -> str:
    wc = dict(getattr(job, "wildcards_dict", {}) or {})
    return job.rule.name + ("[" + ",".join(f"{k}={v}" for k, v in wc.items()) + "]"
                            if wc else "")


def plan(jobs, cores: int) -> Plan:
    """The Plan of a list of Snakemake jobs (objects with rule.name, rule.benchmark, output,
    log, resources, wildcards_dict); jobs without outputs (aggregate targets) left out."""
    jobs = [j for j in jobs if list(j.output)]  # target rules (no output) are no work
    measured = measured_times(jobs)
    out = []
    for job in jobs:
        est, basis = estimate(job, measured)
        logs = [str(x) for x in (job.log or [])]
        out.append(PlannedJob(job.rule.name, _label(job), tuple(str(o) for o in job.output),
                              logs[0] if logs else None, est, basis))
    return Plan(out, max(1, int(cores)))


def _fmt(seconds: float) -> str:
    s = int(round(max(seconds, 0)))
    return f"{s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else \
        f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def describe(p: Plan) -> list[str]:
    """Lines announcing the planned work and its estimated time (before the first job)."""
    by_rule: dict[str, list] = {}
    for j in p.jobs:
        by_rule.setdefault(j.rule, []).append(j)
    total = sum(j.estimate_s for j in p.jobs)
    bench = sum(j.basis == "benchmark" for j in p.jobs)
    longest = max(p.jobs, key=lambda j: j.estimate_s, default=None)
    rules = ", ".join(f"{r} {len(v)}" for r, v in sorted(by_rule.items(),
                                                         key=lambda kv: -len(kv[1])))
    declared = len(p.jobs) - bench
    if bench == 0:
        est = (f"no estimate yet (no timings of earlier runs in this results folder); the "
               f"runtime limits the rules declare for cluster schedulers sum to at most "
               f"{_fmt(total / p.cores)} on {p.cores} core(s), a loose upper bound; the run "
               f"ETA below is measured from the jobs as they finish")
    else:
        est = (f"about {_fmt(total / p.cores)} on {p.cores} core(s) ({bench} job(s) timed "
               f"from earlier runs' benchmarks" + (f", {declared} at the runtime their rule "
                                                   f"declares, an upper bound" if declared
                                                   else "") + ")")
    lines = [f"[shallownc] planned: {len(p.jobs)} jobs ({rules})",
             f"[shallownc] estimated: {est}"]
    if longest is not None and longest.basis == "benchmark" and longest.estimate_s >= 3600:
        lines.append(f"[shallownc] longest job: {longest.label}, {_fmt(longest.estimate_s)} "
                     f"({longest.basis})")
    return lines


def _done(job: PlannedJob, since: float) -> bool:
    """All outputs of the job exist and were written since the run started."""
    try:
        return bool(job.outputs) and all(Path(o).stat().st_mtime >= since - 1
                                          for o in job.outputs)
    except OSError:
        return False


def _running(job: PlannedJob, since: float) -> bool:
    try:
        return job.log is not None and Path(job.log).stat().st_mtime >= since - 1
    except OSError:
        return False


def _tail(log: str | None) -> list[str]:
    if not log:
        return []
    try:
        with open(log, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 8192))
            return fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []


def failed(log: str | None) -> bool:
    """The job's log ends with its failure (shallownc.smk.logged writes "failed after")."""
    return any("failed after" in line for line in _tail(log)[-40:])


def last_progress(log: str | None) -> str | None:
    """The job's latest progress line (one holding "ETA") from its log file, without the
    timestamp and logger name."""
    tail = _tail(log)
    for line in reversed(tail):
        if PROGRESS_MARK in line:
            return line.split(": ", 1)[1].strip() if ": " in line else line.strip()
    return None


def run_eta(p: Plan, done: list, elapsed: float) -> float:
    """Seconds left: the remaining jobs' estimates over the cores, scaled by the measured /
    estimated time of the finished jobs (1 while none has finished)."""
    est_done = sum(j.estimate_s for j in done)
    scale = elapsed * p.cores / est_done if est_done > 0 else 1.0
    left = sum(j.estimate_s for j in p.jobs if j not in done)
    return left * scale / p.cores


def status(p: Plan, now: float | None = None) -> list[str]:
    """The run's progress line and one line per running job with its own progress."""
    now = time.time() if now is None else now
    done = [j for j in p.jobs if _done(j, p.started)]
    elapsed = now - p.started
    lines = [f"[shallownc] {len(done)}/{len(p.jobs)} jobs done, {_fmt(elapsed)} elapsed, "
             f"run ETA {_fmt(run_eta(p, done, elapsed))}"]
    bad = [j for j in p.jobs if j not in done and _running(j, p.started) and failed(j.log)]
    if bad:
        lines[0] += f", {len(bad)} failed ({', '.join(j.label for j in bad[:3])}" + \
            (", ..." if len(bad) > 3 else "") + ")"
    for j in p.jobs:
        if j not in done and j not in bad and _running(j, p.started):
            msg = last_progress(j.log)
            lines.append(f"[shallownc]   {j.label}: {msg or 'running'}")
    return lines


def monitor(p: Plan, every_s: float, stream=None, stop: threading.Event | None = None):
    """Daemon thread printing :func:`status` every ``every_s`` seconds until all jobs are done
    (or ``stop`` is set, or the Snakemake process exits)."""
    stream = stream or sys.stderr
    stop = stop or threading.Event()

    def loop():
        while not stop.wait(every_s):
            lines = status(p)
            print("\n".join(lines), file=stream, flush=True)
            done, total = lines[0].split(" ", 2)[1].split("/")
            failed_n = int(lines[0].split(" failed")[0].rsplit(" ", 1)[1]) if " failed" in \
                lines[0] else 0
            if int(done) + failed_n >= int(total):
                return
    t = threading.Thread(target=loop, name="shallownc-progress", daemon=True)
    t.start()
    return t, stop


def announce(workflow, every_s: float, stream=None):
    """Snakefile ``onstart``: print the plan of the jobs about to run and start the monitor."""
    stream = stream or sys.stderr
    jobs = list(workflow.dag.needrun_jobs())
    cores = getattr(workflow.resource_settings, "cores", 1) or 1
    p = plan(jobs, cores)
    print("\n".join(describe(p)), file=stream, flush=True)
    if every_s > 0 and p.jobs:
        monitor(p, every_s, stream)
    return p
