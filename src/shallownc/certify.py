"""Exact proofs of infeasibility: a Farkas certificate repaired on its support and proven.

A Farkas certificate of the system  A_eq w = b_eq, A_ub w <= b_ub  (rows = constraints) is a
pair (y, z), z >= 0, with A_eq^T y + A_ub^T z = 0 and b_eq^T y + b_ub^T z < 0 (Farkas' lemma,
Schrijver, Theory of Linear and Integer Programming, Cor. 7.1e). A solver's certificate only
satisfies the identity up to rounding; it then excludes the solutions of norm <= 1/||r||
(r the residual), not all of them. This module turns it into an exact statement
(reports/lp_exact.md §2):

1. *Support.* Keep every equality multiplier (free sign) and the largest inequality
   multipliers so that s = d + 1 columns are kept (a basic solution of the Farkas LP has at
   most d + 1 nonzeros: d equations plus the normalisation). With
   M = [[A_S^T], [b_S^T]]  ((d+1) x s) the exact certificate is the solution v* of
   M v = -e_{d+1}: the first d rows are the identity A^T v = 0, the last one b^T v = -1.
2. *Square case, any size* (:func:`prove_square`): a rigorous floating-point bound on
   |v* - v~| for the computed v~ (Rump's a-posteriori bound, S. M. Rump, "Verification
   methods", Acta Numerica 19, 2010, §10.5 and Thm 10.6; the product error bound
   |fl(AB) - AB| <= gamma_n |A||B|, gamma_n = n u/(1 - n u), u = 2^-53, Higham, Accuracy and
   Stability of Numerical Algorithms, 2nd ed., (3.13), valid for any summation order and
   with FMA): with R ~ M^{-1} and alpha >= ||I - R M||_inf < 1, M is nonsingular, and
   ||v* - v~||_inf <= || |R| rho ||_inf / (1 - alpha) for a rigorous bound rho on the residual
   |-e - M v~|. The certificate is accepted only if every inequality multiplier keeps its
   sign: v~_j > |v* - v~|_j. M is first scaled by powers of two (exact), which changes v by
   known positive factors only.
3. *Small supports* (:func:`solve_exact`): exact rational Gaussian elimination
   (``fractions.Fraction`` on the floats' exact binary values) of the possibly
   over-determined system; used where the square bound does not apply (supports with fewer
   than d + 1 columns, e.g. duplicated points) and in the tests as an independent check.

Assumptions of the bound: IEEE double arithmetic with round-to-nearest (numpy/BLAS); an
underflow term m * 2^-1074 per computed entry is included, overflow cannot occur after the
power-of-two scaling (entries <= 1).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

U = 2.0 ** -53           # unit roundoff of IEEE double
ETA = 2.0 ** -1074       # smallest subnormal: absolute underflow error per operation


def gamma(n: int) -> float:
    """gamma_n = n u / (1 - n u) (Higham (3.8)), rounded up generously (factor 1 + 1e-10)."""
    nu = n * U
    if nu >= 0.5:
        return np.inf
    return nu / (1.0 - nu) * (1.0 + 1e-10)


def _pow2(x: np.ndarray) -> np.ndarray:
    """Powers of two 2^-e with 2^-e x in [0.5, 1) (1 where x = 0): exact scale factors."""
    _m, e = np.frexp(np.where(x > 0, x, 1.0))
    return np.ldexp(1.0, -e)


def prove_square(M: np.ndarray, rhs: np.ndarray, positive: np.ndarray):
    """Prove that M v = rhs has a unique solution v* with v*_j > 0 wherever ``positive``.

    Returns (ok, v~, bound): v~ the computed solution, ``bound`` a vector with
    |v* - v~| <= bound componentwise (module docstring, step 2), ok whether M was proven
    nonsingular and the signs hold. Cost: one inverse and one product of size m.
    """
    m = M.shape[0]
    if M.shape != (m, m) or not np.all(np.isfinite(M)):
        return False, None, None
    c = _pow2(np.abs(M).max(axis=0))               # column scaling: v = c * v'
    Mc = M * c
    r = _pow2(np.abs(Mc).max(axis=1))              # row scaling: (r M c) v' = r rhs
    Ms = Mc * r[:, None]
    bs = rhs * r
    try:
        R = np.linalg.inv(Ms)
    except np.linalg.LinAlgError:
        return False, None, None
    if not np.all(np.isfinite(R)):
        return False, None, None
    v = R @ bs
    v = v + R @ (bs - Ms @ v)                      # one refinement step (not needed for rigour)
    g = gamma(m + 2)
    absR, absM = np.abs(R), np.abs(Ms)
    C = R @ Ms
    C[np.diag_indices(m)] -= 1.0
    nR = float(absR.sum(axis=1).max()) * (1 + g)
    nM = float(absM.sum(axis=1).max()) * (1 + g)
    # alpha >= || I - R Ms ||_inf: computed part, product rounding, underflow, norm rounding
    alpha = (float(np.abs(C).sum(axis=1).max()) + g * nR * nM + m * m * ETA) * (1 + g) ** 2
    if not alpha < 1:
        return False, v * c, None
    rho = bs - Ms @ v
    rho_b = (np.abs(rho) + g * (np.abs(bs) + absM @ np.abs(v)) + m * ETA) * (1 + g) ** 2
    Rr = (absR @ rho_b + m * ETA) * (1 + g)
    delta = float(Rr.max()) / (1 - alpha) * (1 + g)
    bound = (Rr + alpha * delta) * (1 + g)        # |v* - v| <= |R| rho + |G| |v* - v|
    ok = bool(np.all(v[positive] > bound[positive] * (1 + 4 * U) + 4 * ETA))
    return ok, v * c, bound * c


def solve_exact(M: np.ndarray, rhs: np.ndarray, positive: np.ndarray, max_ops: float = 3e5):
    """Exact rational solution of M v = rhs (any shape) with v_j >= 0 where ``positive``.

    Gaussian elimination over the rationals on the floats' exact values; free variables of
    a rank-deficient M are set to 0. Returns (ok, v) with v a list of Fractions (None when
    inconsistent, when a sign fails, or when the size exceeds ``max_ops`` ~ rows * cols^2).
    """
    rows, cols = M.shape
    if rows * cols * cols > max_ops or not np.all(np.isfinite(M)):
        return False, None
    A = [[Fraction(float(x)) for x in M[i]] + [Fraction(float(rhs[i]))] for i in range(rows)]
    piv_cols, r = [], 0
    for j in range(cols):
        p = next((i for i in range(r, rows) if A[i][j] != 0), None)
        if p is None:
            continue
        A[r], A[p] = A[p], A[r]
        inv = 1 / A[r][j]
        A[r] = [a * inv for a in A[r]]
        for i in range(rows):
            if i != r and A[i][j] != 0:
                f = A[i][j]
                A[i] = [a - f * b for a, b in zip(A[i], A[r])]
        piv_cols.append(j)
        r += 1
        if r == rows:
            break
    if any(A[i][cols] != 0 for i in range(r, rows)):
        return False, None                          # inconsistent: no exact certificate
    v = [Fraction(0)] * cols
    for i, j in enumerate(piv_cols):
        v[j] = A[i][cols]
    ok = all(v[j] >= 0 for j in np.flatnonzero(positive))
    return ok, (v if ok else None)


def exact_dot(a: np.ndarray, b: np.ndarray) -> Fraction:
    """The exact value of sum_i a_i b_i for float vectors (integer arithmetic on mantissas)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    nz = (a != 0) & (b != 0)
    if not nz.any():
        return Fraction(0)
    ma, ea = np.frexp(a[nz])
    mb, eb = np.frexp(b[nz])
    ia = (ma * 2.0 ** 53).astype(np.int64)          # exact: |ma| < 1 has 53 bits
    ib = (mb * 2.0 ** 53).astype(np.int64)
    e = ea.astype(np.int64) + eb.astype(np.int64) - 106
    e0 = int(e.min())
    total = sum(int(x) * int(y) << int(s) for x, y, s in zip(ia, ib, e - e0))
    return Fraction(total) * (Fraction(2) ** e0)


def exact_gram(M: np.ndarray) -> list:
    """G = M^T M exactly, as a K x K list of Fractions (M a d x K float matrix)."""
    K = M.shape[1]
    G = [[Fraction(0)] * K for _ in range(K)]
    for i in range(K):
        for j in range(i, K):
            G[i][j] = G[j][i] = exact_dot(M[:, i], M[:, j])
    return G


def solve_fraction_square(G: list, rhs: list):
    """Solve the square rational system G x = rhs exactly; None if G is singular."""
    n = len(G)
    A = [list(G[i]) + [rhs[i]] for i in range(n)]
    for j in range(n):
        p = next((i for i in range(j, n) if A[i][j] != 0), None)
        if p is None:
            return None
        A[j], A[p] = A[p], A[j]
        inv = 1 / A[j][j]
        A[j] = [a * inv for a in A[j]]
        for i in range(n):
            if i != j and A[i][j] != 0:
                f = A[i][j]
                A[i] = [a - f * b for a, b in zip(A[i], A[j])]
    return [A[i][n] for i in range(n)]
