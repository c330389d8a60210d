"""Phase diagram of one grid with the theory curves overlaid (figures.bounds.fig_phase_bounds)."""
from shallownc import figures, io
from shallownc.figures import bounds as fb
from shallownc.smk import logged

with logged(snakemake) as log:
    feas = io.read_netcdf(snakemake.input.feas, required_vars=["nc_all_status"],
                          required_dims=["d", "sigma", "trial"])
    curves = io.read_netcdf(snakemake.input.curves,
                            required_vars=["union_sigma_max", "predicted_d_over_n"])
    figures.save(fb.fig_phase_bounds(feas, curves), snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
