"""P(feasible) of the random-feature experiments vs width (figures.bounds.fig_random_features)."""
from shallownc import figures, io
from shallownc.figures import bounds as fb
from shallownc.smk import logged

with logged(snakemake) as log:
    dss = [io.read_netcdf(p, required_vars=["nc_all_status", "feature_rank"])
           for p in snakemake.input.rf]
    figures.save(fb.fig_random_features(dss), snakemake.output[0])
    log.info("wrote %s from %d setting(s)", snakemake.output[0], len(dss))
