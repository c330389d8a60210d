"""Stability of the collapsed minimizer and end-point diagnostics (shallownc.stability;
reports/training.md §5, S§1-S§5)."""

import numpy as np
import pytest

from shallownc import bridge, data, feasibility, upfm
from shallownc import stability as S

LW = LH = 2e-2


def _cell(n, d, sigma, seed):
    X, y, _, _ = data.GMMSpec("antipodal", 2, n, d, sigma, 1.0, 120.0).draw(seed, 0)
    nc, _ = feasibility.solve_classes(X, y, feasibility.SolverOptions(), separability=False)
    return X, y, nc


def _fstar(n):
    return upfm.closed_form("ce", "upfm", 2, n, LW, LH).value


def test_lanczos_matches_the_dense_hessian_and_finite_differences():
    """S§1, S§4: HVPs equal central differences of the independent numpy gradient
    (bridge.net_value_grad); Lanczos' lambda_max equals the dense Hessian's top eigenvalue to
    its stated tolerance, and its Ritz value never exceeds it (Rayleigh quotient)."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 10))
    y = np.repeat([0, 1], 5)
    W1, W2 = rng.standard_normal((3, 4)), rng.standard_normal((2, 3))
    P = S.Piece(W1, W2, X, y, 0.1, 0.05, "ce", 0.5, 0.0)
    Hd = P.dense()
    np.testing.assert_allclose(Hd, Hd.T, atol=1e-12)
    v = rng.standard_normal(P.n)
    eps = 1e-6

    def grad(th):
        _, g1, g2 = bridge.net_value_grad(th[:12].reshape(3, 4), th[12:].reshape(2, 3), X, y,
                                          0.1, 0.05, "ce")
        return np.concatenate([g1.ravel(), g2.ravel()])

    th = P.theta.numpy()
    fd = (grad(th + eps * v) - grad(th - eps * v)) / (2 * eps)
    np.testing.assert_allclose(P.hvp(v), fd, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(Hd @ v, P.hvp(v), rtol=1e-12, atol=1e-12)
    top = np.linalg.eigvalsh(Hd)[-1]
    for tol in (1e-4, 1e-10):
        e = S.lanczos_max(P.hvp, P.n, tol, 100, 1)
        assert e.converged and e.value <= top + 1e-12
        assert abs(e.value - top) <= max(tol * abs(top), 1e-12)


def test_lanczos_reports_non_convergence_and_bad_input():
    A = np.diag(np.linspace(0.0, 1.0, 200))
    e = S.lanczos_max(lambda v: A @ v, 200, 1e-14, 3, 0)
    assert not e.converged and e.iterations == 3 and e.value < 1.0
    with pytest.raises(ValueError, match="tol > 0"):
        S.lanczos_max(lambda v: A @ v, 200, 0.0, 3, 0)


def test_sharpness_is_the_same_at_every_constructed_minimizer():
    """S§2: same lambda_max for 4 other LP solutions, widths K and 16 (zero-padded) and the
    split construction (3 copies per class neuron); each is a global minimizer (gap ~ 0) with
    zero gradient and no blocked entry."""
    n = 8
    X, y, nc = _cell(n, 16, 0.6, 11)
    assert [v.status for v in nc] == [1, 1]
    ws = [v.w for v in nc]
    alts = [S.alternative_lp_solutions(X, y, k, ws[k], 4, 3, 1e-9) for k in range(2)]
    assert min(len(a) for a in alts) >= 3
    nets = [S.collapsed_network(X, y, ws, 2, n, LW, LH, "ce", 0.5, w) for w in (2, 16)]
    nets += [S.collapsed_network(X, y, list(a), 2, n, LW, LH, "ce", 0.5, 6)
             for a in zip(*alts)]
    nets.append(S.split_network(*nets[0], 2, 3))
    vals = []
    for W1, W2 in nets:
        assert bridge.network_objective(W1, W2, X, y, LW, LH, "ce") - _fstar(n) < 1e-12
        assert S.relative_gradient(W1, W2, X, y, LW, LH, "ce", 0.5, 1e-9) < 1e-12
        assert S.blocked_entries(W1, W2, X, y, LW, LH, "ce", 0.5, 1e-6) == 0
        e = S.sharpness(W1, W2, X, y, LW, LH, "ce", 0.5, 1e-9, 1e-10, 200, 0)
        assert e.converged
        vals.append(e.value)
    assert np.ptp(vals) <= 1e-8 * vals[0]
    assert vals[0] > LW


def test_gd_returns_to_the_minimizer_below_eta_star_and_leaves_it_above():
    """S§3: GD from a 1e-3 perturbation of the collapsed network returns to F* at
    0.8 eta*, and at 1.25 eta* ends far from it."""
    n = 8
    X, y, nc = _cell(n, 16, 0.6, 11)
    W1, W2 = S.collapsed_network(X, y, [v.w for v in nc], 2, n, LW, LH, "ce", 0.5, 4)
    eta = S.eta_star(S.sharpness(W1, W2, X, y, LW, LH, "ce", 0.5, 1e-9, 1e-10, 200,
                                 0).value)
    rng = np.random.default_rng(0)
    P1 = W1 + 1e-3 * rng.standard_normal(W1.shape)
    P2 = W2 + 1e-3 * rng.standard_normal(W2.shape)
    F_in, *_ = S.gd_from(P1, P2, X, y, LW, LH, "ce", 0.5, 0.8 * eta, 1500)
    F_out, *_ = S.gd_from(P1, P2, X, y, LW, LH, "ce", 0.5, 1.25 * eta, 1500)
    Fs = _fstar(n)
    assert (F_in - Fs) / Fs < 1e-9
    assert (F_out - Fs) / Fs > 1e-3
    assert S.eta_star(0.0) == np.inf


def blocked_stationary_point(n=6, d=30, seed=2):
    """A stationary point that is not global (S§5): class 0's neuron starts active on only
    half of its samples (an LP with margin 1 on the other half), then L-BFGS converges."""
    X, y, nc = _cell(n, d, 0.3, seed)
    half = np.flatnonzero(y == 0)[: n // 2]
    rest = np.setdiff1d(np.arange(y.size), half)
    w0 = np.linalg.lstsq(X.T, np.where(np.isin(np.arange(y.size), half), 1.0, -1.0),
                         rcond=None)[0]
    assert np.allclose(X[:, half].T @ w0, 1) and (X[:, rest].T @ w0 < 0).all()
    W1, W2 = S.collapsed_network(X, y, [v.w for v in nc], 2, n, LW, LH, "ce", 0.5, 2)
    W1 = W1.copy()
    W1[0] = np.linalg.norm(W1[0]) / np.linalg.norm(w0) * w0
    pol = S.lbfgs_polish(W1, W2, X, y, LW, LH, "ce", 0.5, 5000)
    return X, y, pol


def test_blocked_stationary_point_is_not_global():
    """S§5: small relative gradient, a second L-BFGS polish lowers nothing, the gap stays
    positive, ReLU-blocked entries exist, and the UPFM from the same (W2, H) reaches F*."""
    n = 6
    X, y, pol = blocked_stationary_point(n)
    W1, W2 = pol.W1, pol.W2
    Fs = _fstar(n)
    assert S.relative_gradient(W1, W2, X, y, LW, LH, "ce", 0.5, 0.0) < 1e-6
    again = S.lbfgs_polish(W1, W2, X, y, LW, LH, "ce", 0.5, 2000)
    assert again.before - again.after <= 1e-9 * Fs
    assert (again.after - Fs) / Fs > 1e-2
    assert S.blocked_entries(W1, W2, X, y, LW, LH, "ce", 0.5, 1e-6) >= 1
    H = bridge.relu_features(W1, X)
    assert S.upfm_polish(W2, H, y, LW, LH, "ce", 0.5, 5000) - Fs < 1e-6 * Fs


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="do not chain"):
        S.Piece(np.ones((3, 4)), np.ones((2, 2)), np.ones((4, 5)), np.zeros(5, int), 0.1, 0.1,
                "ce", 0.5, 0.0)
    with pytest.raises(ValueError, match="zero_tol"):
        S.piece_mask(np.ones((3, 4)), np.ones((4, 5)), 1.5)
    with pytest.raises(ValueError, match="copies"):
        S.split_network(np.ones((2, 3)), np.ones((2, 2)), 2, 0)


def _labels_case():
    n = 8
    X, y, nc = _cell(n, 16, 0.6, 11)
    W1, W2 = S.collapsed_network(X, y, [v.w for v in nc], 2, n, LW, LH, "ce", 0.5, 4)
    lam = S.sharpness(W1, W2, X, y, LW, LH, "ce", 0.5, 1e-9, 1e-10, 200, 0).value
    return n, X, y, W1, W2, lam


def _trajectory_label(W1, W2, X, y, n, lr, limit, batch=None, seed=0, chunks=8, steps=50):
    """GD (or minibatch SGD of ``batch`` samples) for chunks x steps steps; the label of
    its end point from the gap trajectory's tail slope, relative gradient and polish."""
    from shallownc import verdict as V

    rng = np.random.default_rng(seed)
    Fs = _fstar(n)
    W1, W2 = W1.copy(), W2.copy()
    ep, gaps = [], []
    for c in range(chunks):
        for _ in range(steps):
            idx = np.arange(y.size) if batch is None else rng.choice(y.size, batch, False)
            _, g1, g2 = bridge.net_value_grad(W1, W2, X[:, idx], y[idx], LW, LH, "ce")
            W1 -= lr * g1
            W2 -= lr * g2
        ep.append((c + 1) * steps)
        gaps.append(bridge.network_objective(W1, W2, X, y, LW, LH, "ce") - Fs)
    slope = V.tail_slope(np.array(ep), np.array(gaps), 1e-15)
    g = S.relative_gradient(W1, W2, X, y, LW, LH, "ce", 0.5, 0.0)
    pol = S.lbfgs_polish(W1, W2, X, y, LW, LH, "ce", 0.5, 300)
    tol = 1.19e-6 * Fs
    return S.unreached_label(slope, 0.1, lr, limit, g, 1e-4, pol.after - Fs, tol), gaps[-1]


