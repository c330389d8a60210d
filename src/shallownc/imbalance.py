"""Imbalanced classes end to end (issue 21): data, per-class LP phase diagrams, per-class theory
curves, the trained-network lambda sweep across the class-vanishing threshold, and verdicts.

Derivations: reports/imbalance.md (labels (I1)-(I12), sections I§x). The UPFM closed form,
thresholds and certificate are in :mod:`shallownc.upfm_imbalanced`.

Sizes: two groups (class_sizes.ClassSizes.two_group), k_A classes of n_A (majority, first) and
k_B classes of n_B = round(n_A / r) (minority, last); r = n_A / n_B the imbalance ratio. The d/n
axis is d/n_A: the reference size is the largest class n_A (class_sizes.N_REF_DEFINITION; stored
as ``n_ref`` with N and the sizes in every file).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import xarray as xr
from scipy import stats

from . import bridge, data as D, feasibility as FZ, status as S, upfm
from . import class_sizes as CS
from .class_sizes import ClassSizes
from . import upfm_imbalanced as UI

log = logging.getLogger(__name__)


# -------------------------------------------------------------------------------- data

def two_group_sizes(k_A: int, n_A: int, k_B: int, ratio: float) -> np.ndarray:
    """[n_A]*k_A + [n_B]*k_B with n_B = round(n_A / ratio) (class_sizes.ClassSizes.two_group;
    an error if that leaves the minority without samples)."""
    if not np.isfinite(ratio):
        raise ValueError(f"imbalance ratio r = n_A/n_B must be finite, got {ratio!r}")
    return np.asarray(ClassSizes.two_group(k_A, n_A, k_B, ratio=ratio).sizes, dtype=np.int64)


def dimension(d_over_n: float, n_ref: int) -> int:
    """d = round(d_over_n * n_ref) (class_sizes.dimension, the project's one derivation; n_ref
    = n_A = the largest class); an error naming the values if d < 1."""
    d = CS.dimension(d_over_n, int(n_ref))
    if d < 1:
        raise ValueError(f"d/n = {d_over_n} against the reference size n_A = {n_ref} gives "
                         f"d = {d} < 1")
    return d


def sample(geometry: str, sizes, d: int, sigma: float, rng: np.random.Generator):
    """Gaussian mixture with class sizes: X (d x N, class-ordered) = mu_{y_i} + sigma z_i,
    drawn by the one data module (means by data.mean_matrix, then samples by data.sample_gmm,
    from the same generator ``rng``)."""
    sizes = UI.class_sizes(len(sizes), sizes)
    M = D.mean_matrix(geometry, len(sizes), d, rng=rng)
    X, y = D.sample_gmm(M, sizes, sigma, rng)
    return X, y, M


# ---------------------------------------------------------------------- per-class theory

def stat_dim_class(n_k: int, N: int) -> float:
    """delta(C_k) = (N + n_k - 1)/2 (I9); balanced = bounds.stat_dim_cone (G1)."""
    return n_k - 0.5 + (N - n_k) / 2.0


def kinematic_p_infeasible_class(n_k: int, N: int, m) -> np.ndarray:
    """P(class-k LP of pure noise in dimension m is infeasible), exact (I10): Crofton formula
    with the intrinsic volumes of half-space(R^{n_k}) x orthant(R^{N - n_k})."""
    if not 1 <= n_k < N:
        raise ValueError(f"need 1 <= n_k < N, got n_k={n_k}, N={N}")
    mo = N - n_k
    j = np.arange(N + 1)

    def b(i):
        return np.where((i >= 0) & (i <= mo), stats.binom.pmf(np.clip(i, 0, mo), mo, 0.5), 0.0)

    v = 0.5 * (b(j - n_k) + b(j - n_k + 1))
    tail = np.zeros(N + 3)
    for t in range(N, -1, -1):
        tail[t] = v[t] + tail[t + 2]
    m = np.atleast_1d(np.asarray(m, int))
    out = np.where(m + 1 <= N, 2 * tail[np.clip(m + 1, 0, N + 2)], 0.0)
    return np.clip(np.where(m <= 0, 1.0, out), 0.0, 1.0)


def kinematic_d_min(sizes, surviving, rank: int, delta: float) -> int:
    """Smallest d with sum_{k surviving} P_k(d - rank) <= delta (I11): every surviving class LP
    feasible with probability >= 1 - delta, any means of rank ``rank``, any sigma."""
    sizes = np.asarray(sizes)
    N = int(sizes.sum())
    m = np.arange(1, N + 2)
    tot = sum(kinematic_p_infeasible_class(int(sizes[k]), N, m) for k in np.flatnonzero(surviving))
    return int(m[np.argmax(tot <= delta)]) + rank


def kinematic_half_point(n_k: int, N: int, rank: int) -> int:
    """Smallest d with P_k(d - rank) <= 1/2 (I10): where class k's LP becomes feasible more
    often than not for pure noise after projecting out the means (~ (N + n_k)/2 + rank)."""
    m = np.arange(1, N + 2)
    return int(m[np.argmax(kinematic_p_infeasible_class(n_k, N, m) <= 0.5)]) + rank


def gordon_d_min(sizes, surviving, rank: int, delta: float) -> int:
    """Smallest d with lambda_{d - rank} >= sqrt(delta(C_k)) + sqrt(2 log(|S|/delta)) for every
    surviving k (I12); balanced = bounds.gordon_d_min (G3)."""
    from .bounds import gaussian_norm_mean

    sizes = np.asarray(sizes)
    N = int(sizes.sum())
    surv = np.flatnonzero(surviving)
    target = max(math.sqrt(stat_dim_class(int(sizes[k]), N)) for k in surv) + \
        math.sqrt(2 * math.log(len(surv) / delta))
    m = int(max(1, math.floor(target ** 2) - 2))
    while gaussian_norm_mean(m) < target:
        m += 1
    return m + rank


def surviving(loss: str, sizes, lam_W: float, lam_H: float) -> np.ndarray:
    """Boolean per class: lambda_W lambda_H < theta_k (I4), the classes whose LP decides (I8)."""
    sizes = np.asarray(sizes)
    return lam_W * lam_H < UI.class_thresholds(loss, sizes.size, sizes)


# ------------------------------------------------------------------ plain UFM with bias (I§4)

def ufm_bias_minority_spread(sizes, k_B: int, lam: float, lam_b: float, width: int,
                             starts: int, seed: int) -> float:
    """Spread ||zbar_a - zbar_b|| of the first two minority classes' mean logits at the best of
    ``starts`` L-BFGS runs on the plain UFM with bias (free features, paper (2.1) + (lam_b/2)
    ||b||^2, lambda_W = lambda_H = lam): the numerical check of Hong & Ling's threshold in our
    normalization (I§4). Minority = the last k_B >= 2 classes."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp, softmax

    if k_B < 2:
        raise ValueError("the minority spread needs k_B >= 2 minority classes")
    sizes = UI.class_sizes(len(sizes), sizes)
    K, y = sizes.size, UI.labels(sizes)
    N, Y, p = y.size, np.eye(K)[:, y], int(width)
    sW, sH = K * p, p * N

    def fg(x):
        W, H, b = x[:sW].reshape(K, p), x[sW:sW + sH].reshape(p, N), x[sW + sH:]
        Z = W @ H + b[:, None]
        f = (logsumexp(Z, 0) - (Z * Y).sum(0)).mean() + lam / 2 * ((W ** 2).sum()
                                                                   + (H ** 2).sum()) \
            + lam_b / 2 * (b ** 2).sum()
        G = (softmax(Z, 0) - Y) / N
        return f, np.concatenate([(G @ H.T + lam * W).ravel(), (W.T @ G + lam * H).ravel(),
                                  G.sum(1) + lam_b * b])

    rng = np.random.default_rng(seed)
    best = min((minimize(fg, rng.standard_normal(sW + sH + K) * 0.5, jac=True,
                         method="L-BFGS-B", options={"maxiter": 20000, "gtol": 1e-12,
                                                     "ftol": 0.0})
                for _ in range(starts)), key=lambda r: r.fun)
    W, H = best.x[:sW].reshape(K, p), best.x[sW:sW + sH].reshape(p, N)
    zbar = W @ np.stack([H[:, y == k].mean(1) for k in range(K)], 1)
    return float(np.linalg.norm(zbar[:, K - k_B] - zbar[:, K - k_B + 1]))


