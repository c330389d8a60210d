"""The paper's Figures 1-2 theory curves, their scores and the figure dataset
(shallownc.paper.curves; reports/theory.md)."""

import math
import numpy as np
import pytest
import xarray as xr

from shallownc import data as D
from shallownc import feasibility as F
from shallownc.paper import curves as paper_curves
from shallownc.paper import lp as paper_lp


def test_drawn_constants_are_the_constant_one_forms_with_log_Kn():
    """paper.md reads C = 0.399 (theta = 180, 90), 0.199 (30) and 0.222 (Figure 2) off the
    figures; sqrt(1/((K-1) log(Kn))) (x sin theta below 90 degrees) gives them within 1.5%,
    while Theorem 4's own log n gives 0.4187 (5% off)."""
    for angle, drawn in ((180, 0.399), (90, 0.399), (30, 0.199)):
        c = paper_curves.constant_one_C(2, 300, angle)
        assert c["log_Kn"] == pytest.approx(drawn, rel=0.015)
        g = 1.0 if angle >= 90 else math.sin(math.radians(angle))
        assert c["thm4_log_n"] == pytest.approx(g * 0.418717, rel=1e-5)
    assert paper_curves.constant_one_C(4, 250)["log_Kn"] == pytest.approx(0.222, rel=0.015)
    assert paper_curves.constant_one_C(2, 300, 0)["log_Kn"] == 0.0          # theta = 0: no red curve
    assert paper_curves.drawn_red_sigma(600, 300, 0.399) == pytest.approx(0.399 / math.sqrt(2))
    assert paper_curves.drawn_red_sigma(300, 300, 0.399) == 0.0


def test_thm4_explicit_constant_4_8():
    """(4.8) with eps -> 0: sigma = sqrt((d-n)/d) g(theta) / (2 sqrt(log n))."""
    assert paper_curves.thm4_explicit_sigma(600, 300, 90) == pytest.approx(
        math.sqrt(0.5) / (2 * math.sqrt(math.log(300))))
    assert paper_curves.thm4_explicit_sigma(600, 300, 180) == pytest.approx(
        paper_curves.thm4_explicit_sigma(600, 300, 90))
    assert paper_curves.thm4_explicit_sigma(600, 300, 30) == pytest.approx(
        0.5 * paper_curves.thm4_explicit_sigma(600, 300, 90))
    assert paper_curves.thm4_explicit_sigma(450, 300, 0) == 0.0


def test_thm4_jl_factor_by_simulation():
    """The factor sqrt((d-n)/d) of (4.8) is E||Phi^T mu||^2 = (d-n)/d ||mu||^2 for Phi an
    orthonormal basis of null(Z_1^T), Z_1 a d x n Gaussian matrix (exact: a uniformly random
    (d-n)-dimensional subspace). 400 draws at n = 20, d = 50: standard error ~0.004."""
    rng = np.random.default_rng(20261201)
    n, d = 20, 50
    mu = np.zeros(d)
    mu[0] = 1.0
    vals = []
    for _ in range(400):
        Z1 = rng.standard_normal((d, n))
        Q, _ = np.linalg.qr(Z1, mode="complete")
        Phi = Q[:, n:]                       # orthonormal basis of null(Z_1^T)
        vals.append(float(np.sum((Phi.T @ mu) ** 2)))
    assert np.mean(vals) == pytest.approx((d - n) / d, abs=0.015)


def test_thm5a_2_16_and_thm5b_2_17_values():
    """(2.16) eps -> 0 and (2.17), against hand-evaluated numbers."""
    assert paper_curves.thm5a_sigma(500, 250, 4, 1.0) == pytest.approx(0.0776651003)
    assert paper_curves.thm5a_sigma(250, 250, 4, 1.0) == 0.0
    assert paper_curves.thm5a_sigma(500, 250, 4, 0.0) == 0.0
    assert paper_curves.thm5b_d_over_n(300, 2) == pytest.approx(1.8204643129)
    assert paper_curves.thm5b_d_over_n(250, 4) == pytest.approx(3.0749824526)


def test_paper_panel_curves_masks_and_inapplicable_curves():
    d = np.arange(30, 61, 3)
    sig = np.array([0.0, 0.05, 0.1, 0.3, 0.8])
    for angle in (180.0, 30.0, 0.0):
        M = D.mean_matrix("angle", 2, 3, 1.0, angle)
        cur = paper_curves.paper_panel_curves(M, 30, d, sig, angle_deg=angle, drawn_C=0.399,
                                   starts=2)
        for name, (_g, kind, _l) in paper_curves.PAPER_CURVES.items():
            c = cur.certified.sel(curve=name).values == 1
            if kind == "sigma":
                smax = cur.certified_sigma_max.sel(curve=name).values
                assert np.array_equal(c, smax[:, None] > sig[None, :]), name
            elif kind == "d":
                thr = float(cur.d_over_n_threshold.sel(curve=name))
                want = (d / 30 >= thr - 1e-12)[:, None] & (sig > 0)[None, :]
                assert np.array_equal(c, want), name     # sigma = 0: the means, rank K
        assert np.isnan(cur.boundary_d_over_n.sel(curve="ours_predicted").values[0])
        assert float(cur.d_over_n_threshold.sel(curve="paper_thm3b")) == 2.0
        if angle == 0.0:      # mu_1 = mu_2: no sigma-curve of a proof certifies anything
            for name in ("paper_thm4_4_8", "paper_thm5a_2_16", "ours_union"):
                assert cur.certified.sel(curve=name).sum() == 0, name
        if angle == 180.0:    # Pi has rank 1: Theorem 5(a) does not apply
            assert cur.certified.sel(curve="paper_thm5a_2_16").sum() == 0
            assert cur.certified.sel(curve="paper_thm4_4_8").sum() > 0


