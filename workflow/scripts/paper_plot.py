"""Draw one paper figure (reads only its NetCDF file)."""
from shallownc.paper import plot_theorems as ft
from shallownc.paper import plot_training as fp
from shallownc.smk import logged

PLOT = {"fig3": fp.plot_fig3, "fig4": fp.plot_fig45, "fig5": fp.plot_fig45, "fig6": fp.plot_fig6,
        "theorem6": ft.plot_theorem6, "theorem78": ft.plot_theorem78}

with logged(snakemake):
    PLOT[snakemake.wildcards.fig](snakemake.input[0], snakemake.output[0])
