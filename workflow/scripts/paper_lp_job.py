"""One job of a paper LP figure (Figures 1-2): one panel, one d, a block of trials, all sigma."""
from shallownc import feasibility, io
from shallownc.paper import lp as paper_lp
from shallownc.grid import Grid, parse_job
from shallownc.smk import logged

with logged(snakemake) as log:
    d, _t0, t1 = parse_job(snakemake.wildcards.job)
    spec = {**snakemake.params.grid, "trials": t1}
    grid = Grid.from_dict(spec if d is None else {**spec, "d": (d,)})
    opts = feasibility.SolverOptions.from_config(snakemake.params.solver)
    classes = tuple(snakemake.params.classes)
    out = paper_lp.paper_run_job(grid, snakemake.wildcards.job, snakemake.params.seed, opts,
                              classes, workers=snakemake.threads)
    io.write_netcdf(out, snakemake.output[0], snakemake.config)
    counts = {s: int((out.nc_status == c).sum()) for c, s in feasibility.STATUS_NAMES.items()}
    log.info("%s %s class-LP verdicts: %s; LP time %.1f s", grid.name, snakemake.wildcards.job,
             counts, float(out.nc_solve_time.sum()))
