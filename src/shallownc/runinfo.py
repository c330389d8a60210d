"""What was run: the report's run summary and CSV tables rendered as HTML.

:func:`run_summary_html` describes a finished run for the report's landing page: the config
file(s), every result file with its dimensions (the sizes of the run), the wall time (from the
``benchmark:`` files the jobs wrote during this run, and the span from the first result to the
summary), the package versions and git commit recorded in the results, and the paper figures
(shallownc.paper.table) with whether this run built them. :func:`csv_table_html` renders a
CSV table (e.g. results/bounds/summary.csv) as a self-contained HTML page the report displays.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from pathlib import Path
from typing import Iterable

import pandas as pd

from . import io
from .paper import table as paper_table

STYLE = ("<style>body{font-family:sans-serif;margin:1em;max-width:70em}"
         "table{border-collapse:collapse;font-size:14px}"
         "td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top}"
         "table.numbers td{text-align:right}th{background:#eee}"
         "caption{text-align:left;font-weight:bold;margin:.4em 0}</style>")
WIDE = 8  # a table with more columns than this (and few rows) is shown transposed


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title>{STYLE}</head><body><h2>{html.escape(title)}</h2>{body}</body></html>")


def csv_table_html(path: str | Path, title: str, note: str = "") -> str:
    """A CSV file as an HTML page (numbers to 4 significant digits), for the report."""
    path = Path(path)
    if not path.exists():
        raise io.InputError(f"table not found: {path}")
    df = pd.read_csv(path)
    transpose = df.shape[1] > WIDE and df.shape[0] <= WIDE
    if transpose:  # one column per row of the CSV: long metric names read down the page
        df = df.set_index(df.columns[0]).T.rename_axis("column").reset_index()
        note = (note + " " if note else "") + "Shown transposed: one column per CSV row."
    table = df.to_html(index=False, na_rep="–", border=0, classes="numbers",
                       float_format=lambda v: f"{v:.4g}")
    body = (f"<p>{html.escape(note)}</p>" if note else "") + table
    return _page(title, body + f"<p>source: <code>{html.escape(str(path))}</code></p>")


def _result_rows(paths: Iterable[str | Path]) -> tuple[list[str], dict]:
    """Table rows (file, dims, created) and the provenance of the newest result."""
    rows, newest = [], {}
    for p in sorted(map(str, paths)):
        ds = io.read_netcdf(p)
        dims = ", ".join(f"{d}={n}" for d, n in ds.sizes.items())
        created = ds.attrs.get("created_utc", "")
        rows.append(f"<tr><td><code>{html.escape(p)}</code></td><td>{html.escape(dims)}</td>"
                    f"<td>{html.escape(created)}</td></tr>")
        if created >= newest.get("created_utc", ""):
            newest = dict(ds.attrs)
    return rows, newest


def _wall_time(benchmarks: Iterable[str | Path], since: float) -> tuple[float, int]:
    """Sum of the job wall times (column ``s``) of benchmark files written since ``since``."""
    total, n = 0.0, 0
    for b in benchmarks:
        b = Path(b)
        if b.stat().st_mtime + 1 < since:
            continue
        df = pd.read_csv(b, sep="\t")
        if "s" in df:
            total += float(df["s"].sum())
            n += 1
    return total, n


def _wall_line(job_s: float, n_bench: int, since: float, started: float | None, now: float,
               bench_dir: str) -> str:
    """The report's wall-time sentence (:func:`run_summary_html`)."""
    jobs = (f"{job_s / 60:.1f} min summed over the {n_bench} job(s) of this run with a "
            f"benchmark file (<code>{html.escape(bench_dir)}</code>)")
    if started is None:
        return f"<b>Wall time:</b> {jobs}, written since the oldest result."
    return (f"<b>Wall time of this run:</b> {(now - started) / 60:.1f} min from its start to "
            f"this summary; {jobs}.")


