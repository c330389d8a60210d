"""Draw one paper LP figure (Figures 1-2) from <results>/paper/figN.nc."""
from shallownc import figures, io
from shallownc.paper import plot_lp as paper_lp
from shallownc.smk import logged

with logged(snakemake) as log:
    ds = io.read_netcdf(snakemake.input[0], required_vars=["p_class1", "certified_sigma_max"])
    fig = paper_lp.fig_paper_lp(ds, snakemake.wildcards.fig)
    figures.save(fig, snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
