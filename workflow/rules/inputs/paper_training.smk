# Stage 8b (paper_training.smk): the constants and input functions of its rules.
from shallownc import paper_figures as _paper_figures
from shallownc import paper_training as _paper_training
from shallownc.class_sizes import dimension

PAPER = config["paper"]
PAPER_TRAIN = result_settings("paper.train")
PAPER_FIG3_D = sorted(
    {dimension(r, PAPER["fig3"]["n"]) for r in PAPER["fig3"]["d_over_n"]}
)
PAPER_FIG6_D1 = _paper_training.fig6_widths(PAPER["fig6"], _paper_training.fig6_N(PAPER["fig6"]))
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
PAPER_FIGS = ["fig3", "fig4", "fig5", "fig6", "theorem6", "theorem78"]


# the two training figures: the wildcard of their jobs, its values, the combine dim, memory
PAPER_JOBS = {
    "fig3": {"job": [f"d{d}" for d in PAPER_FIG3_D], "dim": "d", "mem_mb": 4000},
    "fig6": {"job": [f"d1_{d1}" for d1 in PAPER_FIG6_D1], "dim": "d1", "mem_mb": 8000},
}


def paper_parts(wildcards):
    """The per-job outputs of Figure 3 (one per d) or Figure 6 (one per d1)."""
    if wildcards.figure == "fig6" and PAPER["fig6"]["data"] == "fashion_mnist":
        require_fashion_mnist("paper.fig6")
    return expand(
        rules.paper_train_job.output[0],
        figure=wildcards.figure,
        job=PAPER_JOBS[wildcards.figure]["job"],
    )


def paper_job_figure(wildcards):
    """The figure's config block without the list its jobs are cut along."""
    cut = {"fig3": "d_over_n", "fig6": "d1_over_N"}[wildcards.figure]
    return canonical({k: v for k, v in PAPER[wildcards.figure].items() if k != cut})


def paper_job_dim(wildcards):
    return PAPER_JOBS[wildcards.figure]["dim"]


def paper_job_mem_mb(wildcards):
    return PAPER_JOBS[wildcards.figure]["mem_mb"]


def paper_fig45_sigma(wildcards):
    """The sigma of Figure 3's runs that Figure 4 (or 5) shows."""
    return PAPER["fig3"][f"{wildcards.fig}_sigma"]


def paper_fig45_title(wildcards):
    return f"Figure {wildcards.fig[-1]}"


def paper_theorem_settings(wildcards):
    """The paper.theorem6 or paper.theorem78 section."""
    if wildcards.fig == "theorem6" and "fashion_mnist" in PAPER["theorem6"]["real_data"]:
        require_fashion_mnist("paper.theorem6.real_data")
    return canonical(PAPER[wildcards.fig])
