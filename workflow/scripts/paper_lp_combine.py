"""Combine the jobs of one paper LP figure, add every curve and its scores: <results>/paper/figN.nc."""
from shallownc import io, phase
from shallownc.paper import curves as paper_curves
from shallownc.paper import lp as paper_lp
from shallownc import sweep as SW
from shallownc.smk import logged

with logged(snakemake) as log:
    fig = snakemake.wildcards.fig
    block = snakemake.params.block
    grids = paper_lp.paper_grids(fig, block)
    panels = {}
    for name in grids:
        files = [p for p in snakemake.input if f"/{fig}/{name}/" in p]
        parts = [io.read_netcdf(p, required_vars=["nc_status", "class1_status"]) for p in files]
        panels[name] = SW.combine(parts, phase.GRID_ATTRS + ("common_noise", "nested_d", "classes_solved"))
    ds = paper_curves.paper_figure_dataset(panels, grids, block)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    for q in ds.quantity.values:
        log.info("%s %s capture:\n%s", fig, q,
                 ds.score_capture.sel(quantity=q).to_pandas().round(3).to_string())
        log.info("%s %s max gap (d/n):\n%s", fig, q,
                 ds.score_max_gap.sel(quantity=q).to_pandas().round(3).to_string())