def threshold_curves(k_A: int, k_B: int, n_B: int, lams) -> xr.Dataset:
    """r*(lambda) of (I7) for the UPFM (CE, MSE c = 1/2) and the plain UFM (Hong & Ling 2024)."""
    lams = np.asarray(lams, dtype=float)
    K = k_A + k_B
    r_ce = UI.two_group_ratio_threshold(lams, n_B, k_A, k_B)
    r_mse = UI.two_group_ratio_threshold(lams, n_B, k_A, k_B, K_minus_1_over_K=1.0)
    # one minority class cannot collapse onto another: no UFM curve for k_B = 1
    r_ufm = r_mse if k_B >= 2 else np.full(lams.shape, np.nan)
    # MSE (I4): N lam >= 2 c sqrt(n_B) with c = 1/2: N lam >= sqrt(n_B)  (= the UFM form)
    ds = xr.Dataset(
        {"r_upfm_ce": ("lam", r_ce, {"long_name": "imbalance ratio at which the UPFM minority "
                                     "vanishes, CE (reports/imbalance.md I7)", "units": "1"}),
         "r_ufm_hong_ling": ("lam", r_ufm, {"long_name": "imbalance ratio of minority collapse "
                                            "in the plain UFM with bias (Hong & Ling 2024, "
                                            "Theorem 3 / Corollary 4; I7); NaN for k_B = 1",
                                            "units": "1"}),
         "r_upfm_mse": ("lam", r_mse, {"long_name": "imbalance ratio at which the UPFM "
                                       "minority vanishes, MSE c = 1/2 (I4)", "units": "1"})},
        coords={"lam": ("lam", lams, {"long_name": "sqrt(lambda_W lambda_H)", "units": "1"})},
        attrs={"k_A": k_A, "k_B": k_B, "n_B": n_B, "K": K,
               "derivation": "reports/imbalance.md I§3-I§4"})
    return ds


