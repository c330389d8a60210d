"""shallownc.training.cells: the one sweep that trains (train_cells) and its one network-seed
convention, shared by the training stage, the verdict, the paper figures and generalization."""
import numpy as np
import pytest

from shallownc.config import validate
from shallownc.data import GMMSpec, cell_seed
from shallownc.training.cells import draw_cells, network_seed, train_cells


@pytest.fixture(scope="module")
def section():
    return validate({"training": {"device": "cpu", "dtype": "float64", "checkpoint_dir": None,
                                  "theory": {"train": {"width": 4, "epochs": 6, "n_eval": 4,
                                                       "lr": 0.2}}}})["training"]


def _draw(c):
    X, y, _M, _s = GMMSpec("antipodal", 2, 3, c["d"], c["sigma"]).draw(5, c["trial"])
    return X, y


def test_network_seed_is_cell_seed_with_purpose_network():
    assert network_seed(7, "verdict", 2, d=6, sigma=0.5) == cell_seed(
        7, 2, purpose="network", experiment="verdict", d=6, sigma=0.5) % 2 ** 63
    assert network_seed(7, "verdict", 2, d=6, sigma=0.5) != network_seed(7, "paper_fig3", 2,
                                                                         d=6, sigma=0.5)


def test_a_run_does_not_depend_on_the_other_cells_of_the_batch(section):
    """Full batch, float64: cell B trained alone == cell B trained beside cell A (seeds and
    data are functions of the cell only)."""
    a, b = {"d": 4, "sigma": 0.3, "trial": 0}, {"d": 4, "sigma": 1.0, "trial": 1}
    rec = section["theory"]["train"]
    both = train_cells([a, b], _draw, rec, section, base_seed=5, experiment="t", name="ab")
    alone = train_cells([b], _draw, rec, section, base_seed=5, experiment="t", name="b")
    assert both.data.seeds[1] == alone.data.seeds[0] == network_seed(5, "t", 1, d=4, sigma=1.0)
    np.testing.assert_allclose(both.result.W1[1], alone.result.W1[0], rtol=1e-12)
    np.testing.assert_allclose(both.result.objective[1], alone.result.objective[0], rtol=1e-12)


def test_lp_values_and_shared_data(section):
    cells = [{"d1": 3, "trial": t} for t in range(3)]
    calls = []

    def draw(c):
        calls.append(c)
        return _draw({"d": 4, "sigma": 0.3, "trial": 0})

    data = draw_cells(cells, draw, base_seed=1, experiment="s", shared=True,
                      lp=lambda X, y, c: (1, c["trial"]))
    # shared: one data set, drawn once, one LP value
    assert len(calls) == 1 and data.lp_status.tolist() == [1] and data.lp == [(1, 0)]
    assert len(set(data.seeds)) == 3
    with pytest.raises(ValueError, match="at least one cell"):
        draw_cells([], draw, base_seed=1, experiment="s")


def test_the_stages_use_the_convention(section):
    """The training stage's runs carry network_seed(base, experiment, trial, d, sigma)."""
    from shallownc import training as T

    exp = validate({"training": {"dynamics": {
        "data": {"n": 3, "n_test": 5}, "train": {"width": 4, "epochs": 2, "n_eval": 4},
        "d_over_n": [2.0], "sigma": [0.5], "trials": 2}}})["training"]["dynamics"]
    ds = T.run_grid(exp, section, 9, "dynamics", 2.0, with_lp=False)
    want = [[network_seed(9, "dynamics", t, d=6, sigma=0.5) for t in range(2)]]
    assert [int(s) for s in ds["seed"].values.ravel()] == want[0]   # stored as text
