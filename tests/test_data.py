"""Gaussian mixtures, seeds, the digits data, and NetCDF round trips with provenance."""
import numpy as np
import pytest
import xarray as xr

from shallownc import data as D
from shallownc import io


def test_mean_geometries():
    r = 2.0
    M = D.mean_matrix("orthogonal", 3, 5, r)
    assert np.allclose(M.T @ M, r**2 * np.eye(3))
    M = D.mean_matrix("antipodal", 2, 4, r)
    assert np.allclose(M[:, 1], -M[:, 0]) and np.isclose(np.linalg.norm(M[:, 0]), r)
    M = D.mean_matrix("angle", 2, 4, r, angle_deg=120)
    cos = M[:, 0] @ M[:, 1] / (np.linalg.norm(M[:, 0]) * np.linalg.norm(M[:, 1]))
    assert np.isclose(cos, np.cos(np.deg2rad(120)))
    M = D.mean_matrix("random", 3, 4000, r, rng=np.random.default_rng(0))
    assert np.allclose(np.linalg.norm(M, axis=0), r, rtol=0.05)
    assert not D.mean_matrix("noise", 3, 4).any()


@pytest.mark.parametrize("geometry,K,d", [("antipodal", 3, 4), ("orthogonal", 3, 2),
                                          ("triangle", 2, 4)])
def test_mean_geometry_errors(geometry, K, d):
    with pytest.raises(ValueError):
        D.mean_matrix(geometry, K, d)


def test_sample_statistics():
    spec = D.GMMSpec("orthogonal", 2, 4000, 3, sigma=0.5, mean_norm=1.0)
    X, y, M, _ = spec.draw(1, 0)
    assert X.shape == (3, 8000) and (np.bincount(y) == 4000).all()
    for k in range(2):
        Xk = X[:, y == k]
        assert np.allclose(Xk.mean(axis=1), M[:, k], atol=0.05)
        assert np.allclose(Xk.std(axis=1), 0.5, atol=0.03)


def test_seeds_depend_on_cell_not_on_order():
    a = D.GMMSpec("antipodal", 2, 5, 7, 0.1)
    b = D.GMMSpec("antipodal", 2, 5, 7, 0.2)
    Xa1 = a.draw(3, trial=4)[0]
    b.draw(3, trial=4)  # another cell drawn in between changes nothing
    assert np.array_equal(Xa1, a.draw(3, trial=4)[0])
    assert not np.array_equal(Xa1, a.draw(3, trial=5)[0])
    assert not np.array_equal(Xa1, b.draw(3, trial=4)[0])
    assert D.cell_seed(1, 0, x=0.1) != D.cell_seed(1, 0, x=0.10000001)


def test_snr_definition():
    M = D.mean_matrix("orthogonal", 2, 100, 3.0)
    assert np.isclose(D.snr(M, 0.3), 3.0 / (0.3 * 10))


def test_gmm_netcdf_roundtrip(tmp_path):
    spec = D.GMMSpec("angle", 2, 6, 5, 0.1, angle_deg=100)
    ds = D.gmm_dataset(spec, 11, trial=2)
    p = io.write_netcdf(ds, tmp_path / "x.nc", {"seed": 11})
    back = io.read_netcdf(p, required_vars=["X", "label", "means"])
    xr.testing.assert_allclose(back[["X", "label", "means"]], ds[["X", "label", "means"]])
    for key in ("config_json", "package_versions_json", "git_commit", "snr_definition",
                "generator_version", "seed"):
        assert key in back.attrs
    assert back.X.dims == ("feature", "sample")
    assert np.issubdtype(type(back.attrs["seed"]), np.integer)  # an integer, not text
    X, *_ = spec.draw(11, 2)
    assert np.array_equal(back.X.values, X)


def test_digits_dataset():
    ds = D.digits_dataset([0, 1, 7])
    assert ds.sizes["feature"] == 64 and ds.attrs["K"] == 3
    assert set(np.unique(ds.label.values)) == {0, 1, 2}
    # real images: no seed, no noise level, no SNR (they were NaN or 0 "noise" before)
    assert not {"seed", "sigma", "snr", "snr_definition"} & set(ds.attrs)
    assert "sigma" not in ds.X.attrs["description"]
    Xs, ys = D.subsample_project(ds.X.values, ds.label.values, 10, 16, seed=3)
    assert Xs.shape == (16, 30) and (np.bincount(ys) == 10).all()
    Xr, _ = D.subsample_project(ds.X.values, ds.label.values, 10, None, seed=3)
    assert Xr.shape == (64, 30)
    with pytest.raises(ValueError, match="only"):
        D.subsample_project(ds.X.values, ds.label.values, 1000, 16, seed=3)