# -------------------------------------------------------------------------- phase diagrams

def lp_cell(geometry: str, sizes, d: int, sigma: float, seed: int, opts: FZ.SolverOptions):
    """Per-class verdicts of (I8) on one sampled data set: status and method per class."""
    rng = np.random.default_rng(seed)
    X, y, _ = sample(geometry, sizes, d, sigma, rng)
    out = []
    for k in range(len(sizes)):
        v = FZ.decide_class_lp(X, y, k, opts)
        out.append((int(v.status), S.METHOD_CODE.get(v.method, 0)))
    return out


def phase_job(panel: dict, base_seed: int, opts: FZ.SolverOptions) -> xr.Dataset:
    """Verified per-class LP verdicts over one panel: x axis ``ratio`` (at fixed d/n) or
    ``d_over_n`` (at fixed ratio), sigma, trials (I8; every verdict a verified point or an exact
    Farkas proof, UNDECIDED otherwise)."""
    k_A, k_B, n_A = panel["k_A"], panel["k_B"], panel["n_A"]
    K = k_A + k_B
    xs = list(panel["x_values"])
    sigmas = list(panel["sigmas"])
    T = int(panel["trials"])
    status = np.full((len(xs), len(sigmas), T, K), S.UNDECIDED, dtype=np.int8)
    method = np.zeros_like(status)
    train = panel.get("train")
    tv = np.full(status.shape[:3], S.NOT_APPLICABLE, dtype=np.int8)
    tg = np.full(status.shape[:3], np.nan)
    th = np.full(status.shape, np.nan)
    Ns, ds_, nB = [], [], []
    for a, x in enumerate(xs):
        r = x if panel["x"] == "ratio" else panel["ratio"]
        dn = panel["d_over_n"] if panel["x"] == "ratio" else x
        sizes = two_group_sizes(k_A, n_A, k_B, r)
        d = dimension(dn, n_A)
        Ns.append(int(sizes.sum()))
        ds_.append(d)
        nB.append(int(sizes[-1]))
        for b, s in enumerate(sigmas):
            for t in range(T):
                seed = D.cell_seed(base_seed, t, stage="imbalance_phase", panel=panel["name"],
                                   x=float(x), sigma=float(s))
                for k, (st, me) in enumerate(lp_cell(panel["geometry"], sizes, d, s, seed,
                                                     opts)):
                    status[a, b, t, k], method[a, b, t, k] = st, me
                if train:
                    tv[a, b, t], tg[a, b, t], th[a, b, t] = train_cell(
                        panel, train, sizes, d, s, seed, status[a, b, t])
    dims = ("x", "sigma", "trial", "class")
    ds = xr.Dataset(
        {"nc_status": (dims, status, {**S.status_flag_attrs(), "long_name":
                                      "verdict of the class LP (2.12) with n_k equalities (I8)"}),
         "nc_method": (dims, method, {"long_name": "method code of the verdict "
                                      "(status.METHODS)", "units": "1"}),
         "N": ("x", np.array(Ns), {"long_name": "total sample size", "units": "1"}),
         "d": ("x", np.array(ds_), {"long_name": "input dimension d = round(d_over_n n_A)",
                                    "units": "1"}),
         "n_B": ("x", np.array(nB), {"long_name": "minority class size", "units": "1"})},
        coords={"x": ("x", np.asarray(xs, float), {"long_name": panel["x"], "units": "1"}),
                "sigma": ("sigma", np.asarray(sigmas, float),
                          {"long_name": "noise level sigma", "units": "1"}),
                "trial": np.arange(T), "class": np.arange(K)},
        attrs={"panel": panel["name"], "x_axis": panel["x"], "geometry": panel["geometry"],
               "k_A": k_A, "k_B": k_B, "n_A": n_A, "n_ref": n_A,
               "n_ref_definition": CS.N_REF_DEFINITION,
               "d_over_n_definition": "d / n_A (majority size = largest class)",
               "fixed_ratio": panel.get("ratio", np.nan),
               "fixed_d_over_n": panel.get("d_over_n", np.nan),
               "derivation": "reports/imbalance.md I§6"})
    if train:
        ds["verdict"] = (dims[:3], tv, S.verdict_flag_attrs(
            "certified verdict of the trained network against the imbalanced F* (I§7)"))
        ds["gap"] = (dims[:3], tg, {"long_name": "F_net - F* (imbalanced, I3)", "units": "1"})
        ds["h_trained"] = (dims, th, {"long_name": "class-mean feature norm of the trained "
                                      "network", "units": "1"})
        ds.attrs.update({f"train_{k}": v for k, v in train.items()})
    ds = add_rates(ds)
    ds["x"].attrs = {"long_name": "imbalance ratio n_A/n_B" if panel["x"] == "ratio" else
                     "d / n_A", "units": "1"}
    return ds


