"""The paper's figures and theorems, and where the pipeline reproduces each one.

One table, read by the CLI (``shallownc figures``), the README's map and the report's landing
page, and meant for the rule files as well (targets and output paths), so a target name or an
output path is written in exactly one place. Settings follow the paper's Section 3 as digested
in docs/science.md (§ "Experiments"); the aggregate target ``paper`` builds all six figures
and the theorem panels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAPER = ("Hong & Ling, Beyond Unconstrained Features: Neural Collapse for Shallow Neural "
         "Networks with General Data, JMLR 2026 (arXiv 2409.01832)")
AGGREGATE_TARGET = "paper"


# Every path of the paper's results, figures, logs and benchmarks, read by the rule files
# (workflow/rules/paper_lp.smk, paper_training.smk): the defaults are Snakemake wildcards.
DIR = "paper"


def result(results_dir: str, key: str = "{fig}") -> str:
    """The NetCDF file of one figure or theorem: ``<results_dir>/paper/<key>.nc``."""
    return f"{results_dir}/{DIR}/{key}.nc"


def figure(report_dir: str, key: str = "{fig}") -> str:
    """Its drawing: ``<report_dir>/figures/paper/<key>.png``."""
    return f"{report_dir}/figures/{DIR}/{key}.png"


def table_csv(results_dir: str, key: str) -> str:
    """A CSV table of the paper's results: ``<results_dir>/paper/<key>.csv``."""
    return f"{results_dir}/{DIR}/{key}.csv"


#: the committed paper-length Figure 3 cells drawn beside the paper (issue 26; figure() and
#: table_csv() of this key; shallownc.paper.paper_length)
PAPER_LENGTH_KEY = "fig3_paper_length"


def lp_job(results_dir: str, fig: str = "{fig}", panel: str = "{panel}",
           job: str = "{job}") -> str:
    """One job of Figures 1-2 (a panel's d and block of trials)."""
    return f"{results_dir}/{DIR}/jobs/{fig}/{panel}/{job}.nc"


# The per-job files of the trained figures. Figure 3: one job per (d, sigma) cell, all trials
# of the cell batched (file d<d>_s<sigma>.nc, sigma written as Python's shortest round-trip
# repr, e.g. d900_s0.18; paper.fig3.job: cell, the default), or one job per d with every sigma
# (file d<d>.nc; job: d). Figure 6: one job per first-layer width d1 (file d1_<d1>.nc).
TRAINING_PARTS = {"fig3": ("d", "sigma"), "fig6": ("d1",)}   # key: the job axes, outer first
#: the file stems of each figure's jobs (the rule's wildcard constraint)
PART_PATTERN = {"fig3": r"d[0-9]+(?:_s[0-9][0-9.e+-]*)?", "fig6": r"d1_[0-9]+"}
_PART_RE = {"fig3": re.compile(r"d(?P<d>[0-9]+)(?:_s(?P<sigma>[0-9][0-9.e+-]*))?"),
            "fig6": re.compile(r"d1_(?P<d1>[0-9]+)")}
_PART_TEXT = {"fig3": "d<d>_s<sigma> or d<d>", "fig6": "d1_<d1>"}


def training_part(results_dir: str, fig: str = "{fig}", part: str = "{part}") -> str:
    """The runs of one Figure 3 cell (part ``d<d>_s<sigma>``) or d (``d<d>``), or of Figure 6
    at one d1 (``d1_<d1>``)."""
    return f"{results_dir}/{DIR}/{fig}/{part}.nc"


def _check_fig(fig: str) -> None:
    if fig not in TRAINING_PARTS:
        raise ValueError(f"{fig!r} has no training jobs; known: {sorted(TRAINING_PARTS)}")


