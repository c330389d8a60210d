"""Figures of the verdict stage (shallownc.figures.verdict), from NetCDF only."""
from shallownc import io
from shallownc.figures import stability as fs
from shallownc.figures import verdict as fv
from shallownc.smk import logged

with logged(snakemake) as log:
    inp, out = snakemake.input, snakemake.output
    study = io.read_netcdf(inp.study, required_vars=["table", "verdict", "gap"])
    variants = io.read_netcdf(inp.variants, required_vars=["verdict", "final_nc1"])
    theory = io.read_netcdf(inp.theory[0], required_vars=["table"]) if inp.theory else None
    fv.plot_table(study, out.table, theory)
    fv.plot_study(study, out.study)
    fv.plot_gaps(study, out.gaps)
    fv.plot_variants(variants, out.variants)
    fs.plot_sharpness_map(study, out.sharpness)
    fs.plot_recipes({"grid": study, **{str(v): variants.sel(variant=v)
                                       for v in variants["variant"].values}}, out.recipes)
    log.info("wrote %s", list(out))
