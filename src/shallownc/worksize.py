"""The size of the work a config asks for: Snakemake jobs, class LPs, training steps.

Stated by ``shallownc validate`` and checked before Snakemake plans anything (issue 24): a grid
of 50,000 jobs took 81 s and 1.1 GB just to dry-run, so a config above the limits of its
``work_limits`` section is refused with one line naming the count and the key to raise.

What is counted (from the validated config, without Snakemake):

* jobs: the per-cell jobs, the ones whose number grows with a grid: feasibility (one per d and
  block of ``trials_per_job`` trials), the paper's Figures 1-2 (one per panel, d and trial
  block), training's theory experiment (one per d/n), the verdict study (one per d/n and per
  variant), generalization (one theory job per d, one trained job per trained d) and the
  paper's Figures 3 and 6 (one per (d, sigma) cell or per d: ``paper.fig3.job``; one per
  d1), the imbalance stage's phase panels (one per panel). The fixed steps of each stage
  (combine, plot, report; about 60) are not counted.
* LPs: class LPs of the feasibility grids, Figures 1-2 (both in ``rule all`` when configured)
  and the imbalance stage's phase panels (|x| x |sigma| x trials x classes; an upper bound:
  shortcuts and the bisection over d solve fewer) and the LP status of every training/verdict
  data set (K per data set); and the size d x N of the largest grid LP's data (n = 10^5 per
  class made single LPs of 4 10^10 entries).
* training steps: optimizer steps summed over every trained network: epochs x
  ceil(N / batch size) (1 per epoch for full batch) for training's four experiments, the
  verdict study and its variants, and the paper's Figures 3 and 6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .class_sizes import dimension

LIMIT_KEYS = {"jobs": "max_jobs", "lps": "max_lps", "lp_entries": "max_lp_entries",
              "train_steps": "max_train_steps"}


LABELS = {"jobs": "per-cell jobs", "lps": "class LPs", "lp_entries": "data entries in one LP",
          "train_steps": "training steps"}


@dataclass(frozen=True)
class WorkSize:
    jobs: int
    lps: int
    lp_entries: int
    train_steps: int

    def line(self) -> str:
        return (f"{self.jobs:,} per-cell jobs, {self.lps:,} class LPs (at most; the largest "
                f"with {self.lp_entries:,} data entries d x N), {self.train_steps:,} training "
                "steps (summed over networks)")


def _steps(runs: int, epochs: int, N: int, batch_size: int | None) -> int:
    """Optimizer steps of ``runs`` networks: epochs x ceil(N / batch) (full batch: 1)."""
    per_epoch = math.ceil(N / batch_size) if batch_size and batch_size < N else 1
    return int(runs) * int(epochs) * per_epoch


def _feasibility(config: dict) -> tuple[int, int, int]:
    from . import phase
    from .paper import lp as paper_lp

    jobs = lps = entries = 0
    per_job = config["feasibility"]["trials_per_job"]
    for g in phase.grids_from_config(config).values():
        jobs += len(g.jobs(per_job))
        lps += len(g.d) * len(g.sigma) * g.trials * g.K
        entries = max(entries, max(g.d) * g.K * g.n)
    for fig in ("fig1", "fig2"):
        block = config["paper"].get(fig)
        if not block:
            continue
        classes = 1 if block["classes"] == "first" else block["K"]
        for g in paper_lp.paper_grids(fig, block).values():
            jobs += len(g.jobs(block["trials_per_job"]))
            lps += len(g.d) * len(g.sigma) * g.trials * classes
            entries = max(entries, max(g.d) * g.K * g.n)
    return jobs, lps, entries


def _imbalance(config: dict) -> tuple[int, int, int]:
    """Jobs (one per panel), class LPs and the largest LP (d x N) of the imbalance panels."""
    from .class_sizes import ClassSizes

    jobs = lps = entries = 0
    for p in config["imbalance"]["phase"]["panels"].values():
        ratios = p["x_values"] if p["x"] == "ratio" else [p["ratio"]]
        dns = p["x_values"] if p["x"] == "d_over_n" else [p["d_over_n"]]
        K = p["k_A"] + p["k_B"]
        jobs += 1
        lps += len(p["x_values"]) * len(p["sigmas"]) * p["trials"] * K
        for r in ratios:
            N = ClassSizes.two_group(p["k_A"], p["n_A"], p["k_B"], ratio=r).N
            entries = max(entries, max(dimension(x, p["n_A"]) for x in dns) * N)
    return jobs, lps, entries


def _training(config: dict) -> tuple[int, int, int]:
    tr = config["training"]
    jobs, lps, steps = 0, 0, 0
    for name in ("dynamics", "theory"):
        e = tr[name]
        K, n = e["data"]["K"], e["data"]["n"]
        runs = len(e["d_over_n"]) * len(e["sigma"]) * e["trials"]
        steps += _steps(runs, e["train"]["epochs"], K * n, e["train"]["batch_size"])
        lps += runs * K
    jobs += len(tr["theory"]["d_over_n"]) + 3      # theory per d/n; the other three: one each
    e = tr["three_layer"]
    N = e["data"]["K"] * e["data"]["n"]
    steps += _steps(len(e["first_width"]) * e["seeds"], e["train"]["epochs"], N,
                    e["train"]["batch_size"])
    e = tr["regularization"]
    N = e["data"]["K"] * e["data"]["n"]
    steps += _steps(len(e["variants"]) * e["seeds"], e["train"]["epochs"], N,
                    e["train"]["batch_size"])
    return jobs, lps, steps


def _verdict(config: dict) -> tuple[int, int, int]:
    st = config["verdict"]["study"]
    K, N = st["data"]["K"], st["data"]["K"] * st["data"]["n"]
    runs = len(st["d_over_n"]) * len(st["sigma"]) * st["trials"]
    steps = _steps(runs, st["train"]["epochs"], N, st["train"]["batch_size"])
    cells = len(st["variants"]["d_over_n"]) * len(st["variants"]["sigma"]) * st["trials"]
    for v in st["variants"]["list"]:
        t = {**st["train"], **v}
        steps += _steps(cells, t["epochs"], N, t["batch_size"])
    jobs = len(st["d_over_n"]) + len(st["variants"]["list"])
    return jobs, (runs + cells) * K, steps


def _generalization(config: dict) -> int:
    from . import generalization as G

    return sum(len(G.job_d_values(e, "theory")) + len(G.job_d_values(e, "trained"))
               for e in config["generalization"]["experiments"].values())


def _paper_training(config: dict) -> tuple[int, int]:
    from .paper import training as PT

    p = config["paper"]
    f3, f6 = p["fig3"], p["fig6"]
    d3 = {dimension(r, f3["n"]) for r in f3["d_over_n"]}
    N3 = 2 * f3["n"]
    steps = _steps(len(d3) * len(f3["sigma"]) * f3["trials"], f3["epochs"], N3,
                   f3["batch_size"])
    N6 = PT.fig6_N(f6)
    d1 = PT.fig6_widths(f6, N6)
    steps += _steps(len(d1) * f6["trials"], f6["epochs"], N6, f6["batch_size"])
    jobs3 = len(d3) * (len(f3["sigma"]) if f3["job"] == "cell" else 1)
    return jobs3 + len(d1), steps


def estimate(config: dict) -> dict[str, WorkSize]:
    """The work of a validated config (module docstring: what is counted), for the default
    target (``rule all``: everything but the paper's training figures, Figures 1-2 included
    where configured; the verdict stage when verdict.enabled) and for the paper's training
    targets (fig3 ... fig6; their class LPs on trained features are not counted)."""
    fj, flp, fe = _feasibility(config)
    ij, ilp, ie = _imbalance(config)
    tj, tlp, ts = _training(config)
    vj, vlp, vs = _verdict(config) if config["verdict"]["enabled"] else (0, 0, 0)
    pj, ps = _paper_training(config)
    return {"default target": WorkSize(jobs=fj + tj + vj + ij + _generalization(config),
                                       lps=flp + tlp + vlp + ilp, lp_entries=max(fe, ie),
                                       train_steps=ts + vs),
            "paper training targets (fig3-fig6)": WorkSize(jobs=pj, lps=0, lp_entries=0,
                                                           train_steps=ps)}


def over_limits(sizes: dict[str, WorkSize], limits: dict) -> list[str]:
    """One line per count above its ``work_limits`` bound, naming the key to raise."""
    out = []
    for target, size in sizes.items():
        for field, key in LIMIT_KEYS.items():
            n = getattr(size, field)
            if n > limits[key]:
                out.append(f"the {target} asks for {n:,} {LABELS[field]} > "
                           f"'work_limits.{key}' = {limits[key]:,}; shrink the grids, or "
                           f"raise work_limits.{key} if you mean it")
    return out
