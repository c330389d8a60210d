# Stage 8b (paper_training.smk): the constants and input functions of its rules.
from shallownc.paper import table as _paper_table
from shallownc.paper import training as _paper_training
from shallownc.class_sizes import dimension

PAPER = config["paper"]
PAPER_TRAIN = result_settings("paper.train")
PAPER_FIG3_D = sorted(
    {dimension(r, PAPER["fig3"]["n"]) for r in PAPER["fig3"]["d_over_n"]}
)
PAPER_FIG6_D1 = _paper_training.fig6_widths(
    PAPER["fig6"],
    10 * (PAPER["fig6"]["n_per_class"] or _paper_training.DIGITS_MIN_CLASS),
)
PAPER_FIGS = list(_paper_table.TRAINING_KEYS)


def paper_fig3_parts(wildcards):
    """The per-d job outputs of Figure 3."""
    return expand(rules.paper_fig3_job.output[0], d=PAPER_FIG3_D)


def paper_fig6_parts(wildcards):
    """The per-d1 job outputs of Figure 6."""
    return expand(rules.paper_fig6_job.output[0], d1=PAPER_FIG6_D1)


def paper_fig45_sigma(wildcards):
    """The sigma of Figure 3's runs that Figure 4 (or 5) shows."""
    return PAPER["fig3"][f"{wildcards.fig}_sigma"]


def paper_fig45_title(wildcards):
    return f"Figure {wildcards.fig[-1]}"


def paper_theorem_settings(wildcards):
    """The paper.theorem6 or paper.theorem78 section."""
    return canonical(PAPER[wildcards.fig])
