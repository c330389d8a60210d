"""Three-layer random-feature experiment of one setting into results/bounds/rf/<name>.nc."""
from shallownc import feasibility, io
from shallownc import random_features as rf
from shallownc.smk import logged

with logged(snakemake) as log:
    setting = rf.RFExperiment.from_dict(dict(snakemake.params.setting))
    opts = feasibility.SolverOptions.from_config(snakemake.params.solver)
    ds = rf.run_setting(setting, snakemake.params.seed, opts, snakemake.params.delta)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("%s: empirical 50%% width %.1f; references %s", setting.grid.name,
             ds.attrs["empirical_d1_50"],
             {k: v for k, v in ds.attrs.items() if k.startswith("ref_")})
