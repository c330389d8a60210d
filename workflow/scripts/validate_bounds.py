"""Validate the bounds against the verified LP verdicts; write the report table.

Fails (and so stops the pipeline) when a sufficient condition certifies a cell whose verified
feasible count is below the binomial floor of 1 - delta: an unsound bound is a bug.
"""
import pandas as pd

from shallownc import bounds, io
from shallownc.smk import logged

with logged(snakemake) as log:
    cfg = snakemake.params.bounds
    rows, bad = [], []
    for cpath, fpath in zip(snakemake.input.curves, snakemake.input.feas):
        curves = io.read_netcdf(cpath, required_vars=["union_certified", "gordon_certified",
                                                      "kinematic_certified",
                                                      "predicted_d_over_n"])
        feas = io.read_netcdf(fpath, required_vars=["nc_all_status"],
                              required_dims=["d", "sigma", "trial"])
        sound = bounds.soundness(curves, feas, alpha=cfg["soundness_alpha"])
        row = bounds.summarize(curves, feas, level=cfg["capture_level"])
        for name in ("union", "gordon", "kinematic"):
            fails = sound[f"{name}_sound"] == 0
            row[f"{name}_certified_cells"] = int((curves[f"{name}_certified"] == 1).sum())
            row[f"{name}_unsound_cells"] = int(fails.sum())
            if int(fails.sum()):
                cells = fails.where(fails, drop=True)
                bad.append(f"{row['grid']}: {name} bound unsound at "
                           f"{[(int(d), float(s)) for d in cells.d.values for s in cells.sigma.values]}")
        gap = row["max_gap_d_over_n"]
        row["prediction_within_tolerance"] = int(not gap > cfg["prediction_tolerance"])
        if not row["prediction_within_tolerance"]:
            log.warning("%s: predicted boundary off by %.3f > tolerance %.3f in d/n",
                        row["grid"], gap, cfg["prediction_tolerance"])
        rows.append(row)
        log.info("%s", row)
    df = pd.DataFrame(rows)
    df.to_csv(snakemake.output.csv, index=False)
    cols = ["grid", "geometry", "K", "n", "feasible_cells", "capture_red", "capture_blue",
            "capture_red_or_blue", "capture_red_or_kinematic", "max_gap_d_over_n",
            "mean_gap_d_over_n", "prediction_within_tolerance", "gordon_d_over_n", "kinematic_d_over_n",
            "union_unsound_cells", "gordon_unsound_cells", "kinematic_unsound_cells"]
    md = df[cols].copy()
    with open(snakemake.output.md, "w") as fh:
        fh.write("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n")
        for _, r in md.iterrows():
            fh.write("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v)
                                       for v in r.values) + " |\n")
    if bad:
        raise RuntimeError("unsound bound(s) — a bug, not a figure:\n  " + "\n  ".join(bad))
    log.info("all certified cells sound; table written to %s", snakemake.output.md)
