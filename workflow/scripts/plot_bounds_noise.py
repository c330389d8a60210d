"""Pure-noise sweeps with the theory curves (figures.bounds.fig_pure_noise_bounds)."""
from shallownc import figures, io
from shallownc.figures import bounds as fb
from shallownc.smk import logged

with logged(snakemake) as log:
    pairs = [(io.read_netcdf(f, required_vars=["nc_all_status"],
                             required_dims=["d", "sigma", "trial"]),
              io.read_netcdf(c, required_vars=["union_sigma_max", "predicted_d_over_n"]))
             for f, c in zip(snakemake.input.feas, snakemake.input.curves)]
    figures.save(fb.fig_pure_noise_bounds(pairs), snakemake.output[0])
    log.info("wrote %s from %d grid(s)", snakemake.output[0], len(pairs))
