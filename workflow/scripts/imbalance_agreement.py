"""Imbalanced UPFM: closed form vs certificate vs L-BFGS-B on random cases (imbalance.agreement)."""
from threadpoolctl import threadpool_limits

from shallownc import imbalance, io
from shallownc.smk import logged

with logged(snakemake) as log, threadpool_limits(1):
    a = snakemake.params.cfg
    ds = imbalance.agreement(a["cases"], a["K_max"], a["n_max"], a["starts"], a["width_factor"],
                             snakemake.params.seed)
    io.write_netcdf(ds, snakemake.output[0], snakemake.config)
    log.info("%d cases (%d with vanished classes): max rel diff formula %.2e, certificate %.2e, "
             "K x K vs N x N %.2e, L-BFGS-B %.2e; min F(start) - bound %.2e",
             ds.sizes["case"], int((ds.n_vanished > 0).sum()), float(ds.rel_formula.max()),
             float(ds.rel_cert.max()), float(ds.rel_classwise.max()), float(ds.rel_lbfgs.max()),
             float(ds.min_start_minus_bound.min()))
