"""Tests of the paper's training figures (shallownc.paper.training, paper.plot_training) and
of the Snakemake targets fig3 ... fig6, theorem6, theorem78, paper at toy size."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from shallownc import config
from shallownc.paper import training as P
from shallownc.paper import plot_training as FP

ROOT = Path(__file__).resolve().parents[1]


def test_digits_balanced_all_classes_unit_norm():
    from sklearn.datasets import load_digits

    counts = np.bincount(load_digits().target)
    assert counts.min() == P.DIGITS_MIN_CLASS and counts.sum() == 1797
    X, y = P.digits_balanced(None, seed=3)
    assert X.shape == (64, 1740) and list(np.bincount(y)) == [174] * 10
    assert np.allclose(np.linalg.norm(X, axis=0), 1.0)
    X2, _ = P.digits_balanced(None, seed=3)
    assert np.array_equal(X, X2)                                     # seeded
    with pytest.raises(ValueError, match="n_per_class"):
        P.digits_balanced(175, seed=3)


def test_figure6_first_layer_is_frozen_gaussian(tmp_path):
    """The Figure 6 recipe trains a three-layer net whose first layer stays at its
    N(0, 1/d1) initialization (paper Theorem 6), while the upper layers move."""
    import torch

    from shallownc import models, training

    c = config.validate({"paper": {}})["paper"]
    X, y = P.digits_balanced(3, seed=1)
    kw = P.train_kwargs(dict(c["train"], dtype="float64", device="cpu",
                             checkpoint_dir=str(tmp_path)), 4, 6, 10, first_width=2000)
    assert kw["arch"] == "three_layer" and kw["freeze_first"] and kw["widths"] == (2000, 6)
    r = training.train(X, y, seeds=[5], **kw)
    W1 = r.weights[0][0]
    assert W1.shape == (2000, 64) and W1.var() == pytest.approx(1 / 2000, rel=0.05)
    net = models.init_net("three_layer", 64, 10, (2000, 6), [5], 1.0, dtype=torch.float64,
                          freeze_first=True)
    assert np.array_equal(W1, net.weights[0][0].detach().numpy())
    assert not np.allclose(r.weights[1][0], net.weights[1][0].detach().numpy())


def test_recipe_kwargs_and_eval_epochs():
    c = config.validate({"paper": {}})["paper"]
    kw = P.train_kwargs(c["train"], 300, 64, 100)
    assert kw["lambda_W"] == 1e-3 and kw["lambda_H"] == 1e-6      # (2.1), handed over as is
    assert kw["lr_schedule"] == "step" and kw["momentum"] == 0.0 and kw["batch_size"] == 100
    assert kw["lr_milestones"] == pytest.approx((1 / 3, 2 / 3)) and kw["lr_gamma"] == 0.1
    ep = P.eval_epochs(300, 10, (1 / 3, 2 / 3))
    drops = [int(np.ceil(300 / 3)), int(np.ceil(600 / 3))]   # first epochs at the lower lr
    assert ep[0] == 0 and ep[-1] == 300 and set(drops) <= set(ep) and (np.diff(ep) > 0).all()


def test_nc2w_decay_guide_is_the_step_product():
    ds = xr.Dataset(coords={"epoch": [0, 1, 10, 20, 30]},
                    attrs={"epochs": 30, "lr_milestones": "[0.3333333333333333, "
                           "0.6666666666666666]", "lr": 0.1, "lr_gamma": 0.1,
                           "lambda_W": 1e-3, "steps_per_epoch": 6})
    g = FP.nc2w_decay_guide(ds)
    want = [1.0, (1 - 1e-4) ** 6, (1 - 1e-4) ** 60, (1 - 1e-4) ** 60 * (1 - 1e-5) ** 60,
            (1 - 1e-4) ** 60 * (1 - 1e-5) ** 60 * (1 - 1e-6) ** 60]
    assert np.allclose(g, want, rtol=1e-12)


def test_w_sum_decays_as_one_minus_lr_lambda_per_step(tmp_path):
    """K = 2, CE, activation regularization: the loss gradient sums to zero over the classes,
    so w_1 + w_2 shrinks by exactly (1 - lr_t lambda_W) per SGD step (docs/conventions.md) -- which
    checks that the paper's lambda_W (2.1) reaches the trainer correctly."""
    import torch

    from shallownc import models, training

    c = config.validate({"paper": {}})["paper"]
    X, y, _M, _s = P.D.GMMSpec("antipodal", 2, 10, 12, 0.5).draw(1, 0)
    kw = P.train_kwargs(dict(c["train"], lambda_W=0.05, dtype="float64", device="cpu",
                             checkpoint_dir=str(tmp_path)), 30, 6, 5)
    r = training.train(X, y, seeds=[4], **kw)
    W0 = models.init_net("two_layer", 12, 2, (6,), [4], 1.0, dtype=torch.float64).weights[1]
    s0 = W0[0].detach().numpy().sum(axis=0)
    s1 = r.W2[0].sum(axis=0)
    f = (1 - 0.1 * 0.05) ** 40 * (1 - 0.01 * 0.05) ** 40 * (1 - 0.001 * 0.05) ** 40
    assert np.allclose(s1, f * s0, rtol=1e-9, atol=1e-12)


