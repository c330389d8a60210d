"""Per-class LP verdicts over one imbalance phase panel (imbalance.phase_job + phase_theory)."""
from threadpoolctl import threadpool_limits

from shallownc import feasibility, imbalance, io
from shallownc.smk import logged

with logged(snakemake) as log, threadpool_limits(1):
    panel = dict(snakemake.params.panel, name=snakemake.wildcards.panel)
    opts = feasibility.SolverOptions.from_config(snakemake.params.solver)
    ds = imbalance.phase_theory(imbalance.phase_job(panel, snakemake.params.seed, opts),
                                snakemake.params.delta)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("%s: all-class rate\n%s\nundecided trials: %d", panel["name"],
             ds.p_all.to_pandas(), int(ds.undecided_all.sum()))