def test_read_netcdf_errors(tmp_path):
    with pytest.raises(io.InputError, match="not found"):
        io.read_netcdf(tmp_path / "missing.nc")
    bad = tmp_path / "corrupt.nc"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"garbage" * 50)
    with pytest.raises(io.InputError, match="corrupt"):
        io.read_netcdf(bad)
    ok = io.write_netcdf(xr.Dataset({"a": ("x", [1.0])}), tmp_path / "ok.nc")
    with pytest.raises(io.InputError, match="lacks variable"):
        io.read_netcdf(ok, required_vars=["b"])
    with pytest.raises(io.InputError, match="lacks dimension"):
        io.read_netcdf(ok, required_dims=["y"])


def test_nonfinite_data_rejected_naming_file_and_variable(tmp_path):
    ds = D.gmm_dataset(D.GMMSpec("antipodal", 2, 4, 3, 0.1), 1)
    X = ds.X.values.copy()
    X[0, 2] = np.nan
    with pytest.raises(ValueError, match=r"file\.nc: variable 'X' has 1 NaN"):
        D.dataset_arrays(ds.assign(X=(("feature", "sample"), X)), "file.nc")
    with pytest.raises(ValueError, match="variable 'X'"):
        D.to_dataset(X, ds.label.values, seed=0, sigma=0.1, source="gmm")
    Xg, yg = D.dataset_arrays(ds, "ok.nc")
    assert Xg.shape == (3, 8) and yg.dtype == np.int64


def test_common_noise_across_sigma():
    M = D.mean_matrix("orthogonal", 3, 5)
    Z = D.gmm_noise(5, 3, 4, np.random.default_rng(0))
    X0, y = D.gmm_from_noise(M, Z, 0.0)
    assert np.array_equal(X0, M[:, y])                      # sigma = 0: exactly the means
    X1, _ = D.gmm_from_noise(M, Z, 0.5)
    assert np.allclose(X1 - X0, 0.5 * Z)
    with pytest.raises(ValueError, match="sigma"):
        D.gmm_from_noise(M, Z, -1.0)
    with pytest.raises(ValueError, match="does not fit"):
        D.gmm_from_noise(M, Z[:, :-1], 0.1)
    assert D.snr(M, 0.0) == np.inf


# ---- issue 20 item 2: one data module owns every draw; seeds unchanged -------------------

# (seed, sum X, sum X^2) of draws made with the code of commit 818bda1, before the draws moved
# into shallownc.data: the refactor must reproduce them bit for bit.
GOLDEN = {
    "gmm": (18145854739220128476, 9.921037289422328, 14.948605388214748),
    "grid": (7319382622592738479, -1.7195599124534544, 23.513066716412986),
    "common": (3035182304686524553, -0.8521198366197233, 20.045706230341764),
    "nested": (11677319592574270311, -1.2129936611219265, 39.15169754396375),
    "digits": (18082624354877646354, -20.24549022640717, 639.1977225949581),
}


def test_draws_are_bit_identical_to_before_the_data_module():
    from shallownc.grid import Cell, Grid

    def summary(seed, A):
        return seed, float(A.sum()), float((A ** 2).sum())

    X, _, _, seed = D.GMMSpec("orthogonal", 3, 4, 5, 0.3, 1.0, 120.0).draw(7, 2)
    got = {"gmm": summary(seed, X)}
    g = Grid("g", "phase", "gmm", "random", 2, 3, (4, 6), (0.1, 0.5), 2)
    X, _, seed, _ = Cell(g, 6, (0.5,), 1).draw(7, 0.5)
    got["grid"] = summary(seed, X)
    gc = Grid("p", "paper", "gmm", "angle", 2, 3, (4, 6), (0.1, 0.5), 2, common_noise=True)
    _, _, Z, seed = Cell(gc, 4, (0.1, 0.5), 1).draw_common(7)
    got["common"] = summary(seed, Z)
    gn = Grid("p", "paper", "gmm", "orthogonal", 2, 3, (4, 6), (0.1, 0.5), 2,
              common_noise=True, nested_d=True)
    _, _, Z, seed = Cell(gn, 6, (0.1, 0.5), 0, (4, 6)).draw_common(7)
    got["nested"] = summary(seed, Z)
    digits = D.load_digits_arrays([0, 1])
    gd = Grid("r", "real", "digits", "digits", 2, 5, (4,), (0.0, 0.2), 2, classes=(0, 1))
    X, _, seed, _ = Cell(gd, 4, (0.2,), 1).draw(7, 0.2, digits)
    got["digits"] = summary(seed, X)
    assert got == GOLDEN


