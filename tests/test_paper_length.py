"""shallownc.paper.paper_length: the committed paper-length Figure 3 cells (issue 26) and the
paper's curves extracted from its PDF."""
from pathlib import Path

import numpy as np
import pytest

from shallownc.paper import paper_length as P

ROOT = Path(__file__).resolve().parents[1]
DIR = ROOT / "reports" / "runs" / "fig3_paper_length"
CELLS = sorted(DIR.glob("cells/*.nc"))


def test_summed_step_is_the_paper_schedule_in_closed_form():
    # lr 0.1 for epochs [0, 33334), 0.01 for [33334, 66667), 0.001 after (ceil(m E) edges)
    T = P.summed_step(0.1, 100_000, 6, (1 / 3, 2 / 3), 0.1, "step")
    exact = 6 * (0.1 * 33334 + 0.01 * 33333 + 0.001 * 33333)
    assert T == pytest.approx(exact, rel=1e-12)
    assert P.summed_step(1.0, 300, 60, (), 0.1, "constant") == 1.0 * 300 * 60
    # the linear scaling rule's pair: batch 10 at lr 0.1 and batch 100 at lr 1.0 (N = 600)
    assert P.summed_step(0.1, 999, 60, (1 / 3, 2 / 3)) == pytest.approx(
        P.summed_step(1.0, 999, 6, (1 / 3, 2 / 3)), rel=1e-12)


def test_extracted_paper_curves_are_complete_and_on_the_axes():
    t = P.read_paper(DIR / "paper_figures.csv")
    f3 = t[(t.figure.astype(str) == "3")]
    assert len(f3) == 36 and set(f3.d) == {330, 390, 450, 600, 900, 1200}
    assert ((f3.value > 1e-8) & (f3.value < 1e-2)).all()      # Figure 3's y axis 1e-7 .. 1e-3
    for fig in ("4", "5"):
        f = t[t.figure.astype(str) == fig]
        assert set(f.metric) == {"nc1", "nc2_h_paper", "nc2_w_paper", "nc3_paper"}
        assert f.groupby(["metric", "d"]).size().min() >= 90   # ~100 points per curve
        assert f.epoch.astype(float).max() == pytest.approx(1e5, rel=0.01)
    # the paper's Figure 3 sigma = 0.18 series: "below 1e-4 for all d/n except 1.1" (Sec. 3.2)
    s = f3[np.isclose(f3.sigma, 0.18)].sort_values("d")
    assert s.value.iloc[0] > 1e-4 and (s.value.iloc[1:] < 1e-4).all()
    final = P.paper_final(t)
    assert final.paper_fig45_nc1.notna().sum() == 12           # 6 d x sigma 0.18, 1.42


def test_read_cells_refuses_an_empty_list():
    with pytest.raises(ValueError, match="no paper-length runs"):
        P.read_cells([])


@pytest.mark.skipif(not CELLS, reason="no committed paper-length runs")
def test_committed_cells_are_paper_length_with_provenance():
    t = P.read_cells(CELLS)
    assert (t.epochs == 100_000).all(), "a committed cell is not at the paper's length"
    # a commit of this repository (-dirty: tracked files were edited when the file was written;
    # reports/runs/fig3_paper_length/README.md says which)
    assert t.git_commit.str.fullmatch(r"[0-9a-f]{40}(-dirty)?").all() and (t.machine != "").all()
    assert not t.duplicated(["recipe", "sigma", "d", "trial"]).any()
    assert (t.lp_status == 1).sum() > 0 and t.nc1.notna().all()
    c = P.comparison(t, P.read_paper(DIR / "paper_figures.csv"))
    assert c.paper_fig3_nc1.notna().all()                     # every cell is one of the paper's
    # NC2_W (3.3) for K = 2 shrinks with prod(1 - eta_t lambda_W) (reports/paper.md F3L§2):
    # no run ends above 10 x exp(-lambda_W T) or the float32 floor of its weights (the runs
    # end at 2e-8 ... 1.1e-6 where exp(-lambda_W T) is 2e-10 or less)
    assert (c.nc2_w <= 10 * np.exp(-c.lambda_W * c.summed_step) + 5e-6).all()


def test_implied_batch_recovers_the_batch_of_a_run_that_follows_the_same_curve():
    # our curve: NC1 = 0.1 (1 + T)^(-0.8) sampled on a grid of T; a "paper" run with batch 4 at
    # lr 0.1, N = 600, the step schedule over 3000 epochs has T(e) = 0.1 (600/4) F(e)
    from shallownc.training.spec import lr_factor

    T = np.r_[0.0, np.logspace(0, 7, 400)]
    nc1 = 0.1 * (1 + T) ** -0.8
    F = np.cumsum([0.0] + [lr_factor("step", e, 3000) for e in range(3000)])
    epochs = np.array([10, 100, 999, 1500, 2500])
    Tp = 0.1 * 150 * F[epochs]
    B = P.implied_batch(T, nc1, epochs, 0.1 * (1 + Tp) ** -0.8, lr=0.1, N=600, epochs=3000)
    assert np.allclose(B, 4.0, rtol=2e-3)
    # a value our curve never reaches has no implied batch
    assert np.isnan(P.implied_batch(T, nc1, [100], [1e-12], 0.1, 600, 3000)[0])
