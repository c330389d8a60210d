"""Certified verdicts of the training stage's theory experiment (replaces the NC1 threshold)."""
from shallownc import io, verdict
from shallownc.smk import logged

with logged(snakemake) as log:
    cfg = snakemake.params.cfg
    ds = io.read_netcdf(snakemake.input[0],
                        required_vars=["objective", "lp_status", "diverged", "final_nc1"])
    out = verdict.verdict_of_trajectories(ds, ("d_over_n", "sigma", "trial"),
                                          cfg["tolerance_factor"], cfg["stall_slope"])
    out = out.merge(verdict.summary_table(out))
    io.write_netcdf(out, snakemake.output.nc, snakemake.config)
    verdict.table_frame(out).to_csv(snakemake.output.table, index=False)
    log.info("theory table (rows LP 1, 0, -1, -2; cols %s):\n%s",
             list(out["verdict_name"].values), out["table"].values)
