"""The grid model (shallownc.grid): construction from config, jobs, seeds, common noise."""
import numpy as np
import pytest
import yaml

from shallownc import config as C
from shallownc import data as D
from shallownc import phase
from shallownc.grid import Cell, Grid, parse_job

BASE = 20240903  # config.yaml's seed


@pytest.fixture(scope="module")
def grids(root, schema_dir):
    cfg = C.validate(yaml.safe_load((root / "config.yaml").read_text()), schema_dir)
    return phase.grids_from_config(cfg)


@pytest.mark.parametrize("name,d,sigma,trial,expected", [
    # seeds stored by main's code (commit 72de92d) in the default run's feasibility NetCDFs
    ("k2_antipodal", 15, 1.0, 3, 15883859820419128928),
    ("k3_orthogonal", 15, 1.0, 3, 4245420859048948803),
    ("noise_k2", 40, 1.0, 3, 17603030620511976149),
    ("digits", 4, 0.0, 3, 12888477213179378027),
])
def test_seeds_bit_identical_to_previous_pipeline(grids, name, d, sigma, trial, expected):
    assert grids[name].seed(BASE, d, sigma, trial) == expected


def test_gmm_seed_equals_gmmspec_and_draw_is_identical():
    g = Grid("g", "phase", "gmm", "angle", 2, 7, (9, 12), (0.1, 0.5), 3, 1.0, 60.0)
    spec = D.GMMSpec("angle", 2, 7, 12, 0.5, 1.0, 60.0)
    assert g.seed(5, 12, 0.5, 2) == spec.seed(5, 2)
    X, y, seed, snr = Cell(g, 12, (0.5,), 2).draw(5, 0.5)
    X2, y2, M2, seed2 = spec.draw(5, 2)
    assert seed == seed2 and np.array_equal(X, X2) and np.array_equal(y, y2)
    assert snr == pytest.approx(D.snr(M2, 0.5))


def test_common_noise_shares_z_across_sigma_only():
    g = Grid("p", "paper", "gmm", "orthogonal", 3, 5, (8, 10), (0.0, 0.2, 0.7), 2,
             common_noise=True)
    c = Cell(g, 10, g.sigma, 1)
    assert len({c.seed(3, s) for s in g.sigma}) == 1          # sigma excluded
    assert g.seed(3, 8, 0.2, 1) != g.seed(3, 10, 0.2, 1)      # d included
    assert g.seed(3, 10, 0.2, 0) != g.seed(3, 10, 0.2, 1)     # trial included
    M, y, Z, seed = c.draw_common(3)
    for s in g.sigma:
        X, y1, seed1, _ = c.draw(3, s)
        assert seed1 == seed and np.array_equal(X, M[:, y] + s * Z)
    X0, *_ = c.draw(3, 0.0)
    assert np.array_equal(X0, M[:, y])                          # sigma = 0: the means exactly
    # a grid without common noise draws independent noise per sigma
    g2 = Grid("q", "phase", "gmm", "orthogonal", 3, 5, (10,), (0.2, 0.7), 2)
    Xa, *_ = Cell(g2, 10, (0.2,), 1).draw(3, 0.2)
    Xb, *_ = Cell(g2, 10, (0.7,), 1).draw(3, 0.7)
    assert not np.allclose((Xa - M[:, y]) / 0.2, (Xb - M[:, y]) / 0.7)


def test_cells_jobs_and_parse():
    g = Grid("g", "phase", "gmm", "antipodal", 2, 10, (5, 15), (0.1, 0.2), 5)
    assert g.jobs(2) == ["d5_t0-2", "d5_t2-4", "d5_t4-5", "d15_t0-2", "d15_t2-4", "d15_t4-5"]
    assert parse_job("d15_t2-4") == (15, 2, 4)
    with pytest.raises(ValueError, match="bad job name"):
        parse_job("x15")
    assert [(c.sigmas, c.trial) for c in g.cells(5, [0, 1])] == \
        [((0.1,), 0), ((0.1,), 1), ((0.2,), 0), ((0.2,), 1)]
    gc = Grid("g", "paper", "gmm", "antipodal", 2, 10, (5,), (0.1, 0.2), 5, common_noise=True)
    assert [(c.sigmas, c.trial) for c in gc.cells(5, [3])] == [((0.1, 0.2), 3)]


def test_from_config_and_dict_round_trip():
    block = {"geometry": "angle", "K": 2, "n": 10, "d_over_n": [1.0, 1.55], "sigma": [0.1],
             "trials": 4, "mean_norm": 1.0, "angle_deg": 30}
    g = Grid.from_config("a", block)
    assert g.d == (10, 16) and g.angle_deg == 30.0 and not g.common_noise
    g2 = Grid.from_config("b", {**block, "d": [10, 20]}, "paper", common_noise=True)
    assert g2.d == (10, 20) and g2.common_noise and g2.kind == "paper"
    import json
    assert Grid.from_dict(json.loads(json.dumps(g2.as_dict()))) == g2
    with pytest.raises(ValueError, match="unknown grid field"):
        Grid.from_dict({**g.as_dict(), "bogus": 1})


def test_bad_grids_are_rejected():
    with pytest.raises(ValueError, match="unknown kind"):
        Grid("g", "nope", "gmm", "antipodal", 2, 10, (5,), (0.1,), 1)
    with pytest.raises(ValueError, match="at least one"):
        Grid("g", "phase", "gmm", "antipodal", 2, 10, (), (0.1,), 1)
    with pytest.raises(ValueError, match="common_noise"):
        Grid("g", "real", "digits", "digits", 2, 10, (5,), (0.0,), 1, common_noise=True)