def train_cell(panel: dict, train: dict, sizes, d: int, sigma: float, seed: int, lp_status):
    """Train one network on the cell's data (the same draw as the LP verdicts: same seed) at
    lambda_W lambda_H = lambda_factor theta_B, lambda_W/lambda_H = lambda_ratio; verdict
    against the imbalanced F* with the LP status over the surviving classes (I8)."""
    rng = np.random.default_rng(seed)
    X, y, _ = sample(panel["geometry"], sizes, d, sigma, rng)
    K = len(sizes)
    thr = UI.class_thresholds(train["loss"], K, sizes)
    lw = float(np.sqrt(train["lambda_factor"] * thr[-1] * train["lambda_ratio"]))
    lh = float(train["lambda_factor"] * thr[-1] / lw)
    cf = UI.closed_form(train["loss"], "upfm", K, sizes, lw, lh)
    lp = S.all_classes_status([int(lp_status[k]) for k in range(K) if not cf.vanished[k]]
                              or [S.FEASIBLE])
    F_net, W1, _ = train_net(X, y, K, lw, lh, train["loss"], train["width"], train["starts"],
                             train["max_iter"], seed)
    code, gap = verdict(lp, F_net, cf.value, train["rel_tol"])
    return code, gap, class_feature_norms(W1, X, y, K)


def verdict_counts(ds: xr.Dataset) -> xr.DataArray:
    """Counts of each verdict per (x, sigma) cell over trials (the per-cell verdict table)."""
    codes = sorted(S.VERDICT_NAMES)
    arr = np.stack([(ds.verdict == c).sum("trial").values for c in codes], axis=-1)
    return xr.DataArray(arr, dims=("x", "sigma", "verdict_name"),
                        coords={"x": ds.x, "sigma": ds.sigma,
                                "verdict_name": [S.VERDICT_NAMES[c] for c in codes]},
                        attrs={"long_name": "trained runs per verdict", "units": "1"})


def add_rates(ds: xr.Dataset) -> xr.Dataset:
    """Per-class and all-class feasibility rates over decided trials (S.probability); the
    all-class verdict is S.all_classes_status over every class (NC at small lambda, where every
    class survives) and over the majority classes only (NC when the minority has vanished, I8)."""
    k_A = int(ds.attrs["k_A"])
    st = ds["nc_status"]
    allc = S.all_classes_status_array(st, "class")
    maj = S.all_classes_status_array(st.isel({"class": slice(0, k_A)}), "class")
    ds["nc_all_status"] = allc.assign_attrs(**S.status_flag_attrs(), long_name=(
        "all class LPs (I8): NC when every class survives"))
    ds["nc_majority_status"] = maj.assign_attrs(**S.status_flag_attrs(), long_name=(
        "majority class LPs only (I8): NC when the minority has vanished"))
    for name, arr, desc in (("p_class", st, "per class"), ("p_all", allc, "all classes"),
                            ("p_majority", maj, "majority classes only")):
        pr = S.probability(arr)
        ds[name] = pr["p"].copy(data=pr["p"].values.astype(float))
        ds[name].attrs = {"long_name": f"fraction of decided trials with the LP(s) feasible, "
                                       f"{desc}", "units": "1"}
        ds[f"undecided_{name[2:]}"] = pr["n_undecided"].copy()
        ds[f"undecided_{name[2:]}"].attrs = {"long_name": f"trials without a proof, {desc}",
                                             "units": "1"}
    return ds


def phase_theory(ds: xr.Dataset, delta: float) -> xr.Dataset:
    """Per-x theory lines that carry over with n_k (I§6): d >= N (b'), d < n_A (c'), kinematic
    (I11) and Gordon (I12) d_min for all classes and for the majority only; rank of the means
    from the geometry (antipodal: 1, orthogonal: K)."""
    K, k_A = ds.sizes["class"], int(ds.attrs["k_A"])
    rank = 1 if ds.attrs["geometry"] == "antipodal" else K
    out = {k: [] for k in ("kin_all", "kin_major", "gordon_all", "gordon_major")}
    for a in range(ds.sizes["x"]):
        sizes = np.array([ds.attrs["n_A"]] * k_A + [int(ds["n_B"][a])] * (K - k_A))
        alls, major = np.ones(K, bool), np.arange(K) < k_A
        out["kin_all"].append(kinematic_d_min(sizes, alls, rank, delta))
        out["kin_major"].append(kinematic_d_min(sizes, major, rank, delta))
        out["gordon_all"].append(gordon_d_min(sizes, alls, rank, delta))
        out["gordon_major"].append(gordon_d_min(sizes, major, rank, delta))
    desc = {"kin_all": "kinematic comparison (I11), all classes",
            "kin_major": "kinematic comparison (I11), majority classes only",
            "gordon_all": "Gordon comparison (I12), all classes",
            "gordon_major": "Gordon comparison (I12), majority classes only"}
    half = {"major": [], "minor": []}
    for a in range(ds.sizes["x"]):
        N = int(ds.N[a])
        for key, n_k in (("major", int(ds.attrs["n_A"])), ("minor", int(ds["n_B"][a]))):
            half[key].append(kinematic_half_point(n_k, N, rank))
    for key, name in (("major", "majority"), ("minor", "minority")):
        ds[f"d_half_{key}"] = ("x", np.array(half[key]), {
            "long_name": f"smallest d with P(pure-noise {name} class LP infeasible) <= 1/2 "
                         "(I10, exact): the sigma -> infinity limit of its transition",
            "units": "1"})
    for k, v in out.items():
        ds[f"d_min_{k}"] = ("x", np.array(v), {"long_name": f"smallest d certified by the "
                                               f"{desc[k]} at 1 - delta", "units": "1"})
    ds.attrs["delta"] = delta
    return ds


