"""Solve one feasibility job (one d value, a block of trials, every sigma) and verify it."""
from shallownc import data, feasibility, io, phase
from shallownc.grid import Grid, parse_job
from shallownc.smk import logged

with logged(snakemake) as log:
    d, _t0, t1 = parse_job(snakemake.wildcards.job)
    grid = Grid.from_dict({**snakemake.params.grid, "d": (d,), "trials": t1})
    opts = feasibility.SolverOptions.from_config(snakemake.params.solver)
    digits = None
    if grid.source == "digits":
        ds = io.read_netcdf(snakemake.input[0], required_vars=["X", "label"])
        digits = data.dataset_arrays(ds, snakemake.input[0])
    out = phase.run_job(grid, snakemake.wildcards.job, snakemake.params.seed, opts,
                        workers=snakemake.threads, digits=digits)
    io.write_netcdf(out, snakemake.output[0], snakemake.config)
    counts = {s: int((out.nc_status == c).sum()) for c, s in feasibility.STATUS_NAMES.items()}
    log.info("class-LP verdicts: %s", counts)
