"""The paper-grid path (issue 16.1): decide_sigma_sequence agrees with the general engine."""
import numpy as np
import pytest

from shallownc import data as D
from shallownc import feasibility as F

OPTS = F.SolverOptions()


@pytest.mark.parametrize("geometry,K,n,angle", [("angle", 2, 20, 90.0), ("angle", 2, 20, 0.0),
                                                 ("orthogonal", 4, 10, 0.0)])
def test_sigma_sequence_matches_solve(geometry, K, n, angle):
    sig = [0.0, 0.05, 0.2, 0.5, 1.0, 2.0]
    seen = set()
    for d in (n, n + 5, int(1.4 * n), 2 * n, K * n):
        M = D.mean_matrix(geometry, K, d, 1.0, angle)
        Z = D.gmm_noise(d, K, n, np.random.default_rng(d))
        vs = F.decide_sigma_sequence(M, Z, sig, 0, OPTS)
        assert len(vs) == len(sig)
        for s, v in zip(sig, vs):
            X, y = D.gmm_from_noise(M, Z, s)
            p = F.class_lp(X, y, 0)
            if s == 0:
                assert v.method == "exact_noiseless"
            else:
                ref = F.solve(p, OPTS)
                assert v.status == ref.status, (d, s, v.reason, ref.reason)
            assert v.status in F.DECISIVE
            if v.status == F.FEASIBLE:
                assert F.verify_point(p, v.w, OPTS, "t").status == F.FEASIBLE
            elif s > 0:
                assert v.proof in ("float_bound", "exact_rational")
            seen.add(v.method)
    assert seen & {"active_set", "nnls"}   # the fast paths were exercised


def test_nnls_and_active_set_answers_are_verified():
    X = np.random.default_rng(3).standard_normal((45, 60))
    y = np.repeat([0, 1], 30)
    p = F.equilibrate(F.class_lp(X, y, 0))
    red = F.Reduction(p)
    v = F.solve_nnls(red, OPTS)
    ref = F.solve(F.class_lp(X, y, 0), OPTS)
    assert v.status == ref.status != F.UNDECIDED
    w, active = F.active_set_candidate(red, OPTS)
    assert w is None or w.status == F.FEASIBLE
    if ref.status == F.INFEASIBLE:
        assert w is None                      # a heuristic point can never beat a proof
