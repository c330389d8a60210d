"""Draw one feasibility figure (which one follows from the rule name) from NetCDF results."""
from shallownc import figures, io
from shallownc.figures import feasibility as ff
from shallownc.smk import logged

DRAW = {
    "figure_phase_diagram": lambda dss: ff.fig_phase_diagram(dss[0]),
    "figure_separability": ff.fig_separability,
    "figure_pure_noise": ff.fig_pure_noise,
    "figure_real_data": lambda dss: ff.fig_real_data(dss[0]),
}

with logged(snakemake) as log:
    dss = [io.read_netcdf(p, required_vars=["nc_status", "nc_all_status", "sep_all_status"],
                          required_dims=["d", "sigma", "trial", "class"])
           for p in snakemake.input]
    fig = DRAW[snakemake.rule](dss)
    figures.save(fig, snakemake.output[0])
    log.info("wrote %s from %d file(s)", snakemake.output[0], len(dss))
