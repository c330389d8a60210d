"""Best NC test error (bracket), NC verdicts and bounds: one experiment, one d value."""
from shallownc import feasibility, generalization, io
from shallownc.smk import logged

with logged(snakemake) as log:
    exp = generalization.sub_experiment(snakemake.params.experiment,
                                        int(snakemake.wildcards.d))
    opts = feasibility.SolverOptions.from_config(snakemake.params.solver)
    ds = generalization.run_theory(exp, snakemake.params.seed, opts,
                                   lambdas=tuple(snakemake.params.lambdas), log=log)
    ds.attrs["experiment"] = snakemake.wildcards.name
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("status counts: %s", {int(s): int((ds.status == s).sum())
                                  for s in generalization.STATUS_NAMES})
