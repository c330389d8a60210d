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


# The trained figures and their jobs: Figure 3 one job per (d, sigma) cell or per d
# (paper.fig3.job), Figure 6 one per first-layer width d1 (file stems:
# shallownc.paper.table.part_name); the config keys of the job axes (left out of the jobs'
# params: they only list the jobs, so adding a d, or a sigma with per-cell jobs, trains only
# the new jobs; fig4_sigma/fig5_sigma pick what Figures 4-5 draw) and the memory of one job.
PAPER_TRAINED_FIGS = tuple(_paper_table.TRAINING_PARTS)
PAPER_FIG3_PER_CELL = PAPER["fig3"]["job"] == "cell"
PAPER_TRAIN_CELLS = {
    "fig3": [
        {"d": d, "sigma": float(s)} if PAPER_FIG3_PER_CELL else {"d": d}
        for d in PAPER_FIG3_D
        for s in (PAPER["fig3"]["sigma"] if PAPER_FIG3_PER_CELL else [None])
    ],
    "fig6": [{"d1": w} for w in PAPER_FIG6_D1],
}
PAPER_TRAIN_AXIS = {
    "fig3": ("d_over_n", "fig4_sigma", "fig5_sigma", "job")
    + (("sigma",) if PAPER_FIG3_PER_CELL else ()),
    "fig6": ("d1_over_N",),
}
PAPER_TRAIN_MEM_MB = {"fig3": 4000, "fig6": 8000}


def paper_train_parts(wildcards):
    """The per-job outputs of Figure 3 (per (d, sigma) cell or per d) or Figure 6 (per d1)."""
    fig = wildcards.fig
    if fig == "fig6" and PAPER["fig6"]["data"] == "fashion_mnist":
        require_fashion_mnist("paper.fig6")
    return [
        _paper_table.training_part(RESULTS, fig, _paper_table.part_name(fig, **cell))
        for cell in PAPER_TRAIN_CELLS[fig]
    ]


def paper_train_settings(wildcards):
    """The paper.fig3 / paper.fig6 section without its job axes."""
    axes = PAPER_TRAIN_AXIS[wildcards.fig]
    return canonical({k: v for k, v in PAPER[wildcards.fig].items() if k not in axes})


def paper_train_cell(wildcards):
    """The cell of one job, from its file name: {d, sigma} or {d} (Figure 3), {d1} (Figure 6)."""
    return _paper_table.part_cell(wildcards.fig, wildcards.part)


def paper_train_dims(wildcards):
    """The job axes the jobs of a figure are combined along: (d, sigma) or (d1,)."""
    return list(_paper_table.TRAINING_PARTS[wildcards.fig])


def paper_train_mem_mb(wildcards):
    return PAPER_TRAIN_MEM_MB[wildcards.fig]


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


# The paper's Figure 3 cells at the paper's length (issue 26): committed runs and the paper's
# curves extracted from its PDF (reports/paper_length/README.md); drawn in every run's report.
PAPER_LENGTH_DIR = Path(workflow.basedir) / "reports" / "runs" / "fig3_paper_length"
PAPER_LENGTH_CELLS = sorted(str(p) for p in PAPER_LENGTH_DIR.glob("cells/*.nc"))
PAPER_LENGTH_PAPER_CSV = str(PAPER_LENGTH_DIR / "paper_figures.csv")
