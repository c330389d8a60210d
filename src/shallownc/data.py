"""Data: Gaussian mixtures with several mean geometries, and a small real data set.

Conventions (docs/science.md §1): K classes, n samples per class, N = K n, input dimension d,
x_ki = mu_k + sigma z_ki with z ~ N(0, I_d), mean matrix M = [mu_1 ... mu_K] (d x K).
Samples are stored column-wise, X is d x N, ordered by class (labels y = 0..K-1, n each).

Signal-to-noise ratio used throughout (stored as the NetCDF attribute ``snr_definition``):
    SNR = min_k ||mu_k|| / (sigma sqrt(d)),
the ratio of the mean's norm to the typical norm of the noise vector.

Class sizes: ``n`` is an integer (balanced, n per class) or per-class sizes in any form of
:class:`shallownc.class_sizes.ClassSizes`; samples are ordered by class either way.

This module owns every random draw of data (issue 20, item 2): Gaussian-mixture training sets
(:func:`draw_gmm`; :class:`GMMSpec` and :meth:`shallownc.grid.Cell.draw` delegate here), the
noise shared across sigma (:func:`draw_common_noise`), the real data (:func:`draw_digits`) and
test sets (:func:`draw_test_set`, :func:`test_set_blocks`). Seeds come from ONE function,
:func:`cell_seed`, which hashes (base seed, the cell's parameters, trial), so a cell's data is
identical however a grid is chunked into jobs and whichever job re-runs it; the parameter keys
of each kind of draw are fixed in the ``*_seed`` functions below (their keys are part of the
seeds: changing one changes every result drawn with it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .class_sizes import ClassSizes

GENERATOR_VERSION = "1"
GEOMETRIES = ("orthogonal", "antipodal", "angle", "random", "noise")
SNR_DEFINITION = "SNR = min_k ||mu_k|| / (sigma * sqrt(d))"


def cell_seed(base_seed: int, trial: int, **params) -> int:
    """Seed of one (cell, trial): a stable hash of the base seed, the parameters and the trial.

    Parameter values are canonicalised through JSON (floats by ``repr``), so the same cell
    always gets the same seed and two cells differing in any parameter get unrelated seeds.
    """
    canon = json.dumps({"base": int(base_seed), "trial": int(trial),
                        **{k: (repr(float(v)) if isinstance(v, float) else v)
                           for k, v in sorted(params.items())}}, sort_keys=True)
    return int.from_bytes(hashlib.blake2b(canon.encode(), digest_size=8).digest(), "little")


def mean_matrix(geometry: str, K: int, d: int, norm: float = 1.0, angle_deg: float = 120.0,
                rng: np.random.Generator | None = None) -> np.ndarray:
    """Mean matrix M (d x K) of the mixture, docs/science.md §1.

    - orthogonal: mu_k = r e_k (needs d >= K);
    - antipodal (K = 2): mu_1 = r e_1, mu_2 = -r e_1;
    - angle (K = 2): mu_1 = r e_1, mu_2 = r (cos(theta) e_1 + sin(theta) e_2);
    - random: mu_k ~ N(0, (r^2/d) I_d), so E||mu_k||^2 = r^2 (needs ``rng``);
    - noise: M = 0 (pure noise).
    """
    if geometry not in GEOMETRIES:
        raise ValueError(f"unknown geometry {geometry!r}; allowed: {GEOMETRIES}")
    M = np.zeros((d, K))
    if geometry == "orthogonal":
        if d < K:
            raise ValueError(f"orthogonal means need d >= K (d={d}, K={K})")
        M[np.arange(K), np.arange(K)] = norm
    elif geometry in ("antipodal", "angle"):
        if K != 2:
            raise ValueError(f"geometry {geometry!r} needs K = 2 (got K={K})")
        M[0, 0] = norm
        if geometry == "antipodal":
            M[0, 1] = -norm
        else:
            th = np.deg2rad(angle_deg)
            M[0, 1] = norm * np.cos(th)
            if d >= 2:
                M[1, 1] = norm * np.sin(th)
            elif abs(np.sin(th)) > 1e-12:
                raise ValueError("geometry 'angle' needs d >= 2 unless the angle is 0 or 180")
    elif geometry == "random":
        if rng is None:
            raise ValueError("geometry 'random' needs an rng")
        M = rng.standard_normal((d, K)) * (norm / np.sqrt(d))
    return M


def check_finite(a, variable: str, where: str) -> np.ndarray:
    """Return ``a`` as a float array; raise ValueError naming ``where`` (a file or a
    generator) and ``variable`` when it holds NaN or infinite entries (issue 14.3)."""
    arr = np.asarray(a, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{where}: variable {variable!r} has {int(bad.sum())} NaN or "
                         f"infinite entries (first at index {first}); the data must be finite")
    return arr


def check_sigma(sigma: float) -> float:
    """sigma must be finite and >= 0; sigma = 0 means noiseless data (every sample equals its
    class mean: the paper's Figure 1-2 grids start there)."""
    s = float(sigma)
    if not np.isfinite(s) or s < 0:
        raise ValueError(f"noise level sigma must be finite and >= 0 (got {sigma!r})")
    return s


def labels(n, K: int) -> np.ndarray:
    """Class-ordered labels: k repeated n_k times (``n`` an int or class sizes)."""
    if np.ndim(n) == 0 and not isinstance(n, (dict, ClassSizes)):
        return np.repeat(np.arange(K), n)
    return ClassSizes.of(n, K).labels


def sample_gmm(M: np.ndarray, n, sigma: float, rng: np.random.Generator):
    """Draw n samples per class (or n_k for class sizes n): X (d x N, class-ordered) and
    labels y (N,)."""
    d, K = M.shape
    y = labels(n, K)
    X = M[:, y] + check_sigma(sigma) * rng.standard_normal((d, len(y)))
    return check_finite(X, "X", "sample_gmm"), y


def gmm_noise(d: int, K: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Standard normal noise Z (d x K n, class-ordered), to be scaled by sigma.

    Common random numbers across sigma (issue 16.1): for one (d, trial) the same Z serves
    every sigma of a grid row, X(sigma) = M_y + sigma Z (:func:`gmm_from_noise`), so the rows
    are coupled and consecutive LPs can warm-start. The caller derives the seed from
    (base seed, d, trial) without sigma, e.g. ``cell_seed(base, trial, source='gmm_noise',
    d=d, ...)``.
    """
    return rng.standard_normal((int(d), int(K) * int(n)))


def gmm_from_noise(M: np.ndarray, Z: np.ndarray, sigma: float):
    """X = M_y + sigma Z with labels y (class-ordered, n = Z.shape[1] / K per class)."""
    d, K = M.shape
    if Z.shape[0] != d or Z.shape[1] % K:
        raise ValueError(f"noise Z of shape {Z.shape} does not fit means of shape {M.shape}")
    y = np.repeat(np.arange(K), Z.shape[1] // K)
    X = M[:, y] + check_sigma(sigma) * Z
    return check_finite(X, "X", "gmm_from_noise"), y


def snr(M: np.ndarray, sigma: float) -> float:
    """SNR = min_k ||mu_k|| / (sigma sqrt(d)) (module docstring); inf when sigma = 0 (the
    noiseless data of the paper's Figure 1-2 grids: stored as inf, never divided by)."""
    d = M.shape[0]
    m = float(np.linalg.norm(M, axis=0).min())
    return np.inf if sigma == 0 else m / (sigma * np.sqrt(d))


def _n_key(n):
    """The class sizes as a seed parameter: the integer n for balanced sizes (the seeds the
    pipeline has always used), the list of sizes otherwise."""
    if np.ndim(n) == 0 and not isinstance(n, (dict, ClassSizes)):
        return n
    cs = ClassSizes.of(n)
    return cs.sizes[0] if cs.is_balanced else list(cs.sizes)


# ------------------------------------------------------------------ seeds of each kind of draw

def gmm_seed(base_seed: int, trial: int, *, geometry: str, K: int, n, d: int, sigma: float,
             mean_norm: float = 1.0, angle_deg: float = 120.0) -> int:
    """Seed of one Gaussian-mixture training set (d, sigma, trial)."""
    return cell_seed(base_seed, trial, source="gmm", geometry=geometry, K=K, n=_n_key(n), d=d,
                     sigma=float(sigma), mean_norm=float(mean_norm), angle_deg=float(angle_deg))


def common_noise_seed(base_seed: int, trial: int, *, geometry: str, K: int, n, d: int | None,
                      mean_norm: float = 1.0, angle_deg: float = 120.0) -> int:
    """Seed of the noise shared by every sigma of one (d, trial) (issue 16.1); ``d=None``: the
    draw shared by every d as well (nested grids, shallownc.grid)."""
    common = dict(geometry=geometry, K=K, n=_n_key(n), mean_norm=float(mean_norm),
                  angle_deg=float(angle_deg))
    if d is None:
        return cell_seed(base_seed, trial, source="gmm_nested_noise", **common)
    return cell_seed(base_seed, trial, source="gmm_common_noise", d=int(d), **common)


def digits_seed(base_seed: int, trial: int, *, classes, n: int, d: int) -> int:
    """Seed of one subsample (and projection) of the real data."""
    return cell_seed(base_seed, trial, source="digits", classes=list(classes), n=_n_key(n),
                     d=int(d))


def paper_real_data_seed(base_seed: int, source: str = "digits") -> int:
    """Seed of the one subsample of a real data set (``digits``, ``fashion_mnist``) used by the
    paper's Figure 6 and Theorem 6 panels."""
    return cell_seed(base_seed, 0, purpose=source)


def test_seed(data_seed: int) -> int:
    """Seed of the test set of a training set drawn with seed ``data_seed``."""
    return cell_seed(data_seed, 0, purpose="test")


def generalization_test_seed(base_seed: int, trial: int, *, geometry: str, n, d: int,
                             sigma: float, angle_deg: float) -> int:
    """Seed of the test samples of a trained network of the generalization experiments."""
    return cell_seed(base_seed, trial, purpose="generalization_test", geometry=geometry,
                     n=_n_key(n), d=d, sigma=float(sigma), angle_deg=angle_deg)


# ----------------------------------------------------------------------------------- draws

def draw_gmm(seed: int, geometry: str, K: int, n, d: int, sigma: float,
             mean_norm: float = 1.0, angle_deg: float = 120.0, rows: int | None = None):
    """(X, y, M) of one Gaussian-mixture training set: means then samples from one generator.

    ``rows`` > d: the means and samples are drawn in ``rows`` dimensions and their first d
    rows kept (nested grids: the data of d are the first coordinates of the data of d' > d).
    """
    rng = np.random.default_rng(seed)
    M = mean_matrix(geometry, K, rows or d, mean_norm, angle_deg, rng)
    X, y = sample_gmm(M, n, sigma, rng)
    return X[:d], y, M[:d]


def draw_common_noise(seed: int, geometry: str, K: int, n, d: int, mean_norm: float = 1.0,
                      angle_deg: float = 120.0, rows: int | None = None):
    """(M, y, Z) with X(sigma) = M[:, y] + sigma Z for every sigma (:func:`gmm_from_noise`).

    Bit-identical to :func:`draw_gmm` with the same seed at every sigma (same generator,
    same order of draws); ``rows`` as in :func:`draw_gmm`.
    """
    rng = np.random.default_rng(seed)
    M = mean_matrix(geometry, K, rows or d, mean_norm, angle_deg, rng)
    y = labels(n, K)
    Z = rng.standard_normal((rows or d, len(y)))
    return M[:d], y, Z[:d]


def draw_digits(Xall: np.ndarray, yall: np.ndarray, n: int, d: int | None, sigma: float,
                seed: int):
    """(X, y) of one subsample of the real data: n images per class projected to d dimensions
    (:func:`subsample_project`), plus sigma-noise from the generator seeded ``seed + 1``."""
    X, y = subsample_project(Xall, yall, n, d, seed)
    if sigma > 0:
        X = X + sigma * np.random.default_rng(seed + 1).standard_normal(X.shape)
    return X, y


def draw_test_set(M: np.ndarray, n_test, sigma: float, data_seed: int):
    """(X_test, y_test): fresh samples of the mixture with means M (class-ordered, n_test per
    class), from the generator seeded :func:`test_seed` of the training set's seed."""
    return sample_gmm(M, n_test, sigma, np.random.default_rng(test_seed(data_seed)))


def test_set_blocks(M: np.ndarray, n_test: int, sigma: float, rng: np.random.Generator):
    """Test samples class by class, for error estimates over large n_test without holding
    every class at once: yields (k, X_k) with X_k = mu_k + sigma z (d x n_test), drawn in
    class order from ``rng``."""
    for k in range(M.shape[1]):
        yield k, M[:, [k]] + sigma * rng.standard_normal((M.shape[0], n_test))


@dataclass(frozen=True)
class GMMSpec:
    """Parameters of one Gaussian-mixture cell (``n``: an int or class sizes)."""
    geometry: str
    K: int
    n: int
    d: int
    sigma: float
    mean_norm: float = 1.0
    angle_deg: float = 120.0

    def seed(self, base_seed: int, trial: int) -> int:
        return gmm_seed(base_seed, trial, geometry=self.geometry, K=self.K, n=self.n, d=self.d,
                        sigma=self.sigma, mean_norm=self.mean_norm, angle_deg=self.angle_deg)

    def draw(self, base_seed: int, trial: int):
        """(X, y, M, seed) for this cell and trial, reproducible bit for bit."""
        seed = self.seed(base_seed, trial)
        X, y, M = draw_gmm(seed, self.geometry, self.K, self.n, self.d, self.sigma,
                           self.mean_norm, self.angle_deg)
        return X, y, M, seed

    def draw_train_test(self, base_seed: int, trial: int, n_test):
        """(X, y, X_test, y_test, M, seed): the training set of :meth:`draw` and its test set
        (:func:`draw_test_set`)."""
        X, y, M, seed = self.draw(base_seed, trial)
        Xt, yt = draw_test_set(M, n_test, self.sigma, seed)
        return X, y, Xt, yt, M, seed


def gmm_dataset(spec: GMMSpec, base_seed: int, trial: int = 0) -> xr.Dataset:
    """One mixture sample as an xarray Dataset with named dimensions and metadata."""
    X, y, M, seed = spec.draw(base_seed, trial)
    return to_dataset(X, y, M, seed=seed, sigma=spec.sigma, source="gmm",
                      geometry=spec.geometry, mean_norm=spec.mean_norm,
                      angle_deg=spec.angle_deg, trial=trial)


def to_dataset(X, y, M=None, *, seed: int, sigma: float, source: str, **attrs) -> xr.Dataset:
    """Dataset with ``X(feature, sample)``, ``label(sample)``, ``means(feature, class)``."""
    X = check_finite(X, "X", f"data set ({source})")
    d, N = X.shape
    K = int(y.max()) + 1
    if M is None:
        M = np.stack([X[:, y == k].mean(axis=1) for k in range(K)], axis=1)
    ds = xr.Dataset(
        {
            "X": (("feature", "sample"), X.astype(np.float64),
                  {"description": "samples, one column per sample (x = mu_k + sigma z)",
                   "units": "1"}),
            "label": (("sample",), y.astype(np.int64), {"description": "class index 0..K-1"}),
            "means": (("feature", "class"), M,
                      {"description": "class means mu_k (population means for GMM data, "
                                      "empirical means for real data)", "units": "1"}),
        },
        coords={"feature": np.arange(d), "sample": np.arange(N), "class": np.arange(K)},
        attrs={"source": source, "generator_version": GENERATOR_VERSION,
               "K": K, "n_per_class": int(np.bincount(y).min()), "d": d,
               **{k: (v if isinstance(v, (int, float, str)) else str(v))
                  for k, v in attrs.items()}},
    )
    if source == "gmm":  # seed, noise and SNR describe drawn data only (not real data)
        ds.attrs.update(seed=np.uint64(seed), sigma=float(sigma),
                        snr_definition=SNR_DEFINITION, snr=float(snr(M, sigma)))
    else:
        ds["X"].attrs["description"] = "samples, one column per sample"
    return ds


# --------------------------------------------------------------------------- real data

def load_digits_arrays(classes, standardize: bool = True):
    """scikit-learn's 8x8 digits (bundled with the package), restricted to ``classes``.

    Returns X (64 x N, sorted by class), y (N,) relabelled 0..K-1. With ``standardize`` each
    pixel is centred and scaled to unit variance over the kept images (pixels constant over
    the kept images become rows of zeros, so d stays 64).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = np.isin(digits.target, classes)
    Xr = digits.data[keep].astype(np.float64)
    yr = np.searchsorted(np.asarray(sorted(classes)), digits.target[keep])
    order = np.argsort(yr, kind="stable")
    Xr, yr = Xr[order], yr[order]
    if standardize:
        sd = Xr.std(axis=0)
        Xr = (Xr - Xr.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return check_finite(Xr.T.copy(), "X", "scikit-learn digits"), yr


def dataset_arrays(ds: xr.Dataset, path) -> tuple:
    """(X, y) of a data-set NetCDF read from ``path``, rejecting non-finite X or labels
    with a message naming the file and the variable."""
    X = check_finite(ds["X"].values, "X", str(path))
    lab = check_finite(ds["label"].values, "label", str(path))
    if np.any(lab != np.round(lab)) or lab.min(initial=0) < 0:
        raise ValueError(f"{path}: variable 'label' must hold class indices 0..K-1")
    return X, lab.astype(np.int64)


def digits_dataset(classes, standardize: bool = True) -> xr.Dataset:
    X, y = load_digits_arrays(classes, standardize)
    return to_dataset(X, y, seed=0, sigma=0.0, source="digits",
                      classes=json_list(sorted(classes)), standardize=int(standardize))


def json_list(values) -> str:
    return json.dumps([int(v) for v in values])


def subsample_project(X: np.ndarray, y: np.ndarray, n: int, d: int | None, seed: int):
    """Draw n samples per class without replacement and project to d dims (Gaussian map).

    The projection G (d x D) has i.i.d. N(0, 1/d) entries; ``d=None`` or d = D keeps X.
    """
    rng = np.random.default_rng(seed)
    K = int(y.max()) + 1
    idx = []
    for k in range(K):
        pool = np.flatnonzero(y == k)
        if len(pool) < n:
            raise ValueError(f"class {k} has only {len(pool)} samples, n = {n} requested")
        idx.append(np.sort(rng.choice(pool, size=n, replace=False)))
    idx = np.concatenate(idx)
    Xs, ys = X[:, idx], y[idx]
    D = X.shape[0]
    if d is not None and d != D:
        G = rng.standard_normal((d, D)) / np.sqrt(d)
        Xs = G @ Xs
    return Xs, ys
