"""Draw one UPFM figure (which one follows from the rule name) from NetCDF results."""
from shallownc import figures, io
from shallownc.figures import upfm as fu
from shallownc.smk import logged

with logged(snakemake) as log:
    if snakemake.rule == "figure_upfm_gram":
        ds = io.read_netcdf(snakemake.input[0], required_vars=["gram", "nc2_of", "nc2_etf"])
        fig = fu.fig_gram(ds)
    elif snakemake.rule == "figure_upfm_sweep":
        ds = io.read_netcdf(snakemake.input[0],
                            required_vars=["closed_value", "best_value", "cert_lb_closed",
                                           "feature_norm", "feature_norm_closed", "gap_best"])
        fig = fu.fig_sweep(ds)
    else:
        ds = io.read_netcdf(snakemake.input[0],
                            required_vars=["constructed_gap", "trained_gap", "nc_all_status"])
        fig = fu.fig_bridge(ds)
    figures.save(fig, snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
