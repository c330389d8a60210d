"""Class-mean Gram matrices of the UPFM and UFM minimizers (figures.upfm.fig_gram)."""
from shallownc import figures, io
from shallownc.figures import upfm as fu
from shallownc.smk import logged

with logged(snakemake) as log:
    ds = io.read_netcdf(snakemake.input[0], required_vars=["gram", "nc2_of", "nc2_etf"])
    figures.save(fu.fig_gram(ds), snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