def test_each_unreached_label_on_a_constructed_run():
    """S§3/S§5 labels: GD at 1.25 eta* from a perturbed collapsed net -> unstable_step;
    minibatch SGD (2 samples) at 0.5 eta* started at the minimizer -> oscillating (noise keeps
    the gradient up, the gap flat); GD at a stable step from the ReLU-blocked stationary point
    -> stationary_not_global; GD at 0.02 eta* from a small random net -> still_moving."""
    n, X, y, W1, W2, lam = _labels_case()
    limit = S.step_limit(lam, "sgd", 0.0, None)
    assert limit == pytest.approx(S.eta_star(lam))
    rng = np.random.default_rng(1)
    P1, P2 = W1 + 1e-3 * rng.standard_normal(W1.shape), W2 + 1e-3 * rng.standard_normal(W2.shape)
    assert _trajectory_label(P1, P2, X, y, n, 1.25 * limit, limit)[0] == "unstable_step"
    lab, gap = _trajectory_label(W1, W2, X, y, n, 0.5 * limit, limit, batch=2)
    assert lab == "oscillating" and gap > 1e-4 * _fstar(6)
    Xb, yb, pol = blocked_stationary_point(6)
    _, _, ncb = _cell(6, 30, 0.3, 2)
    Wc = S.collapsed_network(Xb, yb, [v.w for v in ncb], 2, 6, LW, LH, "ce", 0.5, 2)
    lim_b = S.eta_star(S.sharpness(*Wc, Xb, yb, LW, LH, "ce", 0.5, 1e-9, 1e-10, 200, 0).value)
    assert _trajectory_label(pol.W1, pol.W2, Xb, yb, 6, 0.5 * lim_b, lim_b)[0] \
        == "stationary_not_global"
    R1, R2 = 0.3 * rng.standard_normal(W1.shape), 0.3 * rng.standard_normal(W2.shape)
    assert _trajectory_label(R1, R2, X, y, n, 0.02 * limit, limit, chunks=6, steps=10)[0] \
        == "still_moving"
    assert np.isnan(S.step_limit(lam, "adam", 0.0, None))
    assert S.step_limit(lam, "sgd", 0.9, 10) == pytest.approx(3.8 / lam)