def _paper_rows(outputs: set[str], results_dir: str) -> list[str]:
    rows = []
    for f in paper_table.ITEMS:
        out = f.output(results_dir)
        built = "built" if out in outputs else "not in this run"
        rows.append(f"<tr><td>{f.paper}</td><td>{html.escape(f.shows)}</td>"
                    f"<td><code>{f.target}</code></td><td><code>{out}</code></td>"
                    f"<td>{built}</td></tr>")
    return rows


CONFIGFILES_ENV = "SHALLOWNC_CONFIGFILES"
# Start of the Snakemake invocation (time.time(), set by common.smk, inherited by its jobs).
RUN_STARTED_ENV = "SHALLOWNC_RUN_STARTED"


def run_started_from_env() -> float | None:
    """When this Snakemake invocation started (common.smk sets it), None outside one."""
    import os

    raw = os.environ.get(RUN_STARTED_ENV, "")
    return float(raw) if raw else None


def configfiles_from_env() -> list[str]:
    """The run's config files as common.smk exported them (JSON list in $SHALLOWNC_CONFIGFILES).

    Informational only (the landing page names them); an absent variable gives []."""
    import json
    import os

    raw = os.environ.get(CONFIGFILES_ENV, "")
    return list(json.loads(raw)) if raw else []


def run_summary_html(results: Iterable[str | Path], configfiles: list[str], config: dict,
                     benchmarks: Iterable[str | Path] = (), started: float | None = None
                     ) -> str:
    """The run summary page (module docstring).

    ``benchmarks``: the benchmark files of this results folder (<results_dir>/benchmarks);
    ``started``: when this Snakemake invocation started (:func:`run_started_from_env`). The
    wall time is that of this run: the time since it started, and the job times of the
    benchmark files written since then (jobs of earlier runs, or of another results folder,
    are not counted). Without ``started``, the oldest result's time stands in for it.
    """
    results = [str(p) for p in results]
    rows, prov = _result_rows(results)
    mtimes = [Path(p).stat().st_mtime for p in results]
    first, last = min(mtimes, default=0.0), max(mtimes, default=0.0)
    now = _dt.datetime.now(_dt.timezone.utc)
    since = first if started is None else float(started)
    job_s, n_bench = _wall_time(benchmarks, since)
    stamp = (lambda t: _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
             .isoformat(timespec="seconds"))
    versions = json.loads(prov.get("package_versions_json", "{}"))
    ver = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
    cfg = ", ".join(f"<code>{html.escape(c)}</code>" for c in configfiles) or "config.yaml"
    bench_dir = f"{config.get('results_dir')}/benchmarks/"
    head = (f"<p><b>Config:</b> {cfg} (seed {config.get('seed')}; results in "
            f"<code>{html.escape(str(config.get('results_dir')))}</code>)<br>"
            + _wall_line(job_s, n_bench, since, started, now.timestamp(), bench_dir)
            + f" The results were written between {stamp(first)} and {stamp(last)} (a re-run "
            f"only re-makes what changed).<br>"
            f"<b>Code:</b> git {html.escape(prov.get('git_commit', 'unknown'))}<br>"
            f"<b>Versions:</b> {html.escape(ver)}<br><b>Summary written:</b> "
            f"{now.isoformat(timespec='seconds')}</p>")
    paper = ("<table><caption>Paper figures (targets: <code>shallownc figures</code>)</caption>"
             "<tr><th>paper</th><th>shows</th><th>target</th><th>output</th><th>here</th></tr>"
             + "".join(_paper_rows(set(results), str(config.get("results_dir")))) +
             "</table>")
    res = ("<table><caption>Results of this run (sizes = NetCDF dimensions)</caption>"
           "<tr><th>file</th><th>dimensions</th><th>created (UTC)</th></tr>" + "".join(rows)
           + "</table>")
    return _page("What was run", head + paper + "<br>" + res)
