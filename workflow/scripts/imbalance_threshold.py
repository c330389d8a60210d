"""Threshold curves r*(lambda): UPFM minority vanishing vs plain-UFM minority collapse, with
numerical checks of the UFM threshold (imbalance.threshold_curves, ufm_bias_minority_spread)."""
import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from shallownc import imbalance, io
from shallownc.smk import logged

with logged(snakemake) as log, threadpool_limits(1):
    c = snakemake.params.cfg
    lams = np.geomspace(c["lam_min"], c["lam_max"], 60)
    parts = []
    for g, (k_A, k_B) in enumerate(c["groups"]):
        ds = imbalance.threshold_curves(k_A, k_B, c["n_B"], lams)
        if k_B >= 2 and c["check_cases"] > 0:
            n_A = 2 * c["n_B"]
            sizes = [n_A] * k_A + [c["n_B"]] * k_B
            N = sum(sizes)
            fac = np.array([0.9, 0.95, 1.05, 1.1])[: c["check_cases"]]
            spread = [imbalance.ufm_bias_minority_spread(sizes, k_B, f * np.sqrt(c["n_B"]) / N,
                                                         1e-2, 2 * (k_A + k_B), 2,
                                                         snakemake.params.seed + g)
                      for f in fac]
            ds["check_factor"] = ("check", fac, {"long_name": "N lambda / sqrt(n_B)",
                                                 "units": "1"})
            ds["check_spread"] = ("check", np.array(spread), {
                "long_name": "minority logit-mean spread of the plain UFM with bias at n_A = 2 "
                             "n_B (0 = minority collapse)", "units": "1"})
            log.info("(k_A, k_B) = (%d, %d): UFM spread at N lam/sqrt(n_B) = %s: %s", k_A, k_B,
                     fac, np.round(spread, 6))
        io.write_netcdf(ds, snakemake.output[g], snakemake.config)