def test_curve_scores_by_hand():
    """capture, soundness shares and the largest gap on a 3 x 2 example."""
    p = xr.DataArray([[0.0, 0.0], [1.0, 0.4], [1.0, 1.0]], dims=("d", "sigma"),
                     coords={"d": [10, 20, 30], "sigma": [0.1, 0.2]})
    x = np.array([1.0, 2.0, 3.0])
    cert = np.zeros((2, 3, 2), dtype=np.int8)
    cert[0, 1:, 0] = 1           # curve a: certifies (20, .1), (30, .1): both feasible
    cert[1, :, 1] = 1            # curve b: certifies the whole sigma = .2 column
    cur = xr.Dataset({"certified": (("curve", "d", "sigma"), cert),
                      "boundary_d_over_n": (("curve", "sigma"), [[2.0, np.nan], [1.0, 1.0]])},
                     coords={"curve": ["a", "b"]})
    sc = paper_curves.curve_scores(cur, p, x, 0.95)
    assert sc.capture.values.tolist() == [2 / 3, 1 / 3]       # feasible cells: 3
    assert sc.certified_infeasible.values.tolist() == [0.0, 1 / 3]
    assert sc.certified_not_feasible.values.tolist() == [0.0, 2 / 3]
    # empirical 50%: sigma .1 crosses between d/n 1 and 2 at 1.5; sigma .2 at 2 + 0.1/0.6
    assert sc.empirical_50.values == pytest.approx([1.5, 2 + 0.1 / 0.6])
    assert sc.max_gap.values == pytest.approx([0.5, 1 + 0.1 / 0.6])


def test_paper_figure_dataset_and_drawing(tmp_path):
    """A toy Figure 1 end to end: verdicts -> curves and scores -> the drawing (two rows:
    class-1 rate and P(all); one column per angle; every applicable curve in the legend)."""
    from shallownc import phase
    from shallownc import sweep as SW
    from shallownc.paper import plot_lp

    block = {"geometry": "angle", "K": 2, "n": 8, "mean_norm": 1.0, "angle_deg": [90, 0],
             "d": {"start": 8, "step": 2, "count": 5}, "sigma": {"start": 0.0, "step": 0.3,
                                                             "count": 3},
             "trials": 2, "trials_per_job": 2, "classes": "all", "search": "bisect_d",
             "level": 0.95, "delta": 0.05, "drawn_red_C": [0.399, None], "prediction_starts": 2}
    grids = paper_lp.paper_grids("fig1", block)
    panels = {name: SW.combine([paper_lp.paper_run_job(g, j, 1, F.SolverOptions(), (0, 1))
                                for j in g.jobs(2)], phase.GRID_ATTRS)
              for name, g in grids.items()}
    ds = paper_curves.paper_figure_dataset(panels, grids, block)
    assert ds.p_class1.dims == ("panel", "d", "sigma") and "p_all" in ds
    assert ds.score_capture.dims == ("panel", "quantity", "curve")
    assert set(ds.quantity.values) == {"class1", "all"}
    assert all("description" in ds[v].attrs for v in ds.data_vars)
    fig = plot_lp.fig_paper_lp(ds, "fig1")
    heat = [ax for ax in fig.axes if ax.get_title()]
    assert len(heat) == 4
    # the paper's orientation: sigma along x, d/n growing downwards; one row per angle
    assert heat[0].get_xlim()[0] < heat[0].get_xlim()[1] <= 0.6 + 1e-9 + 0.15
    assert heat[0].get_ylim()[0] > heat[0].get_ylim()[1]              # inverted: d/n down
    assert [a.get_title().split(":")[0] for a in heat] == ["θ = 90°"] * 2 + ["θ = 0°"] * 2
    head = fig.legends[0].get_title().get_text()
    assert "shared across sigma and d" in head and "2 trials per cell" in head
    assert ds.attrs["search"] == "bisect_d"
    labels = {t.get_text() for leg in fig.legends for t in leg.get_texts()}
    assert "paper red, as drawn: C sqrt((d-n)/d)" in labels
    assert any("predicted" in t for t in labels)
