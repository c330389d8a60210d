"""``shallownc decide DATA``: the paper's verdicts on a data set the user brings.

For labelled points x_1 ... x_N in R^d (e.g. the last-layer features of one's own network) and
every class k (docs/science.md §4; paper Theorem 3, LP (2.12)):

* the class LP  X_k^T w = 1, X_j^T w <= 0 (j != k): feasible for every k exactly when some
  global minimizer of the two-layer objective (2.1) on this data is collapsed (NC). Feasible
  comes with a verified w, infeasible with an exact Farkas proof (shallownc.feasibility);
* one-vs-rest (homogeneous) linear separability  X_k^T w >= 1, X_j^T w <= -1: its failure
  rules NC out (Theorem 3(a));
* the rank of X and of X_k: d >= N with rank X = N makes every class LP feasible
  (Theorem 3(b)); d < n with 1 not in range(X_k^T) makes class k infeasible (Theorem 3(c));
* optionally, for given lambda_W, lambda_H, the optimum F* of the unconstrained positive
  feature model with these class sizes (CE; balanced: paper Theorem 2(a), reports/upfm.md D§2;
  imbalanced: reports/imbalance.md (I1)-(I4), shallownc.upfm_imbalanced): the value every
  collapsed global minimizer attains, each class's margin t_k, and which classes' features
  vanish at the minimizer (lambda_W lambda_H >= (K-1) n_k / (K N^2), (I4): the smallest
  classes first). With every class LP feasible, the classes whose features do not vanish
  collapse to their class means (paper Theorem 3 with these sizes).

Inputs (:func:`read_data`): ``.npz`` with ``X`` (N x d, one row per sample, the usual ML
layout) and ``y`` (N integer labels); ``.csv`` (one row per sample, the integer label in the last
column, an optional header line); NetCDF (``.nc``) with ``X`` and ``y`` or ``label`` — samples
along a dimension named ``sample`` if there is one, else along the first dimension (the project's
own data files, X(feature, sample), read as they are). Labels may be any integers; classes are
ordered by label value.

Exit status (cli): 0 when every verdict is a proof (feasible with a verified point or
infeasible with an exact certificate), 1 when some verdict is not, 2 on bad input.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from . import feasibility as F

SUFFIXES = (".npz", ".csv", ".nc")


class DataError(ValueError):
    """The input data cannot be decided; the message is one line naming the problem."""


@dataclass
class Decision:
    """Verdicts of one data set (one entry per class, ordered by label value)."""
    labels: np.ndarray            # original label of each class
    counts: np.ndarray            # samples per class
    N: int
    d: int
    rank: int                     # rank of X (d x N)
    class_rank: np.ndarray        # rank of X_k
    nc: list                      # feasibility.Verdict of each class LP
    sep: list                     # feasibility.Verdict of each separability LP
    upfm_value: float | None      # F* of the UPFM (Theorem 2(a); (I3) with class sizes)
    margins: np.ndarray | None    # per class t_k of the UPFM minimizer ((I3)); 0 = vanished
    seconds: float
    source: str

    @property
    def K(self) -> int:
        return len(self.labels)

    @property
    def all_proofs(self) -> bool:
        return all(v.status in F.DECISIVE for v in (*self.nc, *self.sep))

    @property
    def nc_all(self) -> int:
        """Combined verdict: NC occurs (1) iff every class LP is feasible (paper Theorem 3)."""
        return F.all_classes_status([v.status for v in self.nc])


# ------------------------------------------------------------------------------- reading

def _labels(raw, where: str) -> np.ndarray:
    lab = np.asarray(raw)
    if lab.dtype.kind in "iu":
        return lab.astype(np.int64).ravel()
    if lab.dtype.kind == "b":
        return lab.astype(np.int64).ravel()
    try:
        f = lab.astype(np.float64).ravel()
    except (TypeError, ValueError):
        raise DataError(f"{where}: labels must be integers (got values like "
                        f"{lab.ravel()[:1].tolist()})") from None
    if not np.all(np.isfinite(f)) or np.any(f != np.round(f)):
        bad = f[~np.isfinite(f) | (f != np.round(f))][0]
        raise DataError(f"{where}: labels must be integers (found {bad!r})")
    return f.astype(np.int64)


def _read_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("X", "y") if k not in z.files]
            if missing:
                raise DataError(f"{path}: .npz needs arrays 'X' (N x d) and 'y' (N labels); "
                                f"missing {missing}, found {z.files}")
            X, y = z["X"], z["y"]
    except DataError:
        raise
    except Exception as exc:  # zipfile/pickle errors of a corrupt or empty file
        raise DataError(f"{path}: cannot read .npz ({type(exc).__name__}: {exc})") from None
    if np.asarray(X).ndim == 1:
        X = np.asarray(X)[:, None]
    return X, y


def _read_csv(path: Path):
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise DataError(f"{path}: empty file")
    first = lines[0].split(",")
    try:
        [float(v) for v in first]
        start = 0
    except ValueError:
        start = 1  # a header line
    rows = [ln.split(",") for ln in lines[start:]]
    if not rows:
        raise DataError(f"{path}: no data rows (only a header)")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DataError(f"{path}: rows have different numbers of columns {sorted(widths)}")
    if widths.pop() < 2:
        raise DataError(f"{path}: need at least one feature column and the label column")
    try:
        X = np.array([[float(v) for v in r[:-1]] for r in rows])
    except ValueError as exc:
        raise DataError(f"{path}: non-numeric feature value ({exc})") from None
    return X, np.array([r[-1].strip() for r in rows])


def _read_nc(path: Path):
    from . import io

    try:
        ds = io.read_netcdf(path)
    except io.InputError as exc:
        raise DataError(str(exc)) from None
    if "X" not in ds:
        raise DataError(f"{path}: NetCDF needs a variable 'X' and labels 'y' or 'label'; it "
                        f"has {sorted(map(str, ds.data_vars))}")
    ylab = "y" if "y" in ds else "label" if "label" in ds else None
    if ylab is None:
        raise DataError(f"{path}: NetCDF has 'X' but no label variable 'y' or 'label'")
    X = ds["X"]
    if X.ndim != 2:
        raise DataError(f"{path}: 'X' must be 2-D (samples x features), has dims {X.dims}")
    if "sample" in X.dims:
        X = X.transpose("sample", ...)
    return X.values, ds[ylab].values


def read_data(path) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a user's data file, X as d x N (the project's column convention), labels as
    int64; every problem raises DataError with one line (module docstring for formats)."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise DataError(f"{path}: unknown format {path.suffix!r}; use one of {SUFFIXES}")
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file")
    Xr, yr = {".npz": _read_npz, ".csv": _read_csv, ".nc": _read_nc}[path.suffix](path)
    Xr = np.asarray(Xr)
    if Xr.ndim != 2:
        raise DataError(f"{path}: X must be 2-D (N samples x d features), has shape {Xr.shape}")
    y = _labels(yr, str(path))
    if Xr.shape[0] != y.size:
        raise DataError(f"{path}: X has {Xr.shape[0]} samples (rows) but y has {y.size} labels")
    if y.size == 0 or Xr.shape[1] == 0:
        raise DataError(f"{path}: no samples or no features (X has shape {Xr.shape})")
    if Xr.dtype.kind not in "biuf":
        raise DataError(f"{path}: X must be numeric (dtype {Xr.dtype})")
    X = Xr.astype(np.float64)
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(f"{path}: X has {int(bad.sum())} NaN or infinite entries (first at "
                        f"sample {i}, feature {j})")
    if np.unique(y).size < 2:
        raise DataError(f"{path}: all {y.size} samples have label {y[0]}; the class LPs need "
                        "at least two classes")
    return X.T.copy(), y


# ------------------------------------------------------------------------------ deciding

def upfm_optimum(counts: np.ndarray, lambda_W: float, lambda_H: float):
    """(F*, per-class margins t_k) of the CE UPFM with these class sizes
    (shallownc.upfm_imbalanced.closed_form, reports/imbalance.md (I1)-(I4); for equal sizes
    paper Theorem 2(a), equal to shallownc.upfm.closed_form)."""
    from . import upfm_imbalanced as UI

    cf = UI.closed_form("ce", "upfm", len(counts), [int(c) for c in counts], float(lambda_W),
                        float(lambda_H))
    return cf.value, np.asarray(cf.scales, dtype=np.float64)


def decide(X: np.ndarray, y: np.ndarray, opts: F.SolverOptions, lambda_W: float | None = None,
           lambda_H: float | None = None, source: str = "") -> Decision:
    """Every verdict of the module docstring for X (d x N) with integer labels y."""
    t0 = time.perf_counter()
    labels, yk = np.unique(y, return_inverse=True)
    order = np.argsort(yk, kind="stable")          # class-ordered columns (the engine's layout)
    X, yk = np.ascontiguousarray(X[:, order]), yk[order]
    counts = np.bincount(yk)
    nc, sep = F.solve_classes(X, yk, opts, separability=True)
    rank = int(np.linalg.matrix_rank(X))
    class_rank = np.array([np.linalg.matrix_rank(X[:, yk == k]) for k in range(len(labels))])
    F_star = margins = None
    if lambda_W is not None and lambda_H is not None:
        F_star, margins = upfm_optimum(counts, lambda_W, lambda_H)
    return Decision(labels, counts, X.shape[1], X.shape[0], rank, class_rank, nc, sep, F_star,
                    margins, time.perf_counter() - t0, source)


def _cell(v) -> str:
    proof = {"float_bound": "exact proof", "exact_rational": "exact proof (rational)"}
    if v.status == F.FEASIBLE:
        return f"feasible ({v.method}; verified w)"
    if v.status == F.INFEASIBLE:
        return f"INFEASIBLE ({v.method}; {proof.get(v.proof, v.proof)})"
    return f"{v.name.upper()} ({v.reason[:60]})"


def table(dec: Decision) -> str:
    """The terminal report: one row per class, then what the verdicts prove."""
    head = ("label", "n", "rank X_k", "class LP (NC)", "one-vs-rest separable")
    rows = [(str(lab), str(n), str(r), _cell(a), _cell(b).replace("feasible", "yes", 1)
             .replace("INFEASIBLE", "NO", 1))
            for lab, n, r, a, b in zip(dec.labels, dec.counts, dec.class_rank, dec.nc, dec.sep)]
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{x}}}" for x in w)
    out = [f"{dec.source}: N = {dec.N} samples, d = {dec.d} features, K = {dec.K} classes, "
           f"rank X = {dec.rank}", fmt.format(*head), fmt.format(*("-" * x for x in w))]
    out += [fmt.format(*r) for r in rows]
    st = dec.nc_all
    if st == F.FEASIBLE:
        out.append("NC: every class LP is feasible, so a global minimizer of (2.1) on this data "
                   "is collapsed (paper Theorem 3)")
    elif st == F.INFEASIBLE:
        bad = [str(lab) for lab, v in zip(dec.labels, dec.nc) if v.status == F.INFEASIBLE]
        out.append(f"no NC: the class LP of label(s) {', '.join(bad)} is infeasible (exact "
                   "proof), so no global minimizer is collapsed (paper Theorem 3)")
    else:
        out.append("NC undecided: some class LP has no proof (see the rows)")
    if dec.d >= dec.N and dec.rank == dec.N:
        out.append(f"d >= N and rank X = N: every class LP is feasible (paper Theorem 3(b))")
    if dec.upfm_value is not None:
        out.append(f"UPFM optimum F* = {dec.upfm_value:.10g} (CE; paper Theorem 2(a), class "
                   "sizes: reports/imbalance.md (I3)): the objective of every collapsed "
                   "global minimizer")
        gone = [str(lab) for lab, t in zip(dec.labels, dec.margins) if t <= 0]
        if gone:
            out.append(f"features vanish at the minimizer for label(s) {', '.join(gone)} "
                       "(lambda_W lambda_H >= (K-1) n_k / (K N^2), reports/imbalance.md (I4))")
        if st == F.FEASIBLE:
            keep = [str(lab) for lab, t in zip(dec.labels, dec.margins) if t > 0]
            out.append(f"collapsed to their class means (margin t_k > 0): label(s) "
                       f"{', '.join(keep) or 'none'}")
    out.append(f"{'every verdict is a proof' if dec.all_proofs else 'NOT every verdict is a proof'}"
               f" ({dec.seconds:.1f} s)")
    return "\n".join(out)


def to_dataset(dec: Decision, lambda_W=None, lambda_H=None) -> xr.Dataset:
    """The verdicts as a CF-style dataset (dimension ``class``)."""
    meth = {"flag_values": list(range(len(F.METHODS))), "flag_meanings": " ".join(F.METHODS)}
    proofs = ("none", "float_bound", "exact_rational")

    def var(vals, desc, units="1", dtype=None, attrs=None):
        return ("class", np.asarray(vals, dtype=dtype),
                {"long_name": desc, "units": units, **(attrs or {})})

    def proof_code(v):
        return proofs.index(v.proof) if v.proof in proofs else 0

    data = {
        "n_samples": var(dec.counts, "number of samples of the class", dtype=np.int64),
        "class_rank": var(dec.class_rank, "rank of X_k (the class's samples)", dtype=np.int64),
        "nc_status": var([v.status for v in dec.nc], "verdict of the class LP X_k^T w = 1, "
                         "X_j^T w <= 0 (paper (2.12), Theorem 3)", dtype=np.int8,
                         attrs=dict(F.STATUS_ATTRS)),
        "nc_method": var([F.METHOD_CODE[v.method] for v in dec.nc], "method whose "
                         "certificate decided the class LP", dtype=np.int8, attrs=meth),
        "nc_proof": var([proof_code(v) for v in dec.nc], "how an infeasibility certificate "
                        "was proven exactly", dtype=np.int8,
                        attrs={"flag_values": [0, 1, 2], "flag_meanings": " ".join(proofs)}),
        "nc_w_norm": var([v.w_norm for v in dec.nc], "norm of the verified class-LP "
                         "solution w (NaN if infeasible)", dtype=np.float64),
        "nc_eq_residual": var([v.eq_residual for v in dec.nc], "max relative equality "
                              "residual of w (feasibility.relative_residuals)", dtype=float),
        "nc_ineq_violation": var([v.ineq_violation for v in dec.nc], "max relative "
                                 "inequality violation of w", dtype=float),
        "sep_status": var([v.status for v in dec.sep], "verdict of one-vs-rest separability "
                          "X_k^T w >= 1, X_j^T w <= -1 (Theorem 3(a))", dtype=np.int8,
                          attrs=dict(F.STATUS_ATTRS)),
        "sep_method": var([F.METHOD_CODE[v.method] for v in dec.sep], "method whose "
                          "certificate decided separability", dtype=np.int8, attrs=meth),
    }
    ds = xr.Dataset(data, coords={"class": ("class", np.arange(dec.K), {"long_name":
                                  "class index (classes ordered by label)", "units": "1"}),
                                  "label": ("class", dec.labels.astype(np.int64),
                                            {"long_name": "label value in the input",
                                             "units": "1"})})
    ds["data_rank"] = ((), dec.rank, {"long_name": "rank of X (d x N)", "units": "1"})
    ds["nc_all_status"] = ((), np.int8(dec.nc_all), {"long_name": "NC verdict: feasible iff "
                           "every class LP is (paper Theorem 3)", **F.STATUS_ATTRS})
    if dec.upfm_value is not None:
        ds["upfm_value"] = ((), dec.upfm_value, {"long_name": "optimum F* of the CE UPFM with "
                                                 "these class sizes (paper Theorem 2(a); "
                                                 "reports/imbalance.md (I3)), objective (2.1)",
                                                 "units": "1"})
        ds["upfm_margin"] = ("class", dec.margins, {"long_name": "margin t_k of the UPFM "
                             "minimizer, 0 where the class's features vanish "
                             "(reports/imbalance.md (I3)-(I4))", "units": "1"})
    ds.attrs.update({"title": "shallownc decide: class-LP verdicts of a user data set",
                     "source_file": dec.source, "N": dec.N, "d": dec.d, "K": dec.K,
                     "all_verdicts_proofs": int(dec.all_proofs), "seconds": dec.seconds,
                     "lambda_W": float("nan") if lambda_W is None else float(lambda_W),
                     "lambda_H": float("nan") if lambda_H is None else float(lambda_H)})
    return ds


def solver_options() -> F.SolverOptions:
    """The solver section's schema defaults (the one place for defaults)."""
    from . import config as C

    return F.SolverOptions.from_config(C.validate({})["solver"])


def run(path, lambda_W=None, lambda_H=None, output=None) -> tuple[str, Decision]:
    """Read, decide, optionally write the NetCDF; (table text, Decision)."""
    if (lambda_W is None) != (lambda_H is None):
        raise DataError("give both --lambda-W and --lambda-H (or neither)")
    for name, lam in (("--lambda-W", lambda_W), ("--lambda-H", lambda_H)):
        if lam is not None and not (np.isfinite(lam) and lam > 0):
            raise DataError(f"{name} must be a positive number (got {lam})")
    X, y = read_data(path)
    dec = decide(X, y, solver_options(), lambda_W, lambda_H, source=str(path))
    text = table(dec)
    if output:
        from . import io

        io.write_netcdf(to_dataset(dec, lambda_W, lambda_H), output)
        text += f"\nwrote {output}"
    return text, dec
