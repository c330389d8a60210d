"""One training job of the paper's Figure 3 (job d<d>: paper_training.run_fig3_d, all sigma
values of that d) or Figure 6 (job d1_<d1>: paper_training.run_fig6_d1); writes its NetCDF."""
from shallownc import io, paper_training
from shallownc.smk import logged
from shallownc.training.job import training_job

RUN = {"fig3": paper_training.run_fig3_d, "fig6": paper_training.run_fig6_d1}

with logged(snakemake) as log:
    figure, job = snakemake.wildcards.figure, snakemake.wildcards.job
    value = int(job.rsplit("_", 1)[-1].lstrip("d"))          # d15 -> 15, d1_100 -> 100
    with training_job(snakemake, "paper.train", snakemake.params.train, log) as train:
        checkpoint_dir = train["checkpoint_dir"] and f"{train['checkpoint_dir']}/{figure}"
        extra = ({"fashion_path": snakemake.config["data"]["fashion_mnist"]["path"]}
                 if figure == "fig6" else {})
        ds = RUN[figure](snakemake.params.fig, train, value, int(snakemake.params.seed),
                         snakemake.params.solver, train["device"], checkpoint_dir, **extra)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("training wall %.1f s; final NC1 median %.3g", ds.attrs["wall_s"],
             float(ds["final_nc1"].median()))