def part_name(fig: str, **cell) -> str:
    """The file stem of ``fig``'s job at ``cell``, its leading TRAINING_PARTS axes (a job
    without sigma trains every sigma): ``part_name("fig3", d=900, sigma=0.18)`` =
    ``d900_s0.18``, ``part_name("fig3", d=900)`` = ``d900``, ``part_name("fig6", d1=2500)``
    = ``d1_2500``."""
    _check_fig(fig)
    axes = TRAINING_PARTS[fig]
    if tuple(cell) not in {axes[:i] for i in range(1, len(axes) + 1)}:
        raise ValueError(f"a {fig} job is named by {axes} (leading axes, in order), got "
                         f"{tuple(cell)}")
    if fig == "fig6":
        return f"d1_{int(cell['d1'])}"
    return f"d{int(cell['d'])}" + (f"_s{float(cell['sigma'])!r}" if "sigma" in cell else "")


def part_cell(fig: str, part: str) -> dict:
    """The cell of a job's file stem (inverse of part_name): ``{"d": 900, "sigma": 0.18}``,
    ``{"d": 900}`` or ``{"d1": 2500}``; a ValueError naming the stem when it is not one."""
    _check_fig(fig)
    m = _PART_RE[fig].fullmatch(part)
    try:
        cell = {k: float(v) if k == "sigma" else int(v) for k, v in m.groupdict().items()
                if v is not None}
    except (AttributeError, ValueError):
        cell = None
    if cell is None or part_name(fig, **cell) != part:
        raise ValueError(f"{fig} job file {part!r} is not {_PART_TEXT[fig]}")
    return cell


def log(name: str) -> str:
    """A log or benchmark file name of a paper job, relative to the run's log folder."""
    return f"{DIR}/{name}"


def targets(results_dir: str, report_dir: str, keys) -> list[str]:
    """The NetCDF file and the drawing of each of ``keys``."""
    return [p for k in keys for p in (result(results_dir, k), figure(report_dir, k))]


@dataclass(frozen=True)
class PaperItem:
    """One figure or theorem of the paper and the pipeline target that reproduces it."""

    key: str          # "fig1" ... "fig6", or "thm6", ...
    paper: str        # what it is in the paper
    shows: str        # what the paper's panel shows, at which settings
    target: str       # Snakemake target (rule name) building it
    theorems: str     # theorems / equations it checks

    def output(self, results_dir: str = "<results_dir>") -> str:
        """NetCDF file written by the target: ``<results_dir>/paper/<key>.nc``."""
        return result(results_dir, self.key)

    def figure(self, report_dir: str = "<report_dir>") -> str:
        """Figure drawn from it: ``<report_dir>/figures/paper/<key>.png``."""
        return figure(report_dir, self.key)


FIGURES: tuple[PaperItem, ...] = (
    PaperItem("fig1", "Figure 1",
              "class-1 LP success rate over (d, sigma), K=2, n=300, angle 180/90/30/0 deg, "
              "31 x 51 cells, 10 trials; with the Theorem 4 and 5(b) curves",
              "fig1", "Theorems 3, 4, 5(b); LP (3.1)"),
    PaperItem("fig2", "Figure 2",
              "class-1 LP success rate over (d, sigma), K=4, n=250, mu_k = e_k, 31 x 51 cells, "
              "10 trials; with the Theorem 5(a) and 5(b) curves",
              "fig2", "Theorems 3, 5(a), 5(b)"),
    PaperItem("fig3", "Figure 3",
              "final NC1 vs d/n of trained two-layer nets, one line per sigma (CE + activation "
              "regularization, SGD, lambda_W=1e-3, lambda_H=1e-6, n=300)",
              "fig3", "Theorem 1-3 (global minimizer collapsed iff the class LPs are feasible)"),
    PaperItem("fig4", "Figure 4",
              "NC1, NC2_H, NC2_W, NC3 vs epoch at sigma=0.18, one line per d",
              "fig4", "metrics (3.2)-(3.3)"),
    PaperItem("fig5", "Figure 5",
              "NC1, NC2_H, NC2_W, NC3 vs epoch at sigma=1.42, one line per d",
              "fig5", "metrics (3.2)-(3.3)"),
    PaperItem("fig6", "Figure 6",
              "three-layer net, first layer frozen Gaussian, real K=10 data (Fashion-MNIST "
              "as in the paper in the presets, N = 5000; digits by default), d1 in "
              "{N/2, N, 2N, 4N}: NC metrics vs epoch",
              "fig6", "Theorem 6"),
)


