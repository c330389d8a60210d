"""Draw one theory-stage figure (which one follows from the rule name) from NetCDF results."""
from shallownc import figures, io
from shallownc.figures import bounds as fb
from shallownc.smk import logged



def as_list(x):
    return [x] if isinstance(x, str) else list(x)


with logged(snakemake) as log:
    if snakemake.rule == "figure_random_features":
        dss = [io.read_netcdf(p, required_vars=["nc_all_status", "feature_rank"])
               for p in as_list(snakemake.input.rf)]
        fig = fb.fig_random_features(dss)
    else:
        pairs = [(io.read_netcdf(f, required_vars=["nc_all_status"],
                                 required_dims=["d", "sigma", "trial"]),
                  io.read_netcdf(c, required_vars=["union_sigma_max", "predicted_d_over_n"]))
                 for f, c in zip(as_list(snakemake.input.feas), as_list(snakemake.input.curves))]
        if snakemake.rule == "figure_bounds_phase":
            fig = fb.fig_phase_bounds(*pairs[0])
        else:
            fig = fb.fig_pure_noise_bounds(pairs)
    figures.save(fig, snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