def test_class_sizes_draws():
    """Per-class sizes: labels and samples follow the sizes; balanced sizes in any form give
    the scalar n's seed and data."""
    from shallownc.class_sizes import ClassSizes

    spec = D.GMMSpec("orthogonal", 3, (6, 2, 2), 4, 0.5)
    X, y, M, seed = spec.draw(3, 0)
    assert X.shape == (4, 10) and np.bincount(y).tolist() == [6, 2, 2]
    two = D.GMMSpec("orthogonal", 3, {"k_A": 1, "n_A": 6, "k_B": 2, "ratio": 3}, 4, 0.5)
    assert two.seed(3, 0) == seed and np.array_equal(two.draw(3, 0)[0], X)
    bal = D.GMMSpec("orthogonal", 3, 5, 4, 0.5)
    for same in ([5, 5, 5], ClassSizes.of(5, 3)):
        alt = D.GMMSpec("orthogonal", 3, same, 4, 0.5)
        assert alt.seed(3, 1) == bal.seed(3, 1)
        assert np.array_equal(alt.draw(3, 1)[0], bal.draw(3, 1)[0])


def test_test_set_is_fresh_samples_of_the_same_mixture():
    spec = D.GMMSpec("antipodal", 2, 4, 3, 0.2)
    X, y, Xt, yt, M, seed = spec.draw_train_test(1, 0, 500)
    assert np.array_equal(X, spec.draw(1, 0)[0])
    assert np.bincount(yt).tolist() == [500, 500]
    # class means of the test set approach M (standard error 0.2 / sqrt(500) per coordinate)
    for k in range(2):
        assert np.abs(Xt[:, yt == k].mean(axis=1) - M[:, k]).max() < 6 * 0.2 / np.sqrt(500)
    blocks = list(D.test_set_blocks(M, 7, 0.2, np.random.default_rng(0)))
    assert [k for k, _ in blocks] == [0, 1] and blocks[0][1].shape == (3, 7)


def test_figure3_draw_is_the_papers_mixture():
    """Issue 26 step 1, the data of the paper's Figure 3 (paper.training.run_fig3_cell draws
    GMMSpec("antipodal", 2, n, d, sigma, mean_norm), mean_norm = 1): mu_1 = -mu_2 = e_1
    exactly, ||mu|| = 1, columns are samples, n per class in class order, and sigma is the
    noise standard deviation PER COORDINATE (x = mu_k + sigma z, z ~ N(0, I_d)):
    per-coordinate std ~ sigma and E||x - mu||^2 = sigma^2 d."""
    # mean_norm 1 is the schema default (test_paper_training::test_fig3_job_trains_the_...)
    n, d, sigma = 2000, 300, 0.53
    X, y, M, _ = D.GMMSpec("antipodal", 2, n, d, sigma, 1.0).draw(4, 0)
    e1 = np.eye(d)[:, 0]
    assert np.array_equal(M[:, 0], e1) and np.array_equal(M[:, 1], -e1)
    assert X.shape == (d, 2 * n) and np.array_equal(y, np.repeat([0, 1], n))
    Z = X - M[:, y]
    assert np.std(Z) == pytest.approx(sigma, rel=5e-3)              # pooled: ~7 std errors
    assert np.allclose(Z.std(axis=1), sigma, rtol=0.06)              # every coordinate
    assert np.mean((Z ** 2).sum(axis=0)) == pytest.approx(sigma ** 2 * d, rel=0.01)
    for k, s in ((0, 1.0), (1, -1.0)):                               # class means ~ +-e_1
        m = X[:, y == k].mean(axis=1)
        assert abs(m[0] - s) < 5 * sigma / np.sqrt(n) and np.abs(m[1:]).max() < 6 * sigma / \
            np.sqrt(n)
    # sigma = 0 gives the means themselves (noise is added, not multiplied)
    X0, _, _, _ = D.GMMSpec("antipodal", 2, 3, 5, 0.0).draw(4, 0)
    assert np.array_equal(X0, np.repeat(np.stack([np.eye(5)[0], -np.eye(5)[0]], 1), 3, axis=1))
