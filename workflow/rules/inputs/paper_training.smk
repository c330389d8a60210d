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
    PAPER["fig6"], _paper_training.fig6_N(PAPER["fig6"])
)
FASHION_PATH = config["data"]["fashion_mnist"]["path"]


def require_fashion_mnist(what):
    """Stop planning with one line when a requested target needs Fashion-MNIST and it is
    not at data.fashion_mnist.path (shallownc.fashion_mnist)."""
    from shallownc import fashion_mnist as _fm

    if not _fm.available(FASHION_PATH):
        raise ValueError(
            f"{what} uses Fashion-MNIST, not found in {FASHION_PATH}: install the Debian "
            f"package {_fm.PACKAGE} or set {_fm.CONFIG_KEY}"
        )


PAPER_FIGS = list(_paper_table.TRAINING_KEYS)


def paper_fig3_parts(wildcards):
    """The per-d job outputs of Figure 3."""
    return expand(rules.paper_fig3_job.output[0], d=PAPER_FIG3_D)


def paper_fig6_parts(wildcards):
    """The per-d1 job outputs of Figure 6."""
    if PAPER["fig6"]["data"] == "fashion_mnist":
        require_fashion_mnist("paper.fig6")
    return expand(rules.paper_fig6_job.output[0], d1=PAPER_FIG6_D1)


def paper_fig45_sigma(wildcards):
    """The sigma of Figure 3's runs that Figure 4 (or 5) shows."""
    return PAPER["fig3"][f"{wildcards.fig}_sigma"]


def paper_fig45_title(wildcards):
    return f"Figure {wildcards.fig[-1]}"


def paper_theorem_settings(wildcards):
    """The paper.theorem6 or paper.theorem78 section."""
    if (
        wildcards.fig == "theorem6"
        and "fashion_mnist" in PAPER["theorem6"]["real_data"]
    ):
        require_fashion_mnist("paper.theorem6.real_data")
    return canonical(PAPER[wildcards.fig])