def test_data_set_stability_and_the_study_learning_rates():
    """The per-data-set record (S§2 checks agree) and the study's lr rule (S§3)."""
    n = 8
    X, y, nc = _cell(n, 16, 0.6, 11)
    st = S.Settings(1e-9, 1e-10, 200, 1e-4, 300, 1e-6)
    r = S.data_set_stability(X, y, [v.w for v in nc], 2, n, LW, LH, "ce", 0.5, 6, st, 0, 2, 3)
    assert set(r) == set(S.DATA_SET_VARS)
    assert r["eta_star"] == pytest.approx(2 / r["lambda_max"])
    for k in ("lambda_max_width_K", "lambda_max_split"):
        assert r[k] == pytest.approx(r["lambda_max"], rel=1e-8)
    assert r["lambda_max_alt_spread"] < 1e-8
    lr, rule = S.study_learning_rates([2.0, np.nan, 4.0], 0.8, "sgd", 0.0, None, 0.3)
    np.testing.assert_allclose(lr, [0.8, 0.4, 0.4])
    assert "step limit" in rule
    lr, rule = S.study_learning_rates([2.0, 4.0], 0.8, "sgd", 0.5, 10, 0.3)
    np.testing.assert_allclose(lr, [1.2, 0.6])
    lr, rule = S.study_learning_rates([2.0, 4.0], 0.8, "adam", 0.0, None, 1e-3)
    np.testing.assert_allclose(lr, [1e-3, 1e-3])
    assert rule == "fixed lr 0.001"
    with pytest.raises(ValueError, match="lack"):
        S.Settings.from_config({"zero_tol": 1e-9})


