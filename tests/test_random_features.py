"""Random-feature (three-layer) experiment: shallownc.random_features (reports/theory.md §4)."""
import json
import math

import numpy as np
import pytest

from shallownc import config as C
from shallownc import feasibility as F
from shallownc import random_features as rf


def test_rank_width_binomial():
    """eq. R2: smallest d1 with P(Bin(d1, 1/2) >= N) >= 1 - delta; about 2N + O(sqrt N)."""
    N = 40
    d1 = rf.rank_width(N, 0.05)
    from scipy import stats
    assert stats.binom.sf(N - 1, d1, 0.5) >= 0.95 > stats.binom.sf(N - 1, d1 - 1, 0.5)
    assert 2 * N < d1 < 2 * N + 4 * math.sqrt(N)


def test_full_rank_features_make_every_class_lp_feasible():
    """eq. R1: rank relu(W1 X) = N implies every class LP is feasible (verified)."""
    rng = np.random.default_rng(20261201)
    X = rng.standard_normal((3, 12))
    y = np.repeat([0, 1, 2], 4)
    H = rf.features(X, 30, int(rng.integers(1 << 30)))
    assert np.linalg.matrix_rank(H) == 12      # d1 = 30 >= N = 12 at this recorded seed
    nc, _ = F.solve_classes(H, y, separability=False)
    assert all(v.status == F.FEASIBLE for v in nc)
    assert np.all(H >= 0)


def _setting(**kw):
    base = dict(geometry="noise", K=2, n=10, d=5, sigma=1.0, trials=12, mean_norm=0.0,
                angle_deg=120.0, d1_over_N=[0.25, 0.5, 0.75, 1.0, 2.0, 4.0])
    base.update(kw)
    return rf.RFExperiment.from_config("t", base)


def test_run_setting_transition_is_linear_in_n_not_n_log_n():
    """Fresh seeds: infeasible at d1 = n/2, feasible at d1 = 2N; the empirical 50% width lies
    below N and far below n log n... and N log N (measured: near (K+1)n/2, eq. R3)."""
    s = _setting()
    ds = rf.run_setting(s, 20261201, F.SolverOptions(), 0.05)
    p = (ds.nc_all_status == F.FEASIBLE).mean("trial")
    assert float(p.sel(d1=5)) == 0.0
    assert float(p.sel(d1=40)) == 1.0 and float(p.sel(d1=80)) == 1.0
    assert (ds.nc_all_status != F.UNDECIDED).all()
    e = ds.attrs["empirical_d1_50"]
    assert 10 <= e <= 20, e                         # N = 20, (K+1)n/2 - 1/2 = 14.5
    assert e < ds.attrs["ref_n_log_n"] + 1 and e < ds.attrs["ref_N_log_N"]
    for v in ds.data_vars:
        assert "description" in ds[v].attrs, v
    # rank N (d1 >= N) is reached and always makes the LPs feasible
    assert s.widths == (5, 10, 15, 20, 40, 80)
    full = ds.feature_rank == s.grid.K * s.grid.n
    assert bool(((ds.nc_all_status == F.FEASIBLE) | ~full).all())


def test_settings_from_config(schema_dir):
    cfg = {"bounds": {"random_features": {"a": {"geometry": "orthogonal", "K": 2, "n": 10,
                                                "d": 4, "sigma": 0.5,
                                                "d1_over_N": [0.5, 1.0, 1.0001],
                                                "trials": 2}}}}
    C.validate(cfg, schema_dir)
    s = rf.settings_from_config(cfg)["a"]
    assert s.widths == (10, 20) and s.grid.mean_norm == 1.0  # duplicates after rounding merged
    assert rf.RFExperiment.from_dict(json.loads(json.dumps(s.as_dict()))) == s
    with pytest.raises(C.ConfigError, match="geometry"):
        C.validate({"bounds": {"random_features": {"a": {"geometry": "x", "K": 2, "n": 3,
                    "d": 2, "sigma": 1, "d1_over_N": [1, 2], "trials": 1}}}}, schema_dir)


@pytest.mark.parametrize("m, n, r", [(30, 50, 30), (50, 30, 30), (40, 40, 17), (60, 45, 0)])
def test_numerical_rank_matches_the_svd_rank(m, n, r):
    rng = np.random.default_rng(m + n + r)
    H = rng.standard_normal((m, r)) @ rng.standard_normal((r, n)) if r else np.zeros((m, n))
    assert rf.numerical_rank(H) == np.linalg.matrix_rank(H) == r
    F1 = np.maximum(rng.standard_normal((m, 5)) @ rng.standard_normal((5, n)), 0)
    F1[:, 1] = F1[:, 0]                        # a repeated sample: never full column rank
    assert rf.numerical_rank(F1) == np.linalg.matrix_rank(F1)