def _fig3_cells(tmp_path, data_span=True, sigmas=(1.42, 0.18), ds_=(15, 5)):
    c = config.validate({"paper": {"fig3": {"n": 5, "trials": 2, "width": 4, "batch_size": 5,
                                            "epochs": 4}}})["paper"]
    train = dict(c["train"], dtype="float64", device="cpu", checkpoint_dir=None, n_eval=4,
                 data_span=data_span)
    return [P.run_fig3_cell(c["fig3"], train, d, s, 3, config.validate({})["solver"], "cpu",
                            None) for d in ds_ for s in sigmas]


def test_fig3_cells_combine_to_the_figure_layout(tmp_path):
    """One job per (d, sigma) cell; combine joins them, in any order, into dims
    (d, sigma, trial, epoch) sorted by d and sigma, every cell's values unchanged; the cost
    variables are per cell; a cell with d > N = 10 trained in the span (span_dim 10) equals
    the same cell trained in d-space (float64)."""
    parts = _fig3_cells(tmp_path)
    for p in parts:
        assert dict(p.sizes) == {"d": 1, "sigma": 1, "trial": 2, "epoch": p.sizes["epoch"]}
    ds = P.combine(parts[::-1], ("d", "sigma"))
    assert ds["final_nc1"].dims == ("d", "sigma", "trial")
    assert ds["nc1"].dims == ("d", "sigma", "trial", "epoch")
    assert list(ds.d.values) == [5, 15] and list(ds.sigma.values) == [0.18, 1.42]
    assert list(ds.d_over_n.values) == [1.0, 3.0] and ds["upfm_value"].dims == ("d",)
    assert ds["wall_s"].dims == ("d", "sigma") and (ds["wall_s"] > 0).all()
    assert ds["span_dim"].sel(d=15).values.tolist() == [10, 10]
    assert ds["span_dim"].sel(d=5).values.tolist() == [5, 5]
    for p in parts:
        cell = ds.sel(d=p.d.values, sigma=p.sigma.values)
        np.testing.assert_array_equal(cell["nc1"].values, p["nc1"].values)
        np.testing.assert_array_equal(cell["nc_all_status"].values, p["nc_all_status"].values)
    assert ds.attrs["wall_s_total"] == pytest.approx(sum(p.attrs["wall_s"] for p in parts))
    full = _fig3_cells(tmp_path, data_span=False, sigmas=(0.18,), ds_=(15,))[0]
    span = ds.sel(d=[15], sigma=[0.18])
    assert full["span_dim"].values.item() == 15
    for k in ("final_nc1", "final_objective", "nc1"):
        np.testing.assert_allclose(span[k].values, full[k].values, rtol=1e-9)
    with pytest.raises(ValueError, match="nothing to combine"):
        P.combine([], ("d", "sigma"))


