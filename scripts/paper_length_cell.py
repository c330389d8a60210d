"""Re-run one committed paper-length cell group of the paper's Figure 3 (issue 26).

Trains the Figure 3 runs at one d/n for the given sigmas with a named recipe, through the
pipeline's own code path (shallownc.paper.training.run_fig3_job: the paper's data, objective
(2.1), step schedule, metrics, class-LP verdict and certified gap), and writes the NetCDF that
reports/runs/fig3_paper_length/cells/ holds (provenance: the config with the recipe, package versions,
git commit, machine). Everything not given takes presets/paper-cpu.yaml's values (the paper's
lambdas, lr 0.1 divided by 10 at 1/3 and 2/3, width 128, batch 100).

    python scripts/paper_length_cell.py --name b10 --dn 2 --batch 10 --sigma 1.42
    python scripts/paper_length_cell.py --name paper_b100 --dn 4 --sigma 0.18 1.42

reports/runs/fig3_paper_length/README.md lists the command of every committed file and its wall time.
"""
import argparse
import copy
import os
import platform
import time

import torch

from shallownc import config as C
from shallownc import io
from shallownc.paper import training as PT


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True, help="recipe name (stored as recipe_name)")
    ap.add_argument("--dn", type=float, required=True, help="d/n (n = 300)")
    ap.add_argument("--sigma", type=float, nargs="+", default=[0.18, 1.42])
    ap.add_argument("--epochs", type=int, default=100000)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--init", type=float, default=1.0, help="init_scale (1 = LeCun normal)")
    ap.add_argument("--trials", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--preset", default="presets/paper-cpu.yaml")
    ap.add_argument("--out", default="reports/runs/fig3_paper_length/cells")
    a = ap.parse_args()
    cfg = C.load(a.preset)
    tr = copy.deepcopy(cfg["paper"]["train"])
    tr.update(lr=a.lr, init_scale=a.init, threads=a.threads, device="cpu", checkpoint_dir=None,
              n_eval=40, length_label=f"paper length, recipe {a.name}")
    fig = dict(cfg["paper"]["fig3"], sigma=a.sigma, trials=a.trials, width=a.width,
               batch_size=a.batch, epochs=a.epochs, d_over_n=[a.dn])
    d = int(round(a.dn * fig["n"]))
    torch.set_num_threads(a.threads)
    t0 = time.time()
    ds = PT.run_fig3_job(fig, tr, d, a.sigma, cfg["seed"], cfg["solver"], "cpu", None)
    load = os.getloadavg()
    ds.attrs.update(recipe_name=a.name, job_wall_s=time.time() - t0,
                    machine=f"{platform.node()} {platform.machine()}, {os.cpu_count()} cpus, "
                            f"{a.threads} thread(s); load average at the end "
                            f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
    cfg["paper"]["train"], cfg["paper"]["fig3"] = tr, fig
    os.makedirs(a.out, exist_ok=True)
    path = f"{a.out}/{a.name}_dn{a.dn:g}.nc"
    io.write_netcdf(ds, path, cfg)
    for s in a.sigma:
        x = ds.sel(sigma=s).isel(d=0, trial=0)
        print(f"{path} sigma {s:g}: final NC1 {float(x.final_nc1):.3g}, gap/F* "
              f"{float(x.upfm_gap) / float(ds.upfm_value.squeeze()):.3g}, "
              f"wall {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
