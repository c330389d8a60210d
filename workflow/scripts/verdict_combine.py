"""Combine the study's d/n jobs and its variants; add the LP status x verdict tables."""
from shallownc import io, verdict
from shallownc.smk import logged

REQ = ["verdict", "lp_status", "gap", "pattern_count"]

with logged(snakemake) as log:
    grid = verdict.combine([io.read_netcdf(p, required_vars=REQ)
                            for p in snakemake.input.grid], "d_over_n").sortby("d_over_n")
    grid = grid.merge(verdict.summary_table(grid))
    io.write_netcdf(grid, snakemake.output.study, snakemake.config)
    verdict.table_frame(grid).to_csv(snakemake.output.table, index=False)
    verdict.cell_frame(grid).to_csv(snakemake.output.cells, index=False)
    log.info("study table (rows LP 1, 0, -1, -2):\n%s", grid["table"].values)
    parts = [io.read_netcdf(p, required_vars=REQ) for p in snakemake.input.variants]
    if not parts:
        raise ValueError("verdict.study.variants.list is empty: the variants figure needs "
                         "at least one variant (e.g. the base recipe, {name: base})")
    var = verdict.combine(parts, "variant")
    io.write_netcdf(var, snakemake.output.variants, snakemake.config)
    recipes = {"grid": grid, **{str(v): var.sel(variant=v) for v in var["variant"].values}}
    verdict.recipe_frame(recipes).to_csv(snakemake.output.recipes, index=False)
