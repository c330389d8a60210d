"""Figure of one generalization experiment (reads only the merged NetCDF file)."""
from shallownc.figures import generalization as fg
from shallownc.smk import logged

with logged(snakemake):
    fg.plot_experiment(snakemake.input[0], snakemake.output[0])
