"""Re-run the short checks of reports/paper.md F3L§2-§3 (issue 26) and print their numbers.

All on the paper's Figure 3 data (K = 2, n = 300, mu_1 = -mu_2 = e_1, sigma per coordinate,
trial 0 of the pipeline's seed) with objective (2.1), lambda_W = 1e-3, lambda_H = 1e-6 unless
doubled, width 128, LeCun init, float32, one network seed, 1 thread:

  epoch1000    1,000 epochs at constant lr 0.1 for several batches (F3L§3 item 1)
  stability    60 epochs at sigma 1.42, d = 1200, lr 0.1, batches 2..10, seeds 1, 2 (item 2)

    python scripts/fig3_recipe_checks.py epoch1000 stability       (about 6 min on one core)

The equal-T runs of F3L§2 are NetCDF files under reports/runs/fig3_paper_length/checks/, made
by scripts/paper_length_cell.py (commands in that folder's README).
"""
import sys

import torch

from shallownc import data as D
from shallownc.training.loop import train


def cell(sigma, d_over_n, n=300, seed=20240903):
    X, y, _M, _s = D.GMMSpec("antipodal", 2, n, int(round(d_over_n * n)), sigma, 1.0).draw(
        seed, 0)
    return X, y


def run(sigma, d_over_n, epochs, seed=1, **kw):
    X, y = cell(sigma, d_over_n)
    spec = dict(arch="two_layer", widths=(128,), lambda_W=1e-3, lambda_H=1e-6, lr=0.1,
                batch_size=100, epochs=epochs, lr_schedule="step", n_eval=4, seeds=(seed,))
    spec.update(kw)
    r = train(X, y, **spec)
    tr = r.trajectory
    return {k: float(tr[f"final_{k}"].values[0]) for k in ("nc1", "nc1_trace", "nc2_w_paper")}, \
        bool(r.diverged[0])


def show(label, res):
    m, div = res
    print(f"{label:55s} NC1 {m['nc1']:.4g}  Tr ratio {m['nc1_trace']:.4g}  "
          f"NC2_W {m['nc2_w_paper']:.3g}" + ("  DIVERGED" if div else ""), flush=True)


def epoch1000():
    c = dict(epochs=1000, lr_schedule="constant")
    show("B 10, lr 0.1", run(0.18, 2, batch_size=10, **c))
    show("B 4, lr 0.1", run(0.18, 2, batch_size=4, **c))
    show("B 100, lr 2.5", run(0.18, 2, lr=2.5, **c))
    show("B 8, lr 0.1, lambdas doubled", run(0.18, 2, batch_size=8, lambda_W=2e-3,
                                            lambda_H=2e-6, **c))
    show("B 100, lr 1.25, lambdas doubled", run(0.18, 2, lr=1.25, lambda_W=2e-3,
                                               lambda_H=2e-6, **c))


def stability():
    for B in (2, 4, 5, 6, 8, 10):
        for seed in (1, 2):
            show(f"sigma 1.42, d 1200: B {B}, seed {seed}, 60 epochs",
                 run(1.42, 4, 60, seed=seed, batch_size=B, lr_schedule="constant"))
    for seed in (1, 2):
        show(f"sigma 1.42, d 1200: B 8, lambdas doubled, seed {seed}, 60 epochs",
             run(1.42, 4, 60, seed=seed, batch_size=8, lambda_W=2e-3, lambda_H=2e-6,
                 lr_schedule="constant"))


if __name__ == "__main__":
    torch.set_num_threads(1)
    for name in sys.argv[1:] or ["epoch1000", "stability"]:
        print(f"== {name}")
        {"epoch1000": epoch1000, "stability": stability}[name]()