def test_fig3_per_d_jobs_give_the_same_layout_data_and_initializations(tmp_path):
    """paper.fig3.job: d (one job per d, every sigma batched) combines to the layout of the
    per-cell jobs, with the same data (input NC1, LP verdicts) and the same networks at
    epoch 0; worksize counts one job per d."""
    from shallownc import worksize

    cells = _fig3_cells(tmp_path, sigmas=(0.18, 1.42), ds_=(15,))
    c = config.validate({"paper": {"fig3": {"n": 5, "trials": 2, "width": 4, "batch_size": 5,
                                            "epochs": 4}}})["paper"]
    train = dict(c["train"], dtype="float64", device="cpu", checkpoint_dir=None, n_eval=4)
    per_d = P.run_fig3_job(c["fig3"], train, 15, [1.42, 0.18], 3,
                           config.validate({})["solver"], "cpu", None)
    a, b = P.combine(cells, ("d", "sigma")), P.combine([per_d], ("d", "sigma"))
    assert dict(a.sizes) == dict(b.sizes) and list(b.sigma.values) == [0.18, 1.42]
    for k in ("nc1_input", "nc_all_status"):
        np.testing.assert_array_equal(a[k].values, b[k].values)
    np.testing.assert_allclose(a["nc1"].isel(epoch=0), b["nc1"].isel(epoch=0), rtol=1e-12)
    est = {job: worksize.estimate(config.validate({"paper": {"fig3": {"job": job}}}))[
        "paper training targets (fig3-fig6)"].jobs for job in ("cell", "d")}
    f3 = config.validate({})["paper"]["fig3"]
    assert est["cell"] - est["d"] == len(f3["d_over_n"]) * (len(f3["sigma"]) - 1)


def test_fig3_job_names_round_trip():
    from shallownc.paper import table as TB

    for fig, cell, stem in (("fig3", {"d": 900, "sigma": 0.18}, "d900_s0.18"),
                            ("fig3", {"d": 900}, "d900"),
                            ("fig3", {"d": 5, "sigma": 1e-5}, "d5_s1e-05"),
                            ("fig3", {"d": 330, "sigma": 1.0}, "d330_s1.0"),
                            ("fig6", {"d1": 2500}, "d1_2500")):
        assert TB.part_name(fig, **cell) == stem and TB.part_cell(fig, stem) == cell
        assert re.fullmatch(TB.PART_PATTERN[fig], stem)
    for fig, bad in (("fig3", "d900_"), ("fig3", "d900_s0.180"), ("fig6", "d1_x"),
                     ("fig3", "d1_2500")):
        with pytest.raises(ValueError, match=f"{fig} job file"):
            TB.part_cell(fig, bad)
    with pytest.raises(ValueError, match="named by"):
        TB.part_name("fig3", sigma=0.5)
    with pytest.raises(ValueError, match="no training jobs"):
        TB.part_name("fig1", d=4)


def test_fig3_b100_overlay_layers_on_the_paper_preset():
    """presets/paper-fig3-b100.yaml (the pre-issue-26 Figure 3 recipe) is an overlay: given
    after presets/paper.yaml it changes the recipe keys it names and the output folders,
    nothing else, and the result is the paper preset's complete config (base: schema)."""
    both = config.load_run([ROOT / "presets" / "paper.yaml",
                            ROOT / "presets" / "paper-fig3-b100.yaml"])
    alone = config.load_run([ROOT / "presets" / "paper.yaml"])
    assert both["base"] == "schema"
    f3, tr = both["paper"]["fig3"], both["paper"]["train"]
    assert (f3["width"], f3["batch_size"], f3["epochs"]) == (512, 100, 100000)
    assert (tr["lr"], tr["init_scale"], tr["momentum"], tr["lr_schedule"]) == \
        (0.1, 1.0, 0.0, "step")
    assert tr["lr_milestones"] == pytest.approx([1 / 3, 2 / 3]) and tr["lr_gamma"] == 0.1
    assert both["results_dir"] != alone["results_dir"]
    assert both["report_dir"] != alone["report_dir"]
    same = {k for k in alone if k not in ("results_dir", "report_dir", "paper")}
    assert all(both[k] == alone[k] for k in same)
    assert both["paper"]["fig6"] == alone["paper"]["fig6"]