THEOREMS: tuple[PaperItem, ...] = (
    PaperItem("theorem6", "Theorem 6",
              "width threshold ||X||^4 / lambda_min(H_inf)^2 N log N of a random first layer "
              "against the observed full-rank and NC transitions (corrected kernel centring)",
              "theorem6", "Theorem 6, arc-cosine kernel H_inf (erratum in reports/paper.md)"),
    PaperItem("theorem78", "Theorems 7-8",
              "the generalization bound (2.28) beside our exact best-NC test error, K=2 "
              "antipodal, up to d >= 2 n log n",
              "theorem78", "Theorems 7-8, (2.28)"),
)
ITEMS: tuple[PaperItem, ...] = FIGURES + THEOREMS
# Which rule file builds which items (the targets the rule files declare come from here):
# Figures 1-2 are verified class LPs (paper_lp.smk), the rest trained networks and theorem
# panels (paper_training.smk).
LP_KEYS: tuple[str, ...] = ("fig1", "fig2")
TRAINING_KEYS: tuple[str, ...] = tuple(i.key for i in ITEMS if i.key not in LP_KEYS)


def by_key(key: str) -> PaperItem:
    """The table entry of ``key`` ("fig1", "theorem6" ...), or a ValueError naming the keys."""
    for item in ITEMS:
        if item.key == key:
            return item
    raise ValueError(f"unknown paper item {key!r}; known: {[f.key for f in ITEMS]}")


def report_labels(key: str) -> dict[str, str]:
    """Labels of the report entry of one paper item (its name and what it shows)."""
    item = by_key(key)
    return {"paper": item.paper, "shows": item.shows, "target": item.target}


# The configs that build the paper's figures (the default config.yaml builds none of them).
PRESETS = (("presets/paper-cpu.yaml", "2 CPU cores, reduced training length"),
           ("presets/paper.yaml", "the paper's training lengths, a GPU"))
LP_FIGURES = ("fig1", "fig2")  # need the config blocks paper.fig1 / paper.fig2


def command(target: str, configfile: str | None) -> str:
    """The line that builds ``target`` with ``configfile`` (copyable as printed)."""
    return f"shallownc run {target}" + (f" --configfile {configfile}" if configfile else "")


def missing_blocks(targets, config: dict, config_name: str = "config.yaml") -> str | None:
    """One line when a target needs a paper block the config lacks (``fig1``/``fig2``
    without ``paper.fig1``/``paper.fig2``, or ``paper`` without either: it would leave
    Figures 1-2 out without a word), naming the presets that have them; None otherwise."""
    have = config.get("paper") or {}
    need = sorted({k for t in targets for k in
                   (LP_FIGURES if t == AGGREGATE_TARGET else (t,) if t in LP_FIGURES else ())
                   if k not in have})
    if not need:
        return None
    asked = " ".join(t for t in targets if t in LP_FIGURES or t == AGGREGATE_TARGET)
    presets = " or ".join(f"{command(asked, p)} ({why})" for p, why in PRESETS)
    return (f"{asked} needs {', '.join('paper.' + k for k in need)}, which {config_name} does "
            f"not configure (the default config.yaml builds none of the paper's figures): "
            f"{presets}")


def report_labels_of(wildcards) -> dict[str, str]:
    """:func:`report_labels` of the rule's ``fig`` wildcard (a Snakemake ``labels`` function)."""
    return report_labels(wildcards.fig)
