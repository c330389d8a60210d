# Stage 8a (paper_lp.smk): the constants and input functions of its rules.
from shallownc.paper import lp as _paper_lp
from shallownc.paper import table as _paper_table

PAPER_LP = {f: config["paper"][f] for f in _paper_table.LP_KEYS if f in config["paper"]}
PAPER_LP_GRIDS = {f: _paper_lp.paper_grids(f, b) for f, b in PAPER_LP.items()}
PAPER_LP_TARGETS = _paper_table.targets(RESULTS, REPORTS, PAPER_LP)


def paper_lp_block(fig):
    if fig not in PAPER_LP:
        raise ValueError(_paper_figures.missing_blocks([fig], config))
    return PAPER_LP[fig]


def paper_lp_missing(wildcards):
    """Input of the fig1/fig2 target when that figure is not configured: a clear error."""
    raise ValueError(_paper_figures.missing_blocks(["fig1", "fig2"], config))


def paper_lp_figure_targets(fig):
    """The NetCDF and the drawing of one figure."""
    paper_lp_block(fig)
    return _paper_table.targets(RESULTS, REPORTS, [fig])


def paper_lp_job_files(wildcards):
    block = paper_lp_block(wildcards.fig)
    return [
        _paper_table.lp_job(RESULTS, wildcards.fig, panel, job)
        for panel, grid in PAPER_LP_GRIDS[wildcards.fig].items()
        for job in grid.jobs(block["trials_per_job"])
    ]


def paper_lp_grid_params(wildcards):
    """The panel's grid without its trial count and (unless nested in d, where every job
    covers every d) its d list: both are in the job name."""
    paper_lp_block(wildcards.fig)
    spec = PAPER_LP_GRIDS[wildcards.fig][wildcards.panel].as_dict()
    drop = ("trials",) if spec["nested_d"] else ("d", "trials")
    return canonical({k: v for k, v in spec.items() if k not in drop})


def paper_lp_classes(wildcards):
    return list(_paper_lp.paper_classes(paper_lp_block(wildcards.fig)))


def paper_lp_settings(wildcards):
    """The paper.fig1 or paper.fig2 block."""
    return canonical(paper_lp_block(wildcards.fig))