def test_fig3_b8_2lambda_overlay_and_the_chosen_recipe():
    """Issue 26: presets/paper.yaml trains Figure 3 at batch 10, width 256 with the paper's
    printed lambdas; the overlay presets/paper-fig3-b8-2lambda.yaml changes only batch 8, the
    doubled lambdas, the label and the output folders."""
    alone = config.load_run([ROOT / "presets" / "paper.yaml"])
    f3, tr = alone["paper"]["fig3"], alone["paper"]["train"]
    assert (f3["width"], f3["batch_size"], f3["epochs"]) == (256, 10, 100000)
    assert (tr["lambda_W"], tr["lambda_H"], tr["lr"]) == (1e-3, 1e-6, 0.1)
    both = config.load_run([ROOT / "presets" / "paper.yaml",
                            ROOT / "presets" / "paper-fig3-b8-2lambda.yaml"])
    assert both["paper"]["fig3"] == dict(f3, batch_size=8)
    assert both["paper"]["train"] == dict(tr, lambda_W=2e-3, lambda_H=2e-6,
                                          length_label=both["paper"]["train"]["length_label"])
    assert both["results_dir"] != alone["results_dir"]
    assert all(both[k] == alone[k] for k in alone
               if k not in ("results_dir", "report_dir", "paper"))


def test_select_sigma_rejects_unknown():
    ds = xr.Dataset({"a": ("sigma", [1.0, 2.0])}, coords={"sigma": [0.18, 1.42]})
    assert P.select_sigma(ds, 1.42, "Figure 5").attrs["sigma"] == 1.42
    with pytest.raises(ValueError, match="not one of the Figure 3 sigmas"):
        P.select_sigma(ds, 0.5, "Figure 4")


TOY = """
base: schema
allow_external_paths: true
results_dir: {d}/results
report_dir: {d}/reports
paper:
  train: {{n_eval: 6, checkpoint_dir: {d}/ckpt, length_label: "toy length (test)"}}
  fig3: {{n: 10, d_over_n: [1.5, 3.0], sigma: [0.18, 1.42], width: 8, batch_size: 5, epochs: 30}}
  fig6: {{n_per_class: 5, d1_over_N: [0.5, 2.0], width: 8, batch_size: 10, epochs: 6}}
  theorem6: {{d1_over_N: [0.5, 2.0], trials: 1, mc_samples: 1000, gaussian: {{n: 10}}}}
  theorem78: {{n: 6, d_over_n: [1.5, 6.0], snr: [0.5, 2.0], trials: 2}}
"""


def test_paper_targets_toy_size(tmp_path):
    """snakemake fig3 fig4 fig5 fig6 theorem6 theorem78 paper on a toy config: every target
    writes <results>/paper/figN.nc (with the normalization attribute) and its figure."""
    cfg = tmp_path / "toy.yaml"
    cfg.write_text(TOY.format(d=tmp_path))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-m", "snakemake", "fig3", "fig4", "fig5", "fig6", "theorem6",
           "theorem78", "paper", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
           "--cores", "2", "--configfile", str(cfg)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    # one job per Figure 3 cell (2 d x 2 sigma) and per Figure 6 d1 (2): what worksize counts
    from shallownc import worksize

    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", p.stdout + p.stderr, re.M))
    assert int(counts["paper_train_job"]) == 6
    assert worksize.estimate(config.load(cfg))["paper training targets (fig3-fig6)"].jobs == 6
    for stem in ("d15_s0.18", "d15_s1.42", "d30_s0.18", "d30_s1.42"):
        assert (tmp_path / "results" / "paper" / "fig3" / f"{stem}.nc").exists()
    for f in ("fig3", "fig4", "fig5", "fig6", "theorem6", "theorem78"):
        ds = xr.open_dataset(tmp_path / "results" / "paper" / f"{f}.nc")
        assert ds.attrs["normalization"].startswith("paper (2.1)"), f
        assert (tmp_path / "reports" / "figures" / "paper" / f"{f}.png").stat().st_size > 10000
        if f.startswith("fig"):
            assert ds.attrs["length_label"] == "toy length (test)"
            assert np.isfinite(ds["final_nc1"]).all()
            assert (ds["upfm_gap"] >= -1e-6).all()          # every net is above F*_UPFM
    f3 = xr.open_dataset(tmp_path / "results" / "paper" / "fig3.nc")
    assert list(f3.d.values) == [15, 30] and list(f3.sigma.values) == [0.18, 1.42]
    f4 = xr.open_dataset(tmp_path / "results" / "paper" / "fig4.nc")
    assert f4.attrs["sigma"] == 0.18 and f4.attrs["figure"] == "Figure 4"
    f6 = xr.open_dataset(tmp_path / "results" / "paper" / "fig6.nc")
    assert list(f6.d1.values) == [25, 100] and f6.attrs["N"] == 50
    assert int(f6.feature_rank.sel(d1=100).min()) == 50              # d1 = 2N: full rank


