# Frozen copy of src/shallownc/feasibility.py at commit 72de92d (the engine before issue 14/16),
# the "current engine" baseline of bench/paper_grid.py. Not used by the package.
"""Verified LP feasibility: is the global minimizer of a two-layer ReLU net collapsed?

docs/science.md §4: the global minimizer is NC exactly when, for every class k, some w in R^d has
    X_k^T w = 1      (every class-k sample gets the same positive pre-activation),
    X_j^T w <= 0     (every sample of another class j is switched off by the ReLU).
One-vs-rest (homogeneous, bias-free) linear separability of class k is stored separately:
    X_k^T w >= 1,  X_j^T w <= -1.

Both are instances of the generic system  A_eq w = b_eq,  A_ub w <= b_ub  (rows = constraints).
Every verdict is *verified*, never trusted from the solver:

* feasible   — a w whose residuals max|A_eq w - b_eq| and max(0, A_ub w - b_ub) are below
  ``tolerance``; both residuals are returned.
* infeasible — a Farkas certificate (y, z), z >= 0, normalised to b_eq^T y + b_ub^T z = -1.
  With r = A_eq^T y + A_ub^T z, every feasible w satisfies r^T w <= -1 (multiply the system by
  (y, z) and add), hence ||w|| >= 1/||r||. Any feasible w also has ||w|| >= 1/max_i ||a_i||
  (some row has |a_i^T w| >= 1), so the certificate is accepted when the excluded radius
  1/||r|| is at least ``certified_radius_ratio`` times that smallest conceivable norm. For
  r = 0 it is an exact proof. (Farkas' lemma, e.g. Schrijver, Theory of Linear and Integer
  Programming, Cor. 7.1e.)
* undecided  — no method produced a verified certificate; the reason is recorded and the cell
  is never counted as feasible or infeasible.

Solver: HiGHS through ``highspy`` with presolve off (docs/conventions.md: ~20x faster than scipy's
defaults on these LPs), dual simplex first; when it answers neither optimal nor infeasible (or
its answer does not verify) the next configured method runs: interior point with crossover, and
finally the alternative (Farkas) system solved directly for a certificate.
Exact shortcuts produce the same certificates without an LP: d >= rows with full row rank
(least-squares solution, verified), and inconsistent equalities (d < n for generic data:
y from the null space of X_k, z = 0).

Performance (bench/README.md has the measurements; derivations in reports/performance.md):

* ``shortcut_square`` — d = n with X_k^T invertible: w is unique; either it satisfies the
  inequalities (verified) or its most violated row j gives the exact certificate z = e_j,
  y = -X_k^{-1} x_j.
* ``reduced_dual_simplex`` — tried first whenever ``dual_simplex`` is configured and the
  equalities have full row rank: writing w = w0 + Q2 u (w0 the minimum-norm solution of
  A_eq w = b_eq, Q2 an orthonormal basis of null(A_eq)) leaves the smaller LP
  (A_ub Q2) u <= b_ub - A_ub w0 with d - n unknowns. Its answer is mapped back and verified on
  the *original* system (w = w0 + Q2 u; a reduced dual ray z gives y = -R^{-1} Q1^T A_ub^T z),
  and if it does not verify the full LP runs as before.
* ``reduced_max_margin`` — class LP and separability from one LP: max t subject to
  X_k^T w = 1, X_j^T w <= -t, t <= 1 (reduced variables). t* >= 0: w* solves the class LP;
  t* > 0: w*/t* separates; t* < 0: its duals are a Farkas certificate (all verified).
* ``shortcut_nc_combination`` — separability of class k from the NC solutions w_j of every
  class: w = w_k - c sum_{j!=k} w_j, rescaled to margin 1, verified like any other w.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

FEASIBLE, INFEASIBLE, UNDECIDED = 1, 0, -1
STATUS_NAMES = {FEASIBLE: "feasible", INFEASIBLE: "infeasible", UNDECIDED: "undecided"}
# Codes are stored in NetCDF files (``nc_method``/``sep_method``): append, never reorder.
METHODS = ("none", "shortcut_full_rank", "shortcut_equalities", "dual_simplex",
           "primal_simplex", "ipm", "farkas_lp", "shortcut_square", "reduced_dual_simplex",
           "shortcut_nc_combination", "reduced_max_margin")
METHOD_CODE = {m: i for i, m in enumerate(METHODS)}


@dataclass(frozen=True)
class SolverOptions:
    """See workflow/schemas/solver.schema.yaml for the meaning of each field."""
    tolerance: float = 1e-7
    certified_radius_ratio: float = 1e6
    time_limit: float = 30.0
    methods: tuple = ("dual_simplex", "ipm", "farkas_lp")
    shortcuts: bool = True

    @classmethod
    def from_config(cls, solver_cfg: dict | None) -> "SolverOptions":
        c = dict(solver_cfg or {})
        c.pop("workers", None)
        if "methods" in c:
            c["methods"] = tuple(c["methods"])
        return cls(**c)


@dataclass
class Problem:
    """A_eq w = b_eq, A_ub w <= b_ub; rows are constraints, columns the d unknowns."""
    A_eq: np.ndarray
    b_eq: np.ndarray
    A_ub: np.ndarray
    b_ub: np.ndarray

    @property
    def d(self) -> int:
        return (self.A_eq if self.A_eq.size else self.A_ub).shape[1]

    def row_norm_max(self) -> float:
        A = np.vstack([self.A_eq, self.A_ub])
        return float(np.linalg.norm(A, axis=1).max()) if A.size else 0.0


@dataclass
class Verdict:
    status: int
    method: str = "none"
    eq_residual: float = np.nan
    ineq_violation: float = np.nan
    farkas_residual: float = np.nan
    radius_ratio: float = np.nan
    w_norm: float = np.nan
    solve_time: float = 0.0
    reason: str = ""
    w: np.ndarray | None = field(default=None, repr=False)
    certificate: tuple | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return STATUS_NAMES[self.status]


# ----------------------------------------------------------------------- problem builders

def class_lp(X: np.ndarray, y: np.ndarray, k: int) -> Problem:
    """NC class LP of docs/science.md §4: X_k^T w = 1, X_j^T w <= 0 for j != k."""
    Xk, Xo = X[:, y == k], X[:, y != k]
    return Problem(Xk.T.copy(), np.ones(Xk.shape[1]), Xo.T.copy(), np.zeros(Xo.shape[1]))


def separability_lp(X: np.ndarray, y: np.ndarray, k: int) -> Problem:
    """Homogeneous one-vs-rest separability: X_k^T w >= 1, X_j^T w <= -1 (no bias)."""
    Xk, Xo = X[:, y == k], X[:, y != k]
    A_ub = np.vstack([-Xk.T, Xo.T])
    return Problem(np.zeros((0, X.shape[0])), np.zeros(0), A_ub, -np.ones(A_ub.shape[0]))


# ----------------------------------------------------------------------------- verifiers

def verify_point(p: Problem, w: np.ndarray, opts: SolverOptions, method: str) -> Verdict:
    """Check a candidate w; FEASIBLE with its residuals, or UNDECIDED with the reason."""
    w = np.asarray(w, dtype=np.float64)
    eq = float(np.abs(p.A_eq @ w - p.b_eq).max()) if p.A_eq.size else 0.0
    ub = float(np.maximum(p.A_ub @ w - p.b_ub, 0).max()) if p.A_ub.size else 0.0
    v = Verdict(UNDECIDED, method, eq_residual=eq, ineq_violation=ub,
                w_norm=float(np.linalg.norm(w)), w=w)
    if np.isfinite(eq) and np.isfinite(ub) and eq <= opts.tolerance and ub <= opts.tolerance:
        v.status = FEASIBLE
    else:
        v.reason = f"{method}: candidate w fails verification (eq {eq:.2e}, viol {ub:.2e})"
    return v


def verify_farkas(p: Problem, y: np.ndarray, z: np.ndarray, opts: SolverOptions,
                  method: str) -> Verdict:
    """Check a Farkas certificate (module docstring); INFEASIBLE or UNDECIDED with reason."""
    y = np.asarray(y, dtype=np.float64).ravel()
    z = np.asarray(z, dtype=np.float64).ravel()
    bad = Verdict(UNDECIDED, method)
    scale = max(np.abs(y).max(initial=0.0), np.abs(z).max(initial=0.0))
    if not np.isfinite(scale) or scale == 0:
        bad.reason = f"{method}: empty or non-finite certificate"
        return bad
    if z.size and z.min() < -opts.tolerance * scale:
        bad.reason = f"{method}: certificate has negative multipliers ({z.min():.2e})"
        return bad
    z = np.maximum(z, 0.0)
    rhs = float(p.b_eq @ y + p.b_ub @ z)
    if not rhs < 0:
        bad.reason = f"{method}: certificate has b^T(y,z) = {rhs:.2e}, not negative"
        return bad
    y, z = y / -rhs, z / -rhs
    r = p.A_eq.T @ y + p.A_ub.T @ z
    rn = float(np.linalg.norm(r))
    ratio = np.inf if rn == 0 else p.row_norm_max() / rn
    v = Verdict(UNDECIDED, method, farkas_residual=rn, radius_ratio=ratio, certificate=(y, z))
    if ratio >= opts.certified_radius_ratio:
        v.status = INFEASIBLE
    else:
        v.reason = (f"{method}: certificate residual {rn:.2e} excludes only radius ratio "
                    f"{ratio:.2e} < {opts.certified_radius_ratio:.1e}")
    return v


def _verify_ray(p: Problem, ray: np.ndarray, opts: SolverOptions, method: str) -> Verdict:
    """A HiGHS dual ray over the rows [eq; ub]; the sign convention is checked, not assumed."""
    me = p.A_eq.shape[0]
    first = None
    for s in (-1.0, 1.0):
        v = verify_farkas(p, s * ray[:me], s * ray[me:], opts, method)
        if v.status == INFEASIBLE:
            return v
        first = first or v
    return first


# ----------------------------------------------------------------------------- shortcuts

def shortcut_full_rank(p: Problem, opts: SolverOptions) -> Verdict | None:
    """If all rows are linearly independent (d >= rows, generic data) solve A w = b exactly.

    b = [b_eq; b_ub] satisfies every inequality with equality, so the least-squares solution
    is feasible whenever A has full row rank; it is verified like any other w.
    """
    m = p.A_eq.shape[0] + p.A_ub.shape[0]
    if p.d < m:
        return None
    A = np.vstack([p.A_eq, p.A_ub])
    b = np.concatenate([p.b_eq, p.b_ub])
    w, *_ = np.linalg.lstsq(A, b, rcond=None)
    v = verify_point(p, w, opts, "shortcut_full_rank")
    return v if v.status == FEASIBLE else None


def shortcut_equalities(p: Problem, opts: SolverOptions) -> Verdict | None:
    """If the equalities alone are inconsistent (rank A_eq < rows, e.g. d < n), certify it.

    y = -P b_eq / ||P b_eq||^2 with P the projector onto null(A_eq^T) gives A_eq^T y = 0 and
    b_eq^T y = -1: a Farkas certificate with z = 0.
    """
    me = p.A_eq.shape[0]
    if me == 0 or p.d >= me:
        return None
    U, s, _ = np.linalg.svd(p.A_eq, full_matrices=False)  # A_eq = U S V^T, U: me x r
    rank = int((s > s.max() * max(p.A_eq.shape) * np.finfo(float).eps).sum())
    Ur = U[:, :rank]
    Pb = p.b_eq - Ur @ (Ur.T @ p.b_eq)
    nrm2 = float(Pb @ Pb)
    if nrm2 <= 1e-12 * float(p.b_eq @ p.b_eq):
        return None
    v = verify_farkas(p, -Pb / nrm2, np.zeros(p.A_ub.shape[0]), opts, "shortcut_equalities")
    return v if v.status == INFEASIBLE else None


def shortcut_square(p: Problem, opts: SolverOptions) -> Verdict | None:
    """d equal to the number of equalities and A_eq invertible: decide without an LP.

    w0 = A_eq^{-1} b_eq is the only solution of the equalities. If it satisfies A_ub w <= b_ub
    it is verified and returned. Otherwise take the most violated row a_j (a_j^T w0 > b_j):
    z = e_j, y = -A_eq^{-T} a_j gives A_eq^T y + A_ub^T z = 0 and
    b_eq^T y + b_ub^T z = b_j - a_j^T w0 < 0, an exact Farkas certificate (verified).
    """
    me = p.A_eq.shape[0]
    if me == 0 or p.d != me:
        return None
    try:  # a near-singular A_eq gives a bad w0 or y; verification below rejects those
        w0 = np.linalg.solve(p.A_eq, p.b_eq)
    except np.linalg.LinAlgError:
        return None
    v = verify_point(p, w0, opts, "shortcut_square")
    if v.status == FEASIBLE or p.A_ub.shape[0] == 0:
        return v if v.status == FEASIBLE else None
    j = int(np.argmax(p.A_ub @ w0 - p.b_ub))
    z = np.zeros(p.A_ub.shape[0])
    z[j] = 1.0
    try:  # LAPACK may flag A_eq^T singular even when A_eq passed (exactly singular blocks)
        y = -np.linalg.solve(p.A_eq.T, p.A_ub[j])
    except np.linalg.LinAlgError:
        return None
    v = verify_farkas(p, y, z, opts, "shortcut_square")
    return v if v.status == INFEASIBLE else None


# ---------------------------------------------------------------------------------- HiGHS

def _highs(opts: SolverOptions, method: str):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("time_limit", float(opts.time_limit))
    h.setOptionValue("threads", 1)
    if method == "dual_simplex":
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 1)
    elif method == "primal_simplex":
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 4)
    elif method == "ipm":
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "on")
    return h


def _pass_dense(h, A: np.ndarray, row_lo, row_hi, col_lo, col_hi):
    import highspy

    m, d = A.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = d, m
    lp.col_cost_ = np.zeros(d)
    lp.col_lower_, lp.col_upper_ = np.asarray(col_lo, float), np.asarray(col_hi, float)
    lp.row_lower_, lp.row_upper_ = np.asarray(row_lo, float), np.asarray(row_hi, float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, m * d + 1, d, dtype=np.int32)
    lp.a_matrix_.index_ = np.tile(np.arange(d, dtype=np.int32), m)
    lp.a_matrix_.value_ = np.ascontiguousarray(A, dtype=np.float64).ravel()
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = d, m
    h.passModel(lp)


def solve_lp(p: Problem, opts: SolverOptions, method: str) -> Verdict:
    """One HiGHS solve of the primal system, its answer verified."""
    import highspy

    h = _highs(opts, method)
    A = np.vstack([p.A_eq, p.A_ub])
    inf = highspy.kHighsInf
    lo = np.concatenate([p.b_eq, np.full(p.A_ub.shape[0], -inf)])
    hi = np.concatenate([p.b_eq, p.b_ub])
    _pass_dense(h, A, lo, hi, np.full(p.d, -inf), np.full(p.d, inf))
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kOptimal:
        return verify_point(p, np.asarray(h.getSolution().col_value), opts, method)
    if st == highspy.HighsModelStatus.kInfeasible:
        _s, has_ray, ray = h.getDualRay()
        if not has_ray:
            return Verdict(UNDECIDED, method, reason=f"{method}: infeasible but no dual ray")
        return _verify_ray(p, np.asarray(ray, dtype=np.float64), opts, method)
    return Verdict(UNDECIDED, method, reason=f"{method}: HiGHS status "
                   f"'{h.modelStatusToString(st)}'")


class Reduction:
    """The system with its equalities eliminated: w = w0 + Q2 u, B u <= c (module docstring).

    A_eq^T = Q1 R (complete QR, Q = [Q1 Q2]); w0 = Q1 R^{-T} b_eq solves A_eq w = b_eq and
    every solution is w0 + Q2 u, so the inequalities become B u <= c with B = A_ub Q2 and
    c = b_ub - A_ub w0. Without equalities the reduction is the identity (B = A_ub, c = b_ub).
    A reduced Farkas vector z >= 0 (B^T z = 0, c^T z < 0) extends to the full certificate
    (y, z) with y = -R^{-1} Q1^T A_ub^T z: then A_eq^T y + A_ub^T z = Q2 Q2^T A_ub^T z =
    Q2 B^T z = 0 and b_eq^T y + b_ub^T z = c^T z < 0. Both directions are verified on the
    original system, so a loss of accuracy in the reduction can only cost a verdict.
    """

    def __init__(self, p: Problem):
        from scipy.linalg import solve_triangular

        self.p = p
        me, d = p.A_eq.shape[0], p.d
        self.ok = p.A_ub.shape[0] > 0 and d > me
        if not self.ok:
            return
        if me == 0:
            self.Q1 = self.Q2 = self.R = None
            self.w0 = np.zeros(d)
            self.B, self.c = p.A_ub, p.b_ub
            return
        Q, R = np.linalg.qr(p.A_eq.T, mode="complete")
        R = R[:me]
        diag = np.abs(np.diag(R))
        if diag.min() <= diag.max() * max(p.A_eq.shape) * np.finfo(float).eps * 1e3:
            self.ok = False  # rank-deficient equalities: leave them to the full LP
            return
        self.Q1, self.Q2, self.R = Q[:, :me], Q[:, me:], R
        self.w0 = self.Q1 @ solve_triangular(R, p.b_eq, trans="T")
        self.B = p.A_ub @ self.Q2
        self.c = p.b_ub - p.A_ub @ self.w0

    def point(self, u, opts, method) -> Verdict:
        w = self.w0 + (u if self.Q2 is None else self.Q2 @ u)
        return verify_point(self.p, w, opts, method)

    def farkas(self, z, opts, method) -> Verdict:
        from scipy.linalg import solve_triangular

        if z.min() < -opts.tolerance * np.abs(z).max():
            return Verdict(UNDECIDED, method, reason=f"{method}: multipliers of mixed sign")
        z = np.maximum(z, 0.0)
        if self.R is None:
            y = np.zeros(0)
        else:
            y = -solve_triangular(self.R, self.Q1.T @ (self.p.A_ub.T @ z))
        return verify_farkas(self.p, y, z, opts, method)


def solve_reduced(p: Problem, opts: SolverOptions, form: str = "farkas",
                  red: Reduction | None = None) -> Verdict | None:
    """Dual simplex on the reduced system (:class:`Reduction`); None if it does not apply.

    form="primal": the LP  B u <= c  (u free, zero objective).
    form="farkas": its alternative  B^T z = 0, c^T z = -1, z >= 0  (k + 1 rows, one column
    per inequality). Optimal -> z is an infeasibility certificate. Infeasible -> HiGHS' dual
    ray (u, t) satisfies B u + t c >= 0 with t > 0 up to sign (Farkas' lemma for the
    alternative), so u' = -u / t solves B u' <= c: the primal point. Every candidate, and
    both signs of a ray, is verified on the original system.
    """
    import highspy

    red = red or Reduction(p)
    if not red.ok:
        return None
    method = "reduced_dual_simplex"
    B, c = red.B, red.c
    mu, k = B.shape
    h = _highs(opts, "dual_simplex")
    inf = highspy.kHighsInf
    if form == "primal":
        _pass_dense(h, B, np.full(mu, -inf), c, np.full(k, -inf), np.full(k, inf))
    else:
        G = np.vstack([B.T, c[None, :]])
        rhs = np.concatenate([np.zeros(k), [-1.0]])
        _pass_dense(h, G, rhs, rhs, np.zeros(mu), np.full(mu, inf))
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kOptimal:
        x = np.asarray(h.getSolution().col_value)
        return red.point(x, opts, method) if form == "primal" else red.farkas(x, opts, method)
    if st == highspy.HighsModelStatus.kInfeasible:
        _s, has_ray, ray = h.getDualRay()
        if not has_ray:
            return Verdict(UNDECIDED, method, reason=f"{method}: infeasible but no dual ray")
        ray = np.asarray(ray, dtype=np.float64)
        if form == "primal":
            first = None
            for sgn in (-1.0, 1.0):
                v = red.farkas(sgn * ray, opts, method)
                if v.status == INFEASIBLE:
                    return v
                first = first or v
            return first
        u, t = ray[:k], ray[k]
        if t == 0 or not np.isfinite(t):
            return Verdict(UNDECIDED, method, reason=f"{method}: dual ray with t = {t}")
        v = red.point(-u / t, opts, method)
        if v.status != FEASIBLE:
            v2 = red.point(u / t, opts, method)
            v = v2 if v2.status == FEASIBLE else v
        return v
    return Verdict(UNDECIDED, method, reason=f"{method}: HiGHS status "
                   f"'{h.modelStatusToString(st)}'")


def solve_max_margin(X: np.ndarray, y: np.ndarray, k: int, opts: SolverOptions):
    """Class LP and separability of class k from one LP: (nc verdict, sep verdict) or Nones.

    In the reduced variables of :class:`Reduction` (w = w0 + Q2 u satisfies X_k^T w = 1)
    solve  max t  s.t.  B u + t 1 <= c,  t <= 1,  i.e. the largest margin t with
    X_j^T w <= -t on every other class (reports/performance.md §5). The LP is always feasible
    (t -> -inf) and bounded, so HiGHS returns an optimum (u*, t*):

    * t* >= 0: w* = w0 + Q2 u* solves the class LP (verified);
    * t* > 0: w*/t* has X_k^T w = 1/t* >= 1 and X_j^T w <= -1: it proves separability
      (verified on the separability LP);
    * t* < 0: the row duals z of the optimum satisfy z >= 0, B^T z = 0, 1^T z = 1 and
      c^T z = t* < 0 (LP duality; the bound t <= 1 is inactive), a reduced Farkas vector,
      extended and verified as in :meth:`Reduction.farkas`.

    A verdict that does not verify is returned as None (the caller falls back to the
    separate LPs), and so is a problem to which the reduction does not apply.
    """
    import highspy

    t0 = time.perf_counter()
    p = class_lp(X, y, k)
    red = Reduction(p)
    if not red.ok:
        return None, None
    method = "reduced_max_margin"
    B, c = red.B, red.c
    mu, kk = B.shape
    inf = highspy.kHighsInf
    h = _highs(opts, "dual_simplex")
    _pass_dense(h, np.hstack([B, np.ones((mu, 1))]), np.full(mu, -inf), c,
                np.full(kk + 1, -inf), np.concatenate([np.full(kk, inf), [1.0]]))
    h.changeColCost(kk, -1.0)  # minimize -t
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, None
    sol = h.getSolution()
    x = np.asarray(sol.col_value)
    u, t = x[:kk], float(x[kk])
    nc = sep = None
    if t >= 0:
        nc = red.point(u, opts, method)
        if t > 0 and nc.status == FEASIBLE:
            sep = verify_point(separability_lp(X, y, k), nc.w / t, opts, method)
    else:
        z = np.asarray(sol.row_dual, dtype=np.float64)
        for sgn in (1.0, -1.0):
            nc = red.farkas(sgn * z, opts, method)
            if nc.status == INFEASIBLE:
                break
    nc = nc if nc is not None and nc.status != UNDECIDED else None
    sep = sep if sep is not None and sep.status != UNDECIDED else None
    if nc is not None:
        nc.solve_time = time.perf_counter() - t0
    if sep is not None:
        sep.solve_time = 0.0  # decided by the same LP: no time beyond the class LP's
    return nc, sep


def solve_farkas_lp(p: Problem, opts: SolverOptions) -> Verdict:
    """Solve the alternative system A_eq^T y + A_ub^T z = 0, b^T(y,z) = -1, z >= 0."""
    import highspy

    me, mu = p.A_eq.shape[0], p.A_ub.shape[0]
    h = _highs(opts, "dual_simplex")
    inf = highspy.kHighsInf
    B = np.vstack([np.hstack([p.A_eq.T, p.A_ub.T]),
                   np.concatenate([p.b_eq, p.b_ub])[None, :]])
    rhs = np.concatenate([np.zeros(p.d), [-1.0]])
    _pass_dense(h, B, rhs, rhs, np.concatenate([np.full(me, -inf), np.zeros(mu)]),
                np.full(me + mu, inf))
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kOptimal:
        sol = np.asarray(h.getSolution().col_value)
        return verify_farkas(p, sol[:me], sol[me:], opts, "farkas_lp")
    return Verdict(UNDECIDED, "farkas_lp",
                   reason=f"farkas_lp: HiGHS status '{h.modelStatusToString(st)}'")


def solve(p: Problem, opts: SolverOptions | None = None, *,
          prefer_farkas: bool | None = None) -> Verdict:
    """Decide feasibility of ``p`` with a verified certificate (module docstring).

    ``prefer_farkas`` orders the two forms of the reduced LP (alternative system first when
    True); by default the alternative form goes first for problems with equalities."""
    opts = opts or SolverOptions()
    t0 = time.perf_counter()
    reasons = []
    v = None
    if opts.shortcuts:
        v = (shortcut_equalities(p, opts) or shortcut_square(p, opts)
             or shortcut_full_rank(p, opts))
    if v is None:
        steps = []
        for m in opts.methods:
            if m == "dual_simplex":
                steps.append("reduced_dual_simplex")
            steps.append(m)
        for m in steps:
            try:
                if m == "farkas_lp":
                    v = solve_farkas_lp(p, opts)
                elif m == "reduced_dual_simplex":
                    # measured (bench/README.md): with equalities the alternative form is the
                    # fastest first try; without (separability) the primal form is
                    red = Reduction(p)
                    first = bool(p.A_eq.shape[0]) if prefer_farkas is None else prefer_farkas
                    forms = ("farkas", "primal") if first else ("primal", "farkas")
                    v = solve_reduced(p, opts, forms[0], red)
                    if v is not None and v.status == UNDECIDED:
                        reasons.append(v.reason)
                        v = solve_reduced(p, opts, forms[1], red)
                else:
                    v = solve_lp(p, opts, m)
            except Exception as exc:  # a solver crash is recorded, never silently dropped
                v = Verdict(UNDECIDED, m, reason=f"{m}: {type(exc).__name__}: {exc}")
            if v is None:  # the reduction does not apply to this problem
                continue
            if v.status != UNDECIDED:
                break
            reasons.append(v.reason)
            v = None
    if v is None:
        v = Verdict(UNDECIDED, "none", reason="; ".join(reasons) or "no method configured")
    v.solve_time = time.perf_counter() - t0
    return v


def separability_from_nc(X: np.ndarray, y: np.ndarray, k: int, ws: list,
                         opts: SolverOptions) -> Verdict | None:
    """Separability of class k built from verified NC solutions ``ws`` of every class.

    With x^T w_j = 1 on class j and <= 0 elsewhere, put v = sum_{j != k} w_j and
    w = w_k - c v. On class k, x^T v <= 0, so x^T w >= x^T w_k = 1 for any c >= 0. On another
    class, x^T w = x^T w_k - c x^T v; when every such x^T v > 0 (always for K = 2, where
    x^T v = 1) the smallest c with x^T w <= -1 is c = max (1 + x^T w_k) / x^T v. The result is
    rescaled so that its smallest margin is exactly 1 and verified on the separability LP.
    """
    opts = opts or SolverOptions()
    if any(w is None for w in ws):
        return None
    t0 = time.perf_counter()
    t = np.asarray(X).T @ np.column_stack(ws)           # N x K: x_i^T w_j
    own, other = y == k, y != k
    a = t[:, k]
    v = t.sum(axis=1) - a
    if not np.all(v[other] > 0):
        return None
    c = max(0.0, float(((1.0 + a[other]) / v[other]).max()))
    w = ws[k] - c * sum(ws[j] for j in range(len(ws)) if j != k)
    m = X.T @ w
    margin = min(float(m[own].min()), float(-m[other].max()))
    if not margin > 0:
        return None
    p = separability_lp(X, y, k)
    res = verify_point(p, w / margin, opts, "shortcut_nc_combination")
    res.solve_time = time.perf_counter() - t0
    return res if res.status == FEASIBLE else None


def solve_classes(X: np.ndarray, y: np.ndarray, opts: SolverOptions | None = None,
                  separability: bool = True):
    """Verdicts of every class LP (and separability LP) of one data set: two lists of K.

    With shortcuts on, each class LP goes through the exact shortcuts, then (when
    separability is wanted) the max-margin LP (:func:`solve_max_margin`), which often decides
    separability too; then :func:`solve`. Separability not yet decided is tried from the NC
    solutions (:func:`separability_from_nc`), and otherwise its LP is solved.
    """
    opts = opts or SolverOptions()
    K = int(y.max()) + 1
    nc, sep_mm = [], [None] * K
    for k in range(K):
        p = class_lp(X, y, k)
        v = None
        if opts.shortcuts:
            t0 = time.perf_counter()
            v = shortcut_equalities(p, opts) or shortcut_square(p, opts) \
                or shortcut_full_rank(p, opts)
            if v is not None:
                v.solve_time = time.perf_counter() - t0
            elif separability and "dual_simplex" in opts.methods:
                # one LP for both verdicts; for the class LP alone the feasibility forms in
                # solve() are faster (bench/README.md)
                try:
                    v, sep_mm[k] = solve_max_margin(X, y, k, opts)
                except Exception:  # any failure: the separate LPs below decide
                    v = None
        # the shortcuts were tried above: do not repeat them inside solve()
        nc.append(v or solve(p, replace(opts, shortcuts=False) if opts.shortcuts else opts))
    if not separability:
        return nc, None
    ws = [v.w if v.status == FEASIBLE else None for v in nc]
    sep = []
    for k in range(K):
        v = sep_mm[k]
        if v is None and opts.shortcuts:
            v = separability_from_nc(X, y, k, ws, opts)
        if v is None:
            # a class LP refuted by an LP (not by d < n) usually means no separation either:
            # then the alternative form finds the certificate faster (bench/README.md)
            lp_refuted = nc[k].status == INFEASIBLE and nc[k].method != "shortcut_equalities"
            v = solve(separability_lp(X, y, k), opts, prefer_farkas=lp_refuted)
        sep.append(v)
    return nc, sep


def all_classes_status(statuses) -> int:
    """Combine class verdicts: infeasible if any class is, undecided if any is, else feasible."""
    st = list(statuses)
    if INFEASIBLE in st:
        return INFEASIBLE
    if UNDECIDED in st:
        return UNDECIDED
    return FEASIBLE