# ------------------------------------------------------------------- trained networks (I§7)

def train_net(X, y, K, lam_W, lam_H, loss, width, starts, max_iter, seed):
    """Best (F_net, W1, W2) of float64 L-BFGS on the network objective (bridge.train_network)."""
    st = bridge.TrainSettings(width=width, starts=starts, max_iter=max_iter)
    return bridge.train_network(X, y, K, lam_W, lam_H, loss, st, seed)


def nc_errors(W1, W2, X, y, cf: UI.ImbalancedClosedForm) -> dict:
    """NC1 and the distances to the imbalanced targets (I6) of a trained network:
    H-bar^T H-bar vs diag(h_k^2), W2 W2^T vs sum z_k z_k^T / h_k^2, W2 H-bar vs [z_k]
    (upfm_imbalanced.nc_target_error; NaN where a matrix is zero)."""
    from . import metrics

    H = bridge.relu_features(W1, X)
    K = cf.K
    Hbar = metrics.class_means(H, y, K)
    T = cf.targets()
    nc1 = metrics.nc1(H, y, K) if np.linalg.norm(Hbar) > 0 else float("nan")
    return {"nc1": nc1, "nc_gram_H": UI.nc_target_error(Hbar.T @ Hbar, T["gram_H"]),
            "nc_gram_W": UI.nc_target_error(W2 @ W2.T, T["gram_W"]),
            "nc_logits": UI.nc_target_error(W2 @ Hbar, T["logits"]),
            "nc_gram_H_balanced": UI.nc_target_error(Hbar.T @ Hbar, np.eye(K))}


def class_feature_norms(W1, X, y, K) -> np.ndarray:
    """||h-bar_k|| per class (h = relu(W1 x))."""
    H = bridge.relu_features(W1, X)
    return np.array([np.linalg.norm(H[:, y == k].mean(axis=1)) for k in range(K)])


def verdict(lp_status: int, F_net: float, F_star: float, rel_tol: float) -> tuple:
    """(verdict code, gap) of a float64 L-BFGS run against F* (reports/training.md V§2, with the
    imbalanced F* of (I3)): gap <= rel_tol F* -> reached (LP feasible) / unresolved (LP
    infeasible); otherwise stalled (L-BFGS stopped: no further decrease, slope 0). A gap below
    -rel_tol F* means F_net and F* are not the same objective (raises, V§1)."""
    from . import verdict as V

    tol = rel_tol * F_star
    gap = V.gap_trajectory([F_net], F_star, floor=tol)[0]
    return V.classify(lp_status, gap, 0.0, tol, stall_slope=0.1), float(F_net - F_star)


NC_DESC = {"nc1": "NC1 of the trained features (metrics.nc1)",
           "nc_gram_H": "distance of Hbar^T Hbar to the imbalanced target diag(h_k^2) (I6)",
           "nc_gram_W": "distance of W2 W2^T to the imbalanced target (I6)",
           "nc_logits": "distance of W2 Hbar to the closed-form class logits (I6)",
           "nc_gram_H_balanced": "distance of Hbar^T Hbar to the balanced target I_K (wrong "
                                 "under imbalance; for comparison)"}
NC_NAMES = tuple(NC_DESC)


