"""`shallownc decide` (shallownc.decide): verdicts on data with known answers, bad input."""
import numpy as np
import pytest
import xarray as xr

from shallownc import cli
from shallownc import data as D
from shallownc import decide as DC
from shallownc import feasibility as F
from shallownc import io, upfm, upfm_imbalanced


def _npz(tmp_path, X, y, name="d.npz"):
    path = tmp_path / name
    np.savez(path, X=np.asarray(X, float), y=np.asarray(y))
    return path


def _check_proofs(dec, X_rows, y):
    """Every verdict re-checked from scratch on the user's layout (rows = samples)."""
    labels = np.unique(y)
    for k, lab in enumerate(labels):
        own, other = X_rows[y == lab], X_rows[y != lab]
        v = dec.nc[k]
        if v.status == F.FEASIBLE:
            assert np.abs(own @ v.w - 1).max() < 1e-7 and (other @ v.w).max() < 1e-7
        else:
            assert v.status == F.INFEASIBLE and v.proof in ("float_bound", "exact_rational")
            yy, zz = v.certificate
            assert zz.min(initial=0) >= 0 and yy.sum() < 0
            r = own.T @ yy + other.T @ zz
            assert np.abs(r).max() <= 1e-9 * (np.abs(yy).sum() + zz.sum())


def test_full_rank_data_is_collapsed_by_theorem_3b(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((12, 20)), np.repeat([4, 9, 2], 4)   # N = 12 <= d = 20
    text, dec = DC.run(_npz(tmp_path, X, y))
    assert dec.rank == 12 and dec.nc_all == F.FEASIBLE and dec.all_proofs
    assert list(dec.labels) == [2, 4, 9] and list(dec.counts) == [4, 4, 4]
    assert all(v.status == F.FEASIBLE for v in dec.sep)
    assert "Theorem 3(b)" in text and "every verdict is a proof" in text
    _check_proofs(dec, X, y)


def test_cone_data_infeasible_with_exact_proofs(tmp_path):
    # class 0 = {e1, e2}, class 1 = {e1 + e2}: mu_1 in the cone of class 0 and the class-0
    # LP needs w1 = w2 = 1 with w1 + w2 <= 0: both class LPs infeasible, nothing separable
    X, y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0, 0, 1])
    text, dec = DC.run(_npz(tmp_path, X, y))
    assert [v.status for v in dec.nc] == [F.INFEASIBLE, F.INFEASIBLE]
    assert [v.status for v in dec.sep] == [F.INFEASIBLE, F.INFEASIBLE]
    assert dec.all_proofs and "no NC" in text
    _check_proofs(dec, X, y)


def test_duplicate_point_across_classes_is_infeasible(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10, 30))
    X[7] = X[2]                                    # sample 2 (class 0) repeated in class 1
    y = np.repeat([0, 1], 5)
    _, dec = DC.run(_npz(tmp_path, X, y))
    assert [v.status for v in dec.nc] == [F.INFEASIBLE, F.INFEASIBLE]
    assert [v.status for v in dec.sep] == [F.INFEASIBLE, F.INFEASIBLE]
    assert dec.rank == 9 and dec.all_proofs
    _check_proofs(dec, X, y)


def test_gaussian_mixture_below_full_rank_matches_the_engine(tmp_path):
    spec = D.GMMSpec("orthogonal", 3, 20, 45, 0.3)
    Xc, yc, _M, _s = spec.draw(7, 0)
    _, dec = DC.run(_npz(tmp_path, Xc.T, yc))
    ref, _ = F.solve_classes(Xc, yc, F.SolverOptions(), separability=False)
    assert [v.status for v in dec.nc] == [v.status for v in ref]
    assert dec.rank == 45 < dec.N
    _check_proofs(dec, Xc.T, yc)


def test_upfm_optimum_and_netcdf_output(tmp_path):
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((6, 10)), np.repeat([0, 1], 3)
    out = tmp_path / "v.nc"
    text, dec = DC.run(_npz(tmp_path, X, y), 1e-3, 1e-4, out)
    want = upfm.closed_form("ce", "upfm", 2, 3, 1e-3, 1e-4).value
    assert dec.upfm_value == pytest.approx(want, rel=1e-12) and "F* =" in text
    ds = io.read_netcdf(out)
    assert ds.sizes["class"] == 2 and float(ds["upfm_value"]) == pytest.approx(want)
    np.testing.assert_array_equal(ds["nc_status"].values, [v.status for v in dec.nc])
    assert int(ds["nc_all_status"]) == F.FEASIBLE and io.cf_problems(out) == []


