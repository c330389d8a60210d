"""Theory curves of one GMM grid (reports/theory.md) into results/bounds/<grid>.nc."""
from shallownc import bounds, io
from shallownc.grid import Grid
from shallownc.smk import logged

with logged(snakemake) as log:
    grid = Grid.from_dict(dict(snakemake.params.grid))
    cfg = snakemake.params.bounds
    opts = bounds.BoundOptions(delta=cfg["delta"], sigma_points=cfg["sigma_points"],
                               prediction_starts=cfg["prediction_starts"])
    ds = bounds.grid_curves(grid, opts)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("%s: union d_min %s, Gordon d/n %.3f, kinematic d/n %.3f, predicted d/n %s",
             grid.name, ds.attrs["union_d_min"], ds.attrs["gordon_d_over_n"],
             ds.attrs["kinematic_d_over_n"], ds.predicted_d_over_n.values.round(3).tolist())