def lambda_sweep(cfg: dict, base_seed: int, opts: FZ.SolverOptions) -> xr.Dataset:
    """Trained two-layer nets across the class-vanishing threshold (I§7): per lambda factor f
    (lambda_W lambda_H = f theta_B, the minority threshold; lambda_W/lambda_H fixed) and trial,
    each class's trained feature norm vs the closed form, the gap to the imbalanced F*, the
    verdict and (for the test in I§7) the verdict against the balanced F* of n = N/K."""
    k_A, k_B, n_A, r = cfg["k_A"], cfg["k_B"], cfg["n_A"], cfg["ratio"]
    loss, geometry = cfg["loss"], cfg["geometry"]
    sizes = two_group_sizes(k_A, n_A, k_B, r)
    K, N = sizes.size, int(sizes.sum())
    d = dimension(cfg["d_over_n"], n_A)
    thr = UI.class_thresholds(loss, K, sizes)
    fs = np.asarray(cfg["lambda_factors"], float)
    T = int(cfg["trials"])
    shape = (fs.size, T)
    rec = {k: np.full(shape + (K,), np.nan) for k in ("h_trained", "h_closed")}
    rec.update({k: np.full(shape, np.nan) for k in ("F_net", "F_star", "F_star_balanced",
                                                    "gap", "gap_balanced") + NC_NAMES})
    codes = {k: np.zeros(shape, np.int8) for k in ("verdict", "verdict_balanced", "lp_status")}
    drawn = []
    for t in range(T):
        seed = D.cell_seed(base_seed, t, stage="imbalance_sweep", d=d, ratio=float(r))
        X, y, _ = sample(geometry, sizes, d, cfg["sigma"], np.random.default_rng(seed))
        drawn.append((X, y))
        lp = [int(FZ.decide_class_lp(X, y, k, opts).status) for k in range(K)]
        for a, f in enumerate(fs):
            lw, lh = _lambdas(f * thr[-1], cfg["lambda_ratio"])
            cf = UI.closed_form(loss, "upfm", K, sizes, lw, lh)
            surv = ~cf.vanished
            lp_s = S.all_classes_status([lp[k] for k in range(K) if surv[k]] or [S.FEASIBLE])
            F_net, W1, W2 = train_net(X, y, K, lw, lh, loss, cfg["width"], cfg["starts"],
                                      cfg["max_iter"], seed + a)
            for k, v in nc_errors(W1, W2, X, y, cf).items():
                rec[k][a, t] = v
            Fb = upfm.closed_form(loss, "upfm", K, N // K, lw, lh).value
            rec["h_trained"][a, t] = class_feature_norms(W1, X, y, K)
            rec["h_closed"][a, t] = cf.feature_norms
            rec["F_net"][a, t], rec["F_star"][a, t], rec["F_star_balanced"][a, t] = \
                F_net, cf.value, Fb
            codes["lp_status"][a, t] = lp_s
            codes["verdict"][a, t], rec["gap"][a, t] = verdict(lp_s, F_net, cf.value,
                                                               cfg["rel_tol"])
            codes["verdict_balanced"][a, t], rec["gap_balanced"][a, t] = \
                verdict_balanced_safe(lp_s, F_net, Fb, cfg["rel_tol"])
    gd = cfg["gd"]
    if gd["enabled"]:
        lams = [_lambdas(f * thr[-1], cfg["lambda_ratio"]) for f in fs]
        rec.update(gd_arm(gd, loss, drawn, K, lams, base_seed,
                          np.asarray(rec["F_star"][:, 0])))
    dims = ("lambda_factor", "trial")
    desc = {"h_trained": "||h-bar_k|| of the trained network", "h_closed":
            "closed-form per-class feature norm h_k (I3)", "F_net": "trained network objective "
            "(paper (2.1), float64)", "F_star": "imbalanced F* (I3)", "F_star_balanced":
            "balanced F* with n = N/K (the wrong reference)", "gap": "F_net - F* (imbalanced)",
            "gap_balanced": "F_net - F*_balanced", **NC_DESC, **GD_DESC}
    vs = {k: (dims + (("class",) if k.startswith("h_") else ()), v,
              {"long_name": desc[k], "units": "1"}) for k, v in rec.items()}
    vs["verdict"] = (dims, codes["verdict"], S.verdict_flag_attrs(
        "certified verdict against the imbalanced F*"))
    vs["verdict_balanced"] = (dims, codes["verdict_balanced"], S.verdict_flag_attrs(
        "verdict if the balanced F* were used (wrong; for comparison)"))
    vs["lp_status"] = (dims, codes["lp_status"], {**S.status_flag_attrs(), "long_name":
                                                  "all surviving class LPs (I8)"})
    lam_prod = fs * thr[-1]
    ds = xr.Dataset(vs, coords={
        "lambda_factor": ("lambda_factor", fs, {"long_name": "lambda_W lambda_H / theta_B "
                                                "(minority vanishing threshold, I4)",
                                                "units": "1"}),
        "trial": np.arange(T), "class": np.arange(K),
        "lambda_product": ("lambda_factor", lam_prod, {"long_name": "lambda_W lambda_H",
                                                       "units": "1"})},
        attrs={**ClassSizes(tuple(int(v) for v in sizes)).attrs(), "sizes": sizes.tolist(),
               "d": d, "sigma": cfg["sigma"],
               "loss": loss, "geometry": geometry, "theta": thr.tolist(),
               "width": cfg["width"], "starts": cfg["starts"], "rel_tol": cfg["rel_tol"],
               "optimizer": "float64 L-BFGS-B on the network objective (bridge.train_network)",
               "gd_recipe": _gd_attr(gd),
               "normalization": upfm.NORMALIZATION, "derivation": "reports/imbalance.md I§7"})
    return ds


def _lambdas(product: float, ratio: float) -> tuple[float, float]:
    """(lambda_W, lambda_H) with lambda_W lambda_H = product and lambda_W / lambda_H = ratio."""
    lw = float(np.sqrt(product * ratio))
    return lw, float(product / lw)


GD_DESC = {"h_gd": "||h-bar_k|| of the network trained by the GD recipe (imbalance.sweep.gd)",
           "F_gd": "objective (paper (2.1)) of the GD-recipe network, float64",
           "gap_gd": "F_gd - F* (imbalanced, I3)"}
#: keys of the GD block that the sweep sets itself (per lambda factor)
GD_SET_BY_SWEEP = ("lambda_W", "lambda_H")


def _gd_attr(gd: dict) -> str:
    """The GD block as a NetCDF attribute (``enabled: false`` when the arm is off)."""
    import json
    return json.dumps(gd if gd["enabled"] else {"enabled": False}, sort_keys=True)


def gd_arm(gd: dict, loss: str, drawn: list, K: int, lams: list, base_seed: int,
           F_star: np.ndarray) -> dict:
    """The GD-recipe arm of the sweep (I§7): one network per (lambda factor, trial) trained by
    the project's one training sweep (training.cells.train_cells; recipe $defs/train_recipe +
    runtime $defs/train_runtime from ``imbalance.sweep.gd``), on the same data sets as the
    L-BFGS arm, with the sweep's loss and (lambda_W, lambda_H) per factor. Returns h_gd
    (factor, trial, class), F_gd and gap_gd = F_gd - F* (factor, trial); F_gd is the float64
    objective (2.1) of the final weights (objective.objective), F* the closed form (I3).
    A block that sets lambda_W/lambda_H (the sweep sets them) or whose loss is not the sweep's
    (the closed form is the sweep's loss) is an error."""
    from . import objective
    from .training.cells import train_cells

    given = [k for k in GD_SET_BY_SWEEP if k in gd]
    if given:
        raise ValueError(f"imbalance.sweep.gd sets {given}: the sweep sets these itself "
                         "(imbalance.sweep.lambda_factors, lambda_ratio); remove them")
    if gd["loss"] != loss:
        raise ValueError(f"imbalance.sweep.gd.loss = {gd['loss']!r} but imbalance.sweep.loss = "
                         f"{loss!r}: the closed form (I3) compared is the sweep's loss; set both")
    A, T = len(lams), len(drawn)
    cells = [{"lambda_factor": a, "trial": t} for a in range(A) for t in range(T)]
    recipe = {**gd, "lambda_W": tuple(lams[c["lambda_factor"]][0] for c in cells),
              "lambda_H": tuple(lams[c["lambda_factor"]][1] for c in cells)}
    runs = train_cells(cells, lambda c: drawn[c["trial"]], recipe, gd, base_seed=base_seed,
                       experiment="imbalance_sweep_gd", name="imbalance_sweep_gd")
    W1, W2 = runs.result.W1, runs.result.W2
    h = np.full((A, T, K), np.nan)
    F = np.full((A, T), np.nan)
    for r, c in enumerate(cells):
        a, t = c["lambda_factor"], c["trial"]
        X, y = drawn[t]
        h[a, t] = class_feature_norms(W1[r], X, y, K)
        H = bridge.relu_features(W1[r], X)
        F[a, t] = objective.objective(W2[r], H, y, lams[a][0], lams[a][1], loss)
    return {"h_gd": h, "F_gd": F, "gap_gd": F - F_star[:, None]}


def verdict_balanced_safe(lp_status, F_net, F_bal, rel_tol):
    """:func:`verdict` against the balanced F*; a run *below* the balanced 'F*' (impossible for
    the right F*) is recorded as DIVERGED-free code NOT_APPLICABLE instead of raising."""
    try:
        return verdict(lp_status, F_net, F_bal, rel_tol)
    except ValueError:
        return S.NOT_APPLICABLE, float(F_net - F_bal)


# ------------------------------------------------------------- closed form vs numerics (I§5)

def random_case(rng: np.random.Generator, i: int, K_max: int, n_max: int):
    """(loss, K, sizes, lambda_W, lambda_H): K in 2..K_max, sizes 1..n_max, lambda_W lambda_H
    log-uniform in [0.3 min, 1.6 max] of the class thresholds (I4) and >= 8% away from each
    (quartic flatness there), lambda_W/lambda_H log-uniform in [e^-2, e^2]; losses alternate."""
    loss = upfm.LOSSES[i % 2]
    while True:
        K = int(rng.integers(2, K_max + 1))
        sizes = rng.integers(1, n_max + 1, size=K)
        thr = UI.class_thresholds(loss, K, sizes)
        prod = float(np.exp(rng.uniform(np.log(0.3 * thr.min()), np.log(1.6 * thr.max()))))
        if np.all(np.abs(prod / thr - 1) > 0.08):
            break
    q = float(np.exp(rng.uniform(-2, 2)))
    return loss, K, sizes, float(np.sqrt(prod * q)), float(np.sqrt(prod / q))


def agreement(cases: int, K_max: int, n_max: int, starts: int, width_factor: int,
              base_seed: int) -> xr.Dataset:
    """Closed form (I3) vs F(weights), the N x N certificate (upfm.certificate), its K x K
    reduction (I5) and the best of up to ``starts`` L-BFGS-B starts, on random cases."""
    rng = np.random.default_rng(D.cell_seed(base_seed, 0, stage="imbalance_agreement"))
    cols = {k: [] for k in ("F_star", "rel_formula", "rel_cert", "rel_classwise", "rel_lbfgs",
                            "min_start_minus_bound", "starts_used", "K", "N", "n_vanished",
                            "loss_code")}
    for i in range(cases):
        loss, K, sizes, lw, lh = random_case(rng, i, K_max, n_max)
        cf = UI.closed_form(loss, "upfm", K, sizes, lw, lh)
        y = UI.labels(sizes)
        W, H = cf.weights(width_factor * K)
        F = cf.value
        cert = upfm.certificate(W, H, y, lw, lh, loss)
        cw = cf.certificate()
        best, low, used = np.inf, np.inf, 0
        for _ in range(starts):
            sol = upfm.solve_one(y, K, lw, lh, loss, "upfm", rng, upfm.SolverSettings(
                width=width_factor * K, gtol=1e-12, ftol=0.0, max_iter=5000))
            used += 1
            best, low = min(best, sol.value), min(low, sol.value - cert.lower_bound)
            if best - F <= 1e-11 * F:
                break
        for k, v in (("F_star", F), ("rel_formula", abs(upfm.objective(W, H, y, lw, lh, loss)
                                                         - F) / F),
                     ("rel_cert", abs(cert.lower_bound - F) / F),
                     ("rel_classwise", abs(cw.lower_bound - cert.lower_bound) / F),
                     ("rel_lbfgs", abs(best - F) / F), ("min_start_minus_bound", low),
                     ("starts_used", used), ("K", K), ("N", int(sizes.sum())),
                     ("n_vanished", int(cf.vanished.sum())), ("loss_code", i % 2)):
            cols[k].append(v)
    desc = {"F_star": "closed-form F* (I3)", "rel_formula": "|F(closed-form weights) - F*|/F*",
            "rel_cert": "|certified lower bound (upfm.certificate at the closed form) - F*|/F*",
            "rel_classwise": "|K x K certificate (I5) - N x N certificate|/F*",
            "rel_lbfgs": "|best L-BFGS-B start - F*|/F*",
            "min_start_minus_bound": "min over starts of F(start) - certified bound (>= 0)",
            "starts_used": "L-BFGS-B starts until one reached F* to 1e-11", "K": "classes",
            "N": "samples", "n_vanished": "classes with zero features at the minimizer (I4)",
            "loss_code": "0 = ce, 1 = mse"}
    return xr.Dataset({k: ("case", np.asarray(v), {"long_name": desc[k], "units": "1"})
                       for k, v in cols.items()},
                      coords={"case": np.arange(cases)},
                      attrs={"K_max": K_max, "n_max": n_max, "max_starts": starts,
                             "width": f"{width_factor}K", "normalization": upfm.NORMALIZATION,
                             "derivation": "reports/imbalance.md I§5"})


# ---------------------------------------------------------------------------- config checks

def check_config(imb: dict) -> None:
    """Cross-checks the schema cannot express; one clear error naming the key (bad input)."""
    for name, p in imb["phase"]["panels"].items():
        key = f"imbalance.phase.panels.{name}"
        need = "d_over_n" if p["x"] == "ratio" else "ratio"
        if need not in p:
            raise ValueError(f"{key}: x = {p['x']!r} needs a fixed {need!r}")
        if p["geometry"] == "antipodal" and (p["k_A"], p["k_B"]) != (1, 1):
            raise ValueError(f"{key}: antipodal means need k_A = k_B = 1 (K = 2)")
        ratios = p["x_values"] if p["x"] == "ratio" else [p["ratio"]]
        dns = p["x_values"] if p["x"] == "d_over_n" else [p["d_over_n"]]
        if min(ratios) < 1:
            raise ValueError(f"{key}: imbalance ratios must be >= 1, got {min(ratios)}")
        for dn in dns:
            d = dimension(dn, p["n_A"])
            if p["geometry"] == "orthogonal" and d < p["k_A"] + p["k_B"]:
                raise ValueError(f"{key}: d = {d} < K = {p['k_A'] + p['k_B']} for "
                                 "orthogonal means")
        t = p.get("train")
        if t and t["width"] < p["k_A"] + p["k_B"]:
            raise ValueError(f"{key}.train.width = {t['width']} < K")
    sw = imb["sweep"]
    if sw["geometry"] == "antipodal" and (sw["k_A"], sw["k_B"]) != (1, 1):
        raise ValueError("imbalance.sweep: antipodal means need k_A = k_B = 1 (K = 2)")
    if sw["width"] < sw["k_A"] + sw["k_B"]:
        raise ValueError(f"imbalance.sweep.width = {sw['width']} < K")
    dimension(sw["d_over_n"], sw["n_A"])
    th = imb["threshold"]
    if th["lam_min"] >= th["lam_max"]:
        raise ValueError("imbalance.threshold: lam_min must be < lam_max")
