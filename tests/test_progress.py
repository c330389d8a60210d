"""shallownc.progress: the plan and its estimate before a run, then the run's and each
running job's progress, from fake Snakemake jobs and real files (no Snakemake run)."""
import io as _io
import os
import time
from types import SimpleNamespace as NS

import pytest

from shallownc import progress as P


def _job(tmp, rule, wc, runtime, bench_pattern=None):
    out = tmp / f"{rule}_{wc}.nc"
    return NS(rule=NS(name=rule, benchmark=bench_pattern), wildcards_dict={"d": wc},
              output=[str(out)], log=[str(tmp / f"{rule}_{wc}.log")],
              resources={"runtime": runtime})


def test_estimates_from_earlier_benchmarks_else_declared_runtime(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bench = tmp_path / "bench" / "solve"
    bench.mkdir(parents=True)
    for i, s in enumerate((10.0, 30.0, 20.0)):
        (bench / f"d{i}.tsv").write_text("s\th:m:s\tmax_rss\n%.1f\t0:00:10\t1\n" % s)
    (bench / "bad.tsv").write_text("garbage")
    jobs = [_job(tmp_path, "solve", w, 60, "bench/solve/d{d}.tsv") for w in (3, 4)] + \
        [_job(tmp_path, "train", 5, 2), NS(rule=NS(name="all"), output=[])]
    p = P.plan(jobs, cores=2)                                        # "all": no work
    assert [(j.estimate_s, j.basis) for j in p.jobs] == [(20.0, "benchmark"),
                                                         (20.0, "benchmark"),
                                                         (120.0, "declared")]
    text = "\n".join(P.describe(p))
    assert "planned: 3 jobs (solve 2, train 1)" in text
    assert "estimated: about 1 min 20 s on 2 core(s)" in text         # (20 + 20 + 120) / 2
    assert "2 job(s) timed from earlier runs' benchmarks, 1 at the runtime" in text
    first = "\n".join(P.describe(P.plan(jobs[2:3], cores=1)))        # no earlier timings
    assert "estimated: no estimate yet (no timings of earlier runs" in first
    assert "sum to at most 2 min 00 s on 1 core(s), a loose upper bound" in first


def test_status_counts_done_jobs_scales_the_eta_and_shows_job_progress(tmp_path):
    jobs = [_job(tmp_path, "solve", w, 1) for w in (1, 2, 3)]        # 60 s estimated each
    p = P.plan(jobs, cores=1)
    p.started = time.time() - 30
    assert P.run_eta(p, [], 30.0) == 180.0                           # nothing done: estimates
    (tmp_path / "solve_1.nc").write_text("x")                        # job 1 done in 30 s
    log = tmp_path / "solve_2.log"                                   # job 2 running
    log.write_text("2026-01-01 INFO shallownc: rule solve started\n"
                   "2026-01-01 INFO shallownc.sweep: k2 d2: 5/10 cells, 3.0 s elapsed, "
                   "ETA 3.0 s\n")
    old = tmp_path / "solve_3.nc"                                    # an output of an older run
    old.write_text("x")
    os.utime(old, (p.started - 100, p.started - 100))
    lines = P.status(p, now=p.started + 30)
    assert lines[0].startswith("[shallownc] 1/3 jobs done, 30 s elapsed, run ETA 1 min 00 s")
    assert lines[1:] == ["[shallownc]   solve[d=2]: k2 d2: 5/10 cells, 3.0 s elapsed, ETA 3.0 s"]
    assert P.last_progress(str(tmp_path / "none.log")) is None
    (tmp_path / "solve_3.log").write_text("x INFO shallownc: started\n"
                                          "x ERROR shallownc: failed after 1.00 s\n")
    lines = P.status(p, now=p.started + 30)
    assert lines[0].endswith(", 1 failed (solve[d=3])") and len(lines) == 2


def test_monitor_prints_until_every_job_is_done(tmp_path):
    jobs = [_job(tmp_path, "solve", 1, 1)]
    p = P.plan(jobs, cores=1)
    buf = _io.StringIO()
    t, stop = P.monitor(p, 0.05, buf)
    time.sleep(0.12)
    (tmp_path / "solve_1.nc").write_text("x")
    t.join(timeout=2)
    assert not t.is_alive()
    out = buf.getvalue().splitlines()
    assert out[0].startswith("[shallownc] 0/1 jobs done") and "1/1 jobs done" in out[-1]


@pytest.mark.parametrize("s,want", [(5, "5 s"), (75, "1 min 15 s"), (7260, "2 h 01 min")])
def test_durations_read_as_a_person_writes_them(s, want):
    assert P._fmt(s) == want
