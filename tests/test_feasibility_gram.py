"""The shared-Gram path of the LP engine (feasibility.gram_class_verdicts, issue 22): every
verdict it returns is a verified point, it agrees with the per-class engine, and it leaves
what it cannot prove to that engine."""
import numpy as np
import pytest
from scipy.linalg import cholesky

from shallownc import data as D
from shallownc import feasibility as F
from shallownc import random_features as RF

OPTS = F.SolverOptions()


def _independent_check(X, y, k, v):
    own = y == k
    assert np.abs(X[:, own].T @ v.w - 1).max() <= 1e-9
    assert (X[:, ~own].T @ v.w).max(initial=-1) <= 1e-9 * np.linalg.norm(v.w) * \
        np.linalg.norm(X, axis=0).max()


def test_class_residuals_equal_relative_residuals():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((7, 12)), np.repeat([0, 1, 2], 4)
    norms = np.linalg.norm(X, axis=0)
    for k in range(3):
        for w in (rng.standard_normal(7), np.zeros(7)):
            want = F.relative_residuals(F.class_lp(X, y, k), w)
            got = F.class_residuals(X.T @ w, y == k, norms, float(np.linalg.norm(w)))
            assert got == pytest.approx(want, rel=1e-12, abs=0)


def test_gram_cholesky_grows_and_shrinks_like_a_fresh_factorization():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((30, 20))
    G = A.T @ A
    ch = F.GramCholesky(G, [3, 5, 7])
    ch.add([0, 11, 2])
    ch.add([19])
    ch.remove([1, 5])                     # drop 5 and 2
    S = ch.S
    assert list(S) == [3, 7, 0, 11, 19]
    np.testing.assert_allclose(ch.L, cholesky(G[np.ix_(S, S)], lower=True), atol=1e-12)
    b = rng.standard_normal(S.size)
    np.testing.assert_allclose(G[np.ix_(S, S)] @ ch.solve(b), b, atol=1e-10)
    with pytest.raises(np.linalg.LinAlgError):
        F.GramCholesky(G, [0, 0])         # a repeated row: singular block


@pytest.mark.parametrize("d, sigma", [(70, 0.3), (50, 0.1)])
def test_gram_verdicts_agree_with_the_per_class_engine(d, sigma):
    X, y, _M, _s = D.GMMSpec("orthogonal", 3, 30, d, sigma).draw(11, 0)   # N = 90 > d
    got = F.gram_class_verdicts(X, y, OPTS)
    ref = [F.decide_class_lp(X, y, k, OPTS) for k in range(3)]
    assert any(v is not None for v in got)
    for k, (g, r) in enumerate(zip(got, ref)):
        assert r.status in F.DECISIVE
        if g is None:
            continue                          # left to the engine (e.g. infeasible)
        assert g.status == F.FEASIBLE == r.status and g.method == "gram_active_set"
        _independent_check(X, y, k, g)
        # both are minimum-norm points of the same LP: the same w
        np.testing.assert_allclose(g.w, r.w, rtol=1e-6, atol=1e-9)


def test_infeasible_classes_are_left_to_the_engine():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((10, 24))
    X[:, 15] = X[:, 2]                        # the same point in class 0 and class 1
    y = np.repeat([0, 1, 2], 8)
    got = F.gram_class_verdicts(X, y, OPTS)
    assert got[0] is None and got[1] is None
    nc, _ = F.solve_classes(X, y, OPTS, separability=False)
    assert nc[0].status == nc[1].status == F.INFEASIBLE


@pytest.mark.parametrize("d", [24, 40])
def test_full_rank_decides_every_class_by_theorem_3b(d):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((d, 24)), np.repeat(np.arange(4), 6)
    got = F.gram_class_verdicts(X, y, OPTS)
    for k, v in enumerate(got):
        assert v.status == F.FEASIBLE and v.method == "shortcut_full_rank"
        assert "Theorem 3(b)" in v.proof
        _independent_check(X, y, k, v)


def test_solve_classes_takes_the_gram_path_above_the_threshold(monkeypatch):
    H = RF.features(D.GMMSpec("orthogonal", 3, 15, 20, 0.5).draw(5, 0)[0], 36, 9)
    y = np.repeat([0, 1, 2], 15)
    before, _ = F.solve_classes(H, y, OPTS, separability=False)
    monkeypatch.setattr(F, "GRAM_MIN_SAMPLES", 10)
    after, sep = F.solve_classes(H, y, OPTS, separability=True)
    assert [v.status for v in after] == [v.status for v in before]
    assert any(v.method == "gram_active_set" for v in after)
    assert all(v.status in F.DECISIVE for v in (*after, *sep))
    for k, v in enumerate(after):
        if v.status == F.FEASIBLE:
            _independent_check(H, y, k, v)