def test_fig3_job_trains_the_papers_data_with_the_papers_recipe(monkeypatch):
    """Issue 26 step 1: what run_fig3_cell hands to the trainer, intercepted before training:
    the data (d x N columns, n per class, class means ~ +-e_1, per-coordinate noise sigma)
    and the recipe of the paper's Section 3 (CE + activation regularization (2.1) with
    lambda_W = 1e-3, lambda_H = 1e-6, plain SGD, lr 0.1 divided by 10 at 1/3 and 2/3)."""
    import shallownc.training.cells as C

    class Stop(Exception):
        pass

    got = {}

    def fake_train(X, y, **kw):
        got.update(X=np.asarray(X), y=np.asarray(y), kw=kw)
        raise Stop

    monkeypatch.setattr(C, "train", fake_train)
    monkeypatch.setattr(P, "_lp_status", lambda X, y, cfg: 1)
    from shallownc.class_sizes import dimension

    c = config.validate({"paper": {}})["paper"]
    fig = c["fig3"]                                  # the paper's Figure 3 grid (Section 3)
    assert fig["mean_norm"] == 1.0 and fig["n"] == 300
    assert [dimension(r, fig["n"]) for r in fig["d_over_n"]] == [330, 390, 450, 600, 900, 1200]
    assert fig["sigma"] == [0.18, 0.36, 0.53, 0.8, 1.07, 1.42]
    sigma, d, n = 0.53, 600, fig["n"]
    with pytest.raises(Stop):
        P.run_fig3_cell(c["fig3"], c["train"], d, sigma, 0, {}, "cpu", None)
    X, y, kw = got["X"].reshape(-1, d, 2 * n)[0], got["y"].reshape(-1, 2 * n)[0], got["kw"]
    assert np.array_equal(y, np.repeat([0, 1], n))
    mu = np.where(y == 0, 1.0, -1.0)
    Z = X.copy()
    Z[0] -= mu                                                  # x - mu_k, mu_k = +-e_1
    assert np.std(Z) == pytest.approx(sigma, rel=0.01)
    assert abs(np.mean(Z[0])) < 5 * sigma / np.sqrt(2 * n)
    assert {k: kw[k] for k in ("loss", "reg", "lambda_W", "lambda_H", "lr", "lr_schedule",
                               "lr_gamma", "momentum", "optimizer", "bias", "arch")} == \
        {"loss": "ce", "reg": "feature", "lambda_W": 1e-3, "lambda_H": 1e-6, "lr": 0.1,
         "lr_schedule": "step", "lr_gamma": 0.1, "momentum": 0.0, "optimizer": "sgd",
         "bias": False, "arch": "two_layer"}
    assert tuple(kw["lr_milestones"]) == (1 / 3, 2 / 3)        # exactly the doubles 1/3, 2/3
    assert kw["epochs"] == 100000 and kw["batch_size"] == 100