def test_relabel_replaces_only_stalled_and_undecided_with_lp_proof():
    from shallownc import status as V

    verdict = np.array([V.REACHED, V.STALLED, V.VERDICT_UNDECIDED, V.STALLED, V.NO_LP_PROOF,
                        V.STALLED], dtype=np.int8)
    lp = np.array([1, 1, 1, 0, -1, 1])
    gap = np.array([0.0, 0.1, 0.1, 0.3, 0.2, 0.1])
    tol = np.full(6, 1e-6)
    slope = np.array([np.nan, 0.0, -1.0, 0.0, 0.0, 0.0])
    lr = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    limit = np.array([1.0, 1.0, 1.0, 0.1, 1.0, 0.4])
    diag = {"rel_gradient": np.array([0, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6]),
            "polished_gap": np.array([0, 0.1, 0.1, 0.3, 0.2, 0.1])}
    got = S.relabel(verdict, lp, gap, tol, slope, 0.1, lr, limit, diag, 1e-4)
    assert list(got) == [V.REACHED, V.STATIONARY_NOT_GLOBAL, V.STILL_MOVING,
                         V.STATIONARY_NOT_GLOBAL, V.NO_LP_PROOF, V.UNSTABLE_STEP]
    with pytest.raises(ValueError, match="<= tol"):
        S.relabel(verdict, lp, np.zeros(6), tol, slope, 0.1, lr, limit, diag, 1e-4)
