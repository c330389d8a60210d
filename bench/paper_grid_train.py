"""Train the paper's Figure 3-5 grid in one batched call and write it as NetCDF.

    .venv/bin/python bench/paper_grid_train.py --device cuda --tf32 --out /tmp/fig3
    .venv/bin/python bench/paper_grid_train.py --device cpu --scale toy --out /tmp/fig3toy

Grid (paper Section 3, Figure 3; paper.md): K = 2, mu_1 = -mu_2 = e_1, n = 300 per class,
d/n in {1.1, 1.3, 1.5, 2, 3, 4}, sigma in {0.18, 0.36, 0.53, 0.8, 1.07, 1.42}, one data set
per cell (``--trials``), two-layer bias-free ReLU net, CE with activation regularization in
the paper's normalization (2.1), lambda_W = 1e-3, lambda_H = 1e-6, plain SGD (momentum 0)
with minibatches, lr 0.1 divided by 10 at 1/3 and 2/3 of training, 10^5 epochs. Width and
batch size are not stated by the paper: ``--width`` (default 512) and ``--batch-size``
(default 100; 0 = full batch) are this run's choices, recorded in the file.
All 36 runs train in one tensor program (training.run_padded_grid: inputs zero-padded to the
largest d, each run with its own input dimension). ``--scale toy`` keeps the grid's d/n and
sigma values with n = 6, width 8, 12 epochs, batches of 4 (seconds on a CPU: the test suite runs it).
Output: <out>/fig3_grid.nc with dims (d_over_n, sigma, trial, epoch): NC metrics of
shallownc.metrics (nc1, nc1_trace, nc2_h_paper, nc2_w_paper, nc3_paper, ...), the objective
F_net (float64, full batch) and, with --lp, the class-LP verdict of each training set.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

D_OVER_N = [1.1, 1.3, 1.5, 2.0, 3.0, 4.0]
SIGMA = [0.18, 0.36, 0.53, 0.8, 1.07, 1.42]
SCALES = {"paper": dict(n=300, width=512, epochs=100_000, batch_size=100, n_eval=60,
                        n_test=1000),
          "toy": dict(n=6, width=8, epochs=12, batch_size=4, n_eval=5, n_test=10)}


def experiment(a) -> dict:
    """The config block (schema layout of training.dynamics) of the grid."""
    s = SCALES[a.scale]
    pick = lambda k: s[k] if getattr(a, k) is None else getattr(a, k)  # noqa: E731
    bs = pick("batch_size")
    return {"data": {"geometry": "antipodal", "K": 2, "n": s["n"], "n_test": s["n_test"],
                     "mean_norm": 1.0, "angle_deg": 180.0},
            "train": {"width": pick("width"), "loss": "ce", "reg": "feature",
                      "lambda_W": 1e-3, "lambda_H": 1e-6, "lr": 0.1, "lr_schedule": "step",
                      "lr_milestones": [1 / 3, 2 / 3], "lr_gamma": 0.1,
                      "epochs": pick("epochs"), "batch_size": bs, "momentum": 0.0,
                      "n_eval": pick("n_eval")},
            "d_over_n": D_OVER_N, "sigma": SIGMA, "trials": a.trials}


def save(ds, path: Path) -> str:
    """Write with the project's writer (netCDF4); where netCDF4 is missing (a bare GPU
    image), NetCDF3 through scipy with 64-bit integers narrowed. Returns the engine used."""
    try:
        import netCDF4  # noqa: F401

        from shallownc import io

        io.write_netcdf(ds, path)
        return "netcdf4"
    except ImportError:
        ds = ds.copy()
        for v in ds.variables:
            if ds[v].dtype == np.int64:
                ds[v] = ds[v].astype(np.int32)
        ds.to_netcdf(path, engine="scipy")
        return "scipy (NetCDF3)"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--scale", choices=sorted(SCALES), default="paper")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--width", type=int)
    ap.add_argument("--batch-size", type=int, help="0 = full batch")
    ap.add_argument("--n-eval", type=int)
    ap.add_argument("--trials", type=int, default=1)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--tf32", action="store_true", help="TF32 matmuls for the steps (CUDA)")
    ap.add_argument("--lp", action="store_true", help="class-LP verdict per cell (highspy)")
    ap.add_argument("--seed", type=int, default=20240903)
    a = ap.parse_args(argv)
    import torch

    from shallownc import training as T

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    exp = experiment(a)
    # the experiment and runtime built through config validation (the schema's defaults)
    from shallownc.config import validate

    sec = validate({"allow_external_paths": True, "training": {
        "dynamics": exp, "device": a.device, "dtype": a.dtype, "tf32": a.tf32,
        "checkpoint_dir": None, "log_every_s": 30.0}})["training"]
    exp, run = sec["dynamics"], sec
    print(f"grid: {len(D_OVER_N)} d/n x {len(SIGMA)} sigma x {a.trials} trial(s), n = "
          f"{exp['data']['n']}, {json.dumps(exp['train'])}; device {a.device}, tf32 {a.tf32}",
          flush=True)
    t = time.perf_counter()
    ds = T.run_padded_grid(exp, run, a.seed, "paper_fig3", with_lp=a.lp)
    wall = time.perf_counter() - t
    ds.attrs.update(scale=a.scale, wall_s=wall, torch_version=torch.__version__,
                    device_name=torch.cuda.get_device_name() if a.device.startswith("cuda")
                    else "cpu")
    engine = save(ds, out / "fig3_grid.nc")
    steps = exp["train"]["epochs"] * (1 if not exp["train"]["batch_size"] else
                                     (2 * exp["data"]["n"]) // exp["train"]["batch_size"])
    fin = ds["final_nc1"]
    print(f"trained {fin.size} runs x {exp['train']['epochs']} epochs ({steps} steps) in "
          f"{wall:.1f} s ({ds.attrs['steps_per_s']:.0f} steps/s); diverged "
          f"{int(ds['diverged'].sum())}; wrote {out / 'fig3_grid.nc'} ({engine})")
    print("final NC1 (rows sigma, columns d/n):")
    print(fin.isel(trial=0).transpose("sigma", "d_over_n").to_pandas().to_string(
        float_format=lambda v: f"{v:.2e}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
