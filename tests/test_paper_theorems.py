"""Tests of shallownc.paper.theorems: the bound (2.28) and the Theorem 6 / 7-8 datasets."""
import math

import numpy as np
import pytest
from scipy.special import ndtr
import xarray as xr
from threadpoolctl import threadpool_limits

from shallownc import config
from shallownc.paper import theorems as T


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1):
        yield


def test_bound_228_against_direct_formula():
    """(2.28) evaluated by hand at one point, and monotone in the constants c1, c2."""
    s, d, n = 0.8, 600.0, 50
    inner = s ** 3 * math.exp(-1 / (2 * s * s)) / math.sqrt(2 * math.pi) + s * s + 1 \
        - (0.5 * s * s + 0.2 * s) * math.sqrt(math.log(n) / n)
    A = n / (2 * d) * inner + s * s
    want = 1 - 0.5 * math.erfc(-(A ** -0.5) / math.sqrt(2))
    assert T.bound_228(s, d, n, 0.5, 0.2) == pytest.approx(want, rel=1e-12)
    assert T.bound_228(s, d, n) > T.bound_228(s, d, n, 0.5, 0.2)   # c = 0 is the strongest
    with pytest.raises(ValueError):
        T.bound_228(-1.0, d, n)


def test_bound_228_large_s_asymptotic():
    """For s -> infinity, 1/2 - (2.28) ~ 1/2 - (1 - Phi(sqrt(2 sqrt(2 pi) d/n) s^{-3/2})): the
    paper's sqrt(d/n) s^{-3/2} up to the constant sqrt(2 sqrt(2 pi)) = 2.239."""
    n, d = 20, 200.0
    prev = None
    for s in (1e3, 1e4, 1e5):
        r = (0.5 - T.bound_228(s, d, n)) / (0.5 - T.bound_228_large_s(s, d, n, True))
        assert abs(r - 1) < 0.05 * (1e3 / s) ** 0.5 + 1e-6
        if prev is not None:
            assert abs(r - 1) < abs(prev - 1)
        prev = r
    q = (0.5 - T.bound_228_large_s(1e6, d, n, True)) / (0.5 - T.bound_228_large_s(1e6, d, n))
    assert q == pytest.approx(math.sqrt(2 * math.sqrt(2 * math.pi)), rel=1e-4)
    assert T.bound_228_large_s(1.0, d, n) == pytest.approx(1 - ndtr(math.sqrt(d / n)))


def test_theorem78_dataset_and_agreement():
    c = config.validate({"paper": {"theorem78": {"n": 6, "d_over_n": [1.5, 6.0],
                                                 "snr": [0.5, 2.0], "trials": 2}}})
    ds = T.run_theorem78(c["paper"]["theorem78"], 3, c["solver"])
    assert list(ds.theorem8_applies.values) == [0, 1]        # 2 n log n = 21.5 for n = 6
    assert ds.attrs["normalization"].startswith("paper (2.1)")
    ag = T.theorem78_agreement(ds)
    assert ag["cells"] == int(((ds.nc_all_status == 1) & (ds.theorem8_applies == 1)).sum())
    c = ag["smallest_common_c"]
    ok = ((ds.nc_all_status == 1) & (ds.theorem8_applies == 1)).values
    s, d, lo = xr.broadcast(1.0 / ds.snr, ds.d, ds.best_nc_error_lower)
    b = T.bound_228(s.values, d.values, 6, c, c)
    assert (b[ok] <= lo.values[ok] + 1e-9).all()                 # c makes (2.28) hold ...
    if c > 0:                                                    # ... and a smaller one fails
        b2 = T.bound_228(s.values, d.values, 6, 0.99 * c, 0.99 * c)
        assert (b2[ok] > lo.values[ok]).any()
    for v in ("bound_228", "bound_228_large_s"):
        assert ds[v].dims == ("snr", "d_over_n") and ds[v].attrs["units"] == "1"
        assert ((ds[v] >= 0) & (ds[v] <= 0.5)).all()


def test_theorem6_dataset_toy():
    c = config.validate({"paper": {"theorem6": {"d1_over_N": [0.5, 3.0], "trials": 2,
                                                "mc_samples": 2000, "gaussian": {"n": 8},
                                                "real_data": {"digits": 4}}}})
    ds = T.run_theorem6(c["paper"]["theorem6"], c["paper"]["fig6"], 5, c["solver"])
    assert list(ds.data.values) == ["digits", "gaussian"]
    assert list(ds.N.values) == [40, 16]
    assert (ds.lambda_min_lemma9 < 0).all() and (ds.lambda_min_corrected > 0).all()
    assert np.isnan(ds.threshold_lemma9).all()
    # at d1 = 3N the random features have full rank N and NC holds (Theorem 3(b))
    assert (ds.feature_rank.sel(d1_over_N=3.0) == ds.N).all()
    assert (ds.nc_all_status.sel(d1_over_N=3.0) == 1).all()
    assert (ds.threshold_corrected > 3 * ds.N).all()             # the theorem's width is larger
    for v in ds.data_vars:
        assert ds[v].attrs["description"] and ds[v].attrs["units"] == "1"
