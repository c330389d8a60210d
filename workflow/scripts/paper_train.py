"""One training job of the paper's Figure 3 (paper.training.run_fig3_job: one (d, sigma) cell,
or one d with every sigma) or Figure 6 (paper.training.run_fig6_d1, one d1); writes its
NetCDF."""
from shallownc import io
from shallownc.paper import training as paper_training
from shallownc.smk import logged
from shallownc.training.job import training_job

with logged(snakemake) as log:
    fig, cell = snakemake.wildcards.fig, dict(snakemake.params.cell)
    seed, solver = int(snakemake.params.seed), snakemake.params.solver
    with training_job(snakemake, "paper.train", snakemake.params.train, log) as train:
        checkpoint_dir = train["checkpoint_dir"] and f"{train['checkpoint_dir']}/{fig}"
        if fig == "fig3":
            sigmas = [cell["sigma"]] if "sigma" in cell else snakemake.params.fig["sigma"]
            ds = paper_training.run_fig3_job(snakemake.params.fig, train, cell["d"], sigmas,
                                             seed, solver, train["device"], checkpoint_dir)
        else:
            ds = paper_training.run_fig6_d1(
                snakemake.params.fig, train, cell["d1"], seed, solver, train["device"],
                checkpoint_dir, fashion_path=snakemake.config["data"]["fashion_mnist"]["path"])
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("training wall %.1f s; final NC1 median %.3g", ds.attrs["wall_s"],
             float(ds["final_nc1"].median()))
