"""Helpers shared by the bench scripts: machine description, preset loading, timing."""
from __future__ import annotations

import os
import platform
import resource
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    """One line naming the host: CPU model, usable cores, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}; {len(os.sched_getaffinity(0))} usable cores; "
            f"Python {platform.python_version()}; load avg {os.getloadavg()[0]:.2f}")


def load_preset(path: str | Path, sections=("seed", "solver", "data", "feasibility")) -> dict:
    """The named sections of a preset, validated with the project's schemas (defaults filled).

    Only the sections a bench needs are validated, so a half-written section of another stage
    cannot break a benchmark.
    """
    from shallownc import config as C

    raw = yaml.safe_load(Path(path).read_text()) or {}
    cfg = {k: raw[k] for k in sections if k in raw}
    return C.validate(cfg)


def _cpu() -> float:
    """CPU seconds of this process and of its finished (reaped) child processes."""
    me, ch = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


class Timer:
    """``with Timer() as t: ...`` then ``t.s`` is the wall time and ``t.cpu`` the CPU time
    (this process plus child processes that ended inside the block, e.g. a closed pool).

    On a shared, loaded machine the wall time of a run depends on the other load; its CPU
    time much less. Benchmarks print both.
    """

    def __enter__(self):
        self.t0, self.c0 = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t0
        self.cpu = _cpu() - self.c0
        return False