def test_csv_with_header_and_netcdf_in_the_projects_layout(tmp_path):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((8, 3)), np.array([1, 1, 2, 2, 3, 3, 1, 2])
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,c,label\n" + "\n".join(",".join(map(repr, r.tolist())) + f",{lab}"
                                                for r, lab in zip(X, y)))
    Xc, yc = DC.read_data(csv)
    np.testing.assert_array_equal(Xc, X.T)
    np.testing.assert_array_equal(yc, y)
    ds = D.to_dataset(X.T, y - 1, seed=0, sigma=0.0, source="test")   # X(feature, sample)
    nc = tmp_path / "d.nc"
    io.write_netcdf(ds, nc)
    Xn, yn = DC.read_data(nc)
    np.testing.assert_allclose(Xn, X.T)
    np.testing.assert_array_equal(yn, y - 1)


@pytest.mark.parametrize("X, y, match", [
    (np.array([[0.0, np.nan], [1.0, 2.0]]), [0, 1], "NaN or infinite"),
    (np.ones((3, 2)), [5, 5, 5], "at least two classes"),
    (np.ones((3, 2)), [0, 1], "3 samples .* 2 labels"),
    (np.ones((2, 2)), [0.5, 1.0], "labels must be integers"),
    (np.ones((0, 2)), np.zeros(0, int), "no samples"),
])
def test_bad_npz_input_gets_one_clear_line(tmp_path, X, y, match):
    with pytest.raises(DC.DataError, match=match) as err:
        DC.read_data(_npz(tmp_path, X, y))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("content, match", [
    ("", "empty file"), ("x,label\n", "no data rows"), ("1,2,cat\n3,4,dog\n", "integers"),
    ("1,2,0\n3,0\n", "different numbers of columns"), ("1,nan,0\n2,3,1\n", "NaN"),
])
def test_bad_csv_input_gets_one_clear_line(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(DC.DataError, match=match):
        DC.read_data(p)


def test_cli_exit_status_and_errors(tmp_path, capsys):
    X, y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0, 0, 1])
    assert cli.main(["decide", str(_npz(tmp_path, X, y))]) == 0
    assert "INFEASIBLE" in capsys.readouterr().out
    assert cli.main(["decide", str(tmp_path / "missing.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "file not found" in err
    assert cli.main(["decide", str(_npz(tmp_path, X, y)), "--lambda-W", "0.1"]) == 2


def test_undecided_verdict_gives_exit_status_1(tmp_path, monkeypatch, capsys):
    X, y = np.eye(3), np.array([0, 1, 1])

    def undecided(X, y, opts, separability=True):
        K = int(y.max()) + 1
        return ([F.Verdict(F.UNDECIDED, reason="test") for _ in range(K)],
                [F.Verdict(F.UNDECIDED, reason="test") for _ in range(K)])

    monkeypatch.setattr(F, "solve_classes", undecided)
    assert cli.main(["decide", str(_npz(tmp_path, X, y))]) == 1
    assert "NOT every verdict is a proof" in capsys.readouterr().out


def test_imbalanced_classes_margins_and_vanishing_minority(tmp_path):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((13, 30)), np.repeat([0, 1, 2], [6, 6, 1])   # N = 13 <= d
    K, N = 3, 13
    # lambda_W lambda_H between the thresholds (K-1) n_k / (K N^2) of the minority (n = 1)
    # and the majority (n = 6): the minority's features vanish, the others collapse
    thr = upfm_imbalanced.class_thresholds("ce", K, [6, 6, 1])
    lam = float(np.sqrt(np.sqrt(thr[2] * thr[0])))
    text, dec = DC.run(_npz(tmp_path, X, y), lam, lam, tmp_path / "o.nc")
    cf = upfm_imbalanced.closed_form("ce", "upfm", K, [6, 6, 1], lam, lam)
    assert dec.upfm_value == pytest.approx(cf.value, rel=1e-12)
    assert list(dec.margins > 0) == [True, True, False]
    assert "vanish at the minimizer for label(s) 2" in text
    assert "collapsed to their class means (margin t_k > 0): label(s) 0, 1" in text
    ds = io.read_netcdf(tmp_path / "o.nc")
    np.testing.assert_allclose(ds["upfm_margin"].values, cf.scales)
