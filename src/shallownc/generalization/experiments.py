"""The experiment drivers (reports/generalization.md E1-E5, docs/science.md 8): the grid of
training sets (shallownc.grid), the theory and trained-network cell functions swept by
shallownc.sweep, per-d jobs and their merge."""

from __future__ import annotations

import functools
import json

import numpy as np
import xarray as xr

from .. import data as D
from .. import feasibility as F
from .. import io
from .. import sweep as SW
from ..class_sizes import dimension
from ..grid import Cell, Grid
from ..objective import NORMALIZATION
from .bounds import nc_bound
from .neuron import (STATUS_NONPOSITIVE, STATUS_NOT_NC, STATUS_OK, STATUS_UNDECIDED,
                     analyse_instance, best_linear_nc, refine_pair, upper_search)


# ------------------------------------------------------------------------- grid of cells

def check_experiment(name: str, exp: dict) -> list[str]:
    """Cross-field checks of one ``generalization.experiments`` entry (messages name keys)."""
    where = f"generalization.experiments.{name}"
    msgs = []
    ds = [dimension(r, exp["n"]) for r in exp["d_over_n"]]
    if min(ds) < 2:
        msgs.append(f"'{where}.d_over_n' gives d = {min(ds)} < 2 for n = {exp['n']}")
    if len(set(ds)) != len(ds):
        msgs.append(f"'{where}.d_over_n' values round to duplicate d for n = {exp['n']}: {ds}")
    extra = [p for p in exp["panel_d_over_n"] if p not in exp["d_over_n"]]
    if extra:
        msgs.append(f"'{where}.panel_d_over_n' values {extra} are not in d_over_n "
                    f"{exp['d_over_n']}")
    s = exp["low_snr"]
    if s and s not in exp["snr"]:
        msgs.append(f"'{where}.low_snr' = {s} is not one of snr {exp['snr']}")
    tr = exp["trained"]
    for key in ("snr", "d_over_n"):
        extra = [v for v in tr[key] if v not in exp[key]]
        if extra:
            msgs.append(f"'{where}.trained.{key}' values {extra} are not in {key} {exp[key]}")
    if tr["trials"] > exp["trials"]:
        msgs.append(f"'{where}.trained.trials' = {tr['trials']} exceeds trials = {exp['trials']}")
    return msgs


def cell_spec(exp: dict, snr: float, d_over_n: float) -> D.GMMSpec:
    """GMM of one cell: K = 2, d = round(d_over_n n), sigma = mean_norm / snr."""
    return D.GMMSpec(exp["geometry"], 2, exp["n"], dimension(d_over_n, exp["n"]),
                     float(exp["mean_norm"]) / float(snr),
                     float(exp["mean_norm"]), float(exp["angle_deg"]))


_GDIMS = ("d", "sigma", "trial")      # sweep dims; renamed to (snr, d_over_n, trial) after
_THEORY_VARS = {
    # name: (dims suffix, description, units)
    "status": ("", "analysis status: 1 ok, 0 not NC (a class LP infeasible), 2 NC but no "
               "neuron with positive alignment, -1 undecided", "1"),
    "nc_all_status": ("", "verified NC verdict of the training set: 1 both class LPs "
                      "feasible, 0 one infeasible, -1 undecided (docs/science.md 4)", "1"),
    "best_nc_error_lower": ("", "L* = max(reduction_optimum, Bayes error): lower end of "
                            "the best NC test error (reports/generalization.md E3-E5)", "1"),
    "reduction_optimum": ("", "exact min over NC solutions of the one-neuron reduction "
                          "(1/2) sum_k Phi(-beta_k/sigma) (E3-E4)", "1"),
    "best_nc_error_upper": ("", "U* = smallest exact test error among explicit NC networks "
                            "(best-neuron pair, E4c pushed-apart pairs, linear NC network, "
                            "E4d refinement where done): "
                            "upper end of the best NC test error (E2, E4)", "1"),
    "refined_error": ("", "exact test error of the best explicit NC network after local "
                      "SLSQP refinement over F_1 x F_2 (E4d); nan where not refined", "1"),
    "pair_error": ("", "exact test error of the network of the two individually best NC "
                   "neurons (ties count as errors, E2)", "1"),
    "pair_tie": ("", "probability that both neurons of that network are off (no decision)",
                 "1"),
    "linear_nc_error": ("", "exact test error of the best linear NC network w_2 = -w_1 "
                        "(E4b); nan when X^T w = +-1 is unsolvable (d < N)", "1"),
    "bound_instance": ("", "max(Bayes, (1/2) sum_k Phi(-rho_eq_k/sigma)): lower bound of the "
                       "test error of every NC solution of this training set (E5)", "1"),
    "bayes_error": ("", "Bayes error Phi(-||mu_1 - mu_2||/(2 sigma)) (E5)", "1"),
    "cs_bound": ("", "(1/2) sum_k Phi(-||mu_k||/sigma): Cauchy-Schwarz constant bound (E5)",
                 "1"),
}
_CLASS_VARS = {
    "nc_status": ("verified class-LP verdict (1 feasible, 0 infeasible, -1 undecided)", "1"),
    "beta": ("best alignment sup_{w in F_k} <w, mu_k>/||w|| (E4)", "same as mu"),
    "rho_eq": ("equality-relaxation alignment, >= beta (E5)", "same as mu"),
    "attained": ("1 if the best alignment is attained in F_k, 0 if only approached", "1"),
}
_STATUS_FLAGS = io.flag_attrs({STATUS_OK: "ok", STATUS_NOT_NC: "not_nc",  # CF 3.5
                               STATUS_NONPOSITIVE: "no_positive_alignment",
                               STATUS_UNDECIDED: "undecided"})
THEORY_VARIABLES = (
    tuple(SW.Variable(v, _GDIMS, u, desc, attrs=_STATUS_FLAGS if v == "status" else {})
          for v, (_s, desc, u) in _THEORY_VARS.items())
    + tuple(SW.Variable(v, _GDIMS + ("class",), u, desc) for v, (desc, u) in _CLASS_VARS.items())
    + (SW.Variable("seed", _GDIMS, "1", "data seed of the cell (shallownc.data.cell_seed)",
                   np.uint64, 0),
       SW.Variable("snr_data", _GDIMS[:2], "1", D.SNR_DEFINITION + " (data stage convention)")))


def experiment_grid(exp: dict, name: str = "generalization", trials: int | None = None,
                    snr=None, d_over_n=None) -> Grid:
    """The experiment's training sets as a grid (shallownc.grid): d = round(d_over_n n),
    sigma = mean_norm / snr (cell_spec), so that Grid.seed is the data seed of cell_spec."""
    r = float(exp["mean_norm"])
    return Grid(name=name, kind="phase", source="gmm", geometry=exp["geometry"], K=2,
                n=exp["n"], d=tuple(dimension(v, exp["n"]) for v in d_over_n or exp["d_over_n"]),
                sigma=tuple(r / float(s) for s in snr or exp["snr"]),
                trials=int(trials or exp["trials"]), mean_norm=r,
                angle_deg=float(exp["angle_deg"]))


def _draw(cell: Cell, base_seed: int, sigma: float):
    """(X, y, M, seed) of a cell at sigma: cell_spec's draw (GMMSpec.draw, seed = Grid.seed)."""
    g = cell.grid
    spec = D.GMMSpec(g.geometry, 2, g.n, cell.d, sigma, g.mean_norm, g.angle_deg)
    return spec.draw(base_seed, cell.trial)


def best_upper(X, y, M, sigma, out: dict, lin, w_lin, lambdas, refine: bool, refine_iter: int):
    """(U*, refined error or nan) of one training set with status ok: the smallest exact error
    of the best-neuron pair, the linear NC network, the pushed-apart pairs (E4c) and, when
    ``refine``, the local refinement of the best of them (E4d)."""
    cands = [(out["upper"], *out["_neurons"])]
    if w_lin is not None:
        cands.append((lin, w_lin, -w_lin))
    cands += upper_search(X, y, M, sigma, out["_neurons"], out["_lp_ws"], lambdas)
    best = min(cands, key=lambda c: c[0])
    refined = np.nan
    if refine:
        ref = refine_pair(X, y, M, sigma, best[1], best[2], max_iter=refine_iter)
        refined = ref[0]
        best = min(best, ref, key=lambda c: c[0])
    return best[0], refined


def theory_instance(X, y, M, sigma: float, opts=None, lambdas=(0.5, 1.0), refine=False,
                    refine_iter: int = 100) -> dict:
    """Every theory variable of one training set (analyse_instance, E4b, E4c, E4d)."""
    out = analyse_instance(X, y, M, sigma, opts)
    lin, w_lin = best_linear_nc(X, y, M, sigma)
    upper, refined = np.nan, np.nan
    if out["status"] == STATUS_OK:
        upper, refined = best_upper(X, y, M, sigma, out, lin, w_lin, lambdas, refine,
                                    refine_iter)
    return {"status": out["status"],
            "nc_all_status": F.all_classes_status([out["nc_status_0"], out["nc_status_1"]]),
            "best_nc_error_lower": out["lower"], "reduction_optimum": out["reduction"],
            "best_nc_error_upper": upper, "refined_error": refined,
            "pair_error": out["upper"], "pair_tie": out["tie_upper"],
            "linear_nc_error": lin, "bound_instance": out["bound_instance"],
            "bayes_error": out["bayes"], "cs_bound": out["cs_bound"],
            **{v: [out[f"{key}_{k}"] for k in range(2)] for v, key in
               (("nc_status", "nc_status"), ("beta", "beta"), ("rho_eq", "rho_eq"),
                ("attained", "attained"))}}


def theory_cell(cell: Cell, *, base_seed: int, opts=None, lambdas=(0.5, 1.0),
                refine_trials: int = 0, refine_iter: int = 100) -> dict:
    """Cell function (shallownc.sweep): THEORY_VARIABLES of one training set per sigma;
    trials t < refine_trials are also refined (E4d)."""
    outs = []
    for s in cell.sigmas:
        X, y, M, seed = _draw(cell, base_seed, s)
        o = theory_instance(X, y, M, s, opts, lambdas, cell.trial < refine_trials, refine_iter)
        outs.append(dict(o, seed=seed, snr_data=D.snr(M, s)))
    return {k: [o[k] for o in outs] for k in outs[0]}


def _to_snr_axes(ds: xr.Dataset, exp: dict, g: Grid) -> xr.Dataset:
    """(d, sigma, trial) sweep output -> dims (snr, d_over_n, trial) in the config's order."""
    snrs = np.asarray(exp["snr"], float)
    dns = np.asarray(exp["d_over_n"], float)
    ds = ds.sel(sigma=list(g.sigma), d=list(g.d))
    ds = ds.assign_coords(snr=("sigma", snrs), d_over_n=("d", dns)).swap_dims(
        sigma="snr", d="d_over_n")
    order = ("snr", "d_over_n", "trial", "class")
    return ds.transpose(*[o for o in order if o in ds.dims])


def _theory_coords(ds: xr.Dataset, exp: dict) -> xr.Dataset:
    n, r = exp["n"], float(exp["mean_norm"])
    snrs, dns = np.asarray(exp["snr"], float), np.asarray(exp["d_over_n"], float)
    return ds.assign_coords({
        "snr": ("snr", snrs, {"description": "||mu_k|| / sigma", "units": "1"}),
        "d_over_n": ("d_over_n", dns, {"description": "d / n", "units": "1"}),
        "trial": ("trial", ds.trial.values, {"description": "training-set index", "units": "1"}),
        "class": ("class", np.arange(2), {"description": "class k (neuron k)", "units": "1"}),
        "d": ("d_over_n", np.array([dimension(v, n) for v in dns]),
              {"description": "input dimension d = round(d_over_n n)", "units": "1"}),
        "sigma": ("snr", r / snrs,
                  {"description": "noise std per coordinate", "units": "same as mu"})})


def _theory_attrs(exp: dict) -> dict:
    return {"K": 2, "n": exp["n"], "geometry": exp["geometry"],
            "mean_norm": float(exp["mean_norm"]),
            "angle_deg": float(exp["angle_deg"]),
            "snr_definition": "snr = ||mu_k|| / sigma (generalization stage)",
            "tie_convention": "ties (both neurons off) count as errors",
            "derivation": "reports/generalization.md",
            "panel_d_over_n": json.dumps([float(v) for v in exp["panel_d_over_n"]]),
            "low_snr": float(exp["low_snr"]), "normalization": NORMALIZATION}


def _bound_meanfield(exp: dict) -> tuple:
    """The (snr, d_over_n) variable of the mean-field NC bound nc_bound (E5)."""
    half_sep = 1.0 if exp["geometry"] == "antipodal" else np.sin(
        np.deg2rad(float(exp["angle_deg"])) / 2)
    S, DN = np.meshgrid(np.asarray(exp["snr"], float), np.asarray(exp["d_over_n"], float),
                        indexing="ij")
    return (("snr", "d_over_n"), nc_bound(S, DN, exp["n"], half_sep * S),
            {"description": "mean-field NC lower bound max(Phi(-snr sqrt(1-(n-1)/d)), "
             "Phi(-||mu_1-mu_2||/(2 sigma))) (E5)", "units": "1"})


def run_theory(exp: dict, base_seed: int, opts: F.SolverOptions | None = None,
               lambdas=(0.5, 1.0), log=None) -> xr.Dataset:
    """Best NC error bracket, NC verdicts and bounds on every (snr, d_over_n, trial): the cell
    function theory_cell swept by shallownc.sweep over experiment_grid (one job per d).

    Trials t < exp["refine_trials"] also get the local refinement of the best explicit NC
    network (E4d; variable refined_error), with exp["refine_max_iter"] SLSQP iterations.
    """
    g = experiment_grid(exp)
    fn = functools.partial(theory_cell, base_seed=base_seed, opts=opts, lambdas=tuple(lambdas),
                           refine_trials=int(exp["refine_trials"]),
                           refine_iter=int(exp["refine_max_iter"]))
    ds = SW.sweep(g, fn, THEORY_VARIABLES, trials_per_job=g.trials,
                  coords={"class": (np.arange(2), {})})
    ds = _theory_coords(_to_snr_axes(ds, exp, g), exp)
    ds["bound_meanfield"] = _bound_meanfield(exp)
    ds.attrs = _theory_attrs(exp)
    ds = ds[[*_THEORY_VARS, *_CLASS_VARS, "seed", "bound_meanfield", "snr_data"]]
    if log:
        for dn in ds.d_over_n.values:
            part = ds.sel(d_over_n=dn)
            log.info("d/n %g: P(NC) by snr %s", dn,
                     np.round((part.nc_all_status == 1).mean("trial").values, 2).tolist())
    return ds


# --------------------------------------------------------------------- trained networks

def trained_test_error(W1: np.ndarray, W2: np.ndarray, M: np.ndarray, sigma: float,
                       n_test: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """Test error of f(x) = W2 relu(W1 x) on n_test fresh samples per class (equal priors).

    Prediction argmax_k f_k(x); a tie for the maximum (e.g. every neuron off, f = 0) counts
    as an error, as for NC networks (E1). Returns (error, binomial std error, tie rate).
    """
    errs = ties = 0
    for k, Xt in D.test_set_blocks(M, n_test, sigma, rng):
        logits = W2 @ np.maximum(W1 @ Xt, 0.0)
        top = logits.max(axis=0)
        tie = (logits == top).sum(axis=0) > 1
        wrong = (logits.argmax(axis=0) != k) | tie
        errs += int(wrong.sum())
        ties += int(tie.sum())
    tot = M.shape[1] * n_test
    p = errs / tot
    return p, float(np.sqrt(p * (1 - p) / tot)), ties / tot


_TRAINED_VARS = {
    "trained": ("1 if a network was trained on this training set, else 0", "1"),
    "trained_test_error": ("test error of the trained two-layer net on n_test fresh samples "
                           "per class (ties count as errors)", "1"),
    "trained_test_error_se": ("binomial standard error of trained_test_error", "1"),
    "trained_train_error": ("training error of the trained net (ties count as errors)", "1"),
    "trained_nc1": ("NC1 of the trained net's training features relu(W1 X) (metrics.nc1)",
                    "1"),
    "trained_collapsed": ("1 if trained_nc1 < nc1_threshold (and not diverged), else 0", "1"),
    "trained_diverged": ("1 if training diverged (training.py), else 0", "1"),
    "trained_objective": ("final training objective, paper (2.1) normalization: "
                          "(1/N) sum CE + (lambda_W/2)||W2||^2 + (lambda_H/2)||H||^2", "1"),
}


TRAINED_VARIABLES = tuple(SW.Variable(v, _GDIMS, u, desc) for v, (desc, u) in
                          _TRAINED_VARS.items())


def _train_cells(cells: list, base_seed: int, tr: dict, name: str):
    """The cells' training sets trained in one batched call (shallownc.training.cells,
    network seeds by its one convention); returns {(sigma, trial): (W1, W2, diverged,
    objective)} and the wall time. ``tr``: a validated trained block ($defs/train_recipe +
    $defs/train_runtime); only the final networks are used (no evaluation epochs between
    the first and the last)."""
    from ..training.cells import train_cells  # torch only when something is trained

    by_key = {}
    for c in cells:
        g = c.grid
        key = {"geometry": g.geometry, "n": g.n, "d": c.d, "sigma": float(c.sigmas[0]),
               "angle_deg": float(g.angle_deg), "trial": c.trial}
        by_key[(key["sigma"], c.trial)] = (c, key)
    keys = [k for _c, k in by_key.values()]

    def draw(key):
        X, y, _M, _seed = _draw(by_key[(key["sigma"], key["trial"])][0], base_seed, key["sigma"])
        return X, y

    res = train_cells(keys, draw, tr, tr, base_seed=base_seed, experiment="generalization",
                      name=name, eval_epochs=[]).result
    nets = {(k["sigma"], k["trial"]): (res.W1[r], res.W2[r], bool(res.diverged[r]),
                                       float(res.objective[r])) for r, k in enumerate(keys)}
    return nets, res.wall_s


def trained_net_metrics(W1, W2, X, y, M, sigma: float, rng, n_test: int,
                        nc1_threshold: float) -> dict:
    """Test error (trained_test_error), training error (ties count as errors) and NC1
    (shallownc.metrics.nc1 of relu(W1 X)) of one trained, not diverged net."""
    from .. import metrics

    e, se, _tie = trained_test_error(W1, W2, M, sigma, n_test, rng)
    H = np.maximum(W1 @ X, 0.0)
    logits = W2 @ H
    top = logits.max(axis=0)
    tr_wrong = (logits.argmax(axis=0) != y) | ((logits == top).sum(axis=0) > 1)
    nc1 = metrics.nc1(H, y, 2)
    return {"trained_test_error": e, "trained_test_error_se": se,
            "trained_train_error": float(tr_wrong.mean()), "trained_nc1": nc1,
            "trained_collapsed": float(np.isfinite(nc1) and nc1 < nc1_threshold)}


def result_settings(trained: dict) -> dict:
    """A trained block without its result-neutral runtime knobs (config.TRAIN_KNOBS)."""
    from ..config import TRAIN_KNOBS

    return {k: v for k, v in trained.items() if k not in TRAIN_KNOBS}


def trained_cell(cell: Cell, *, base_seed: int, tr: dict, nets: dict) -> dict:
    """Cell function (shallownc.sweep): TRAINED_VARIABLES of the nets trained on the cell's
    training sets (``nets`` from _train_cells); test samples from their own seed."""
    out = {v: [] for v in _TRAINED_VARS}
    g = cell.grid
    for s in cell.sigmas:
        W1, W2, diverged, objective = nets[(s, cell.trial)]
        o = dict.fromkeys(_TRAINED_VARS, np.nan)
        o.update(trained=1.0, trained_diverged=float(diverged), trained_objective=objective)
        if diverged:
            o["trained_collapsed"] = 0.0
        else:
            X, y, M, _seed = _draw(cell, base_seed, s)
            rng = np.random.default_rng(D.generalization_test_seed(
                base_seed, cell.trial, geometry=g.geometry, n=g.n, d=cell.d, sigma=s,
                angle_deg=g.angle_deg))
            o.update(trained_net_metrics(W1, W2, X, y, M, s, rng, int(tr["n_test"]),
                                         float(tr["nc1_threshold"])))
        for k, v in o.items():
            out[k].append(v)
    return out


def _trained_parts(exp: dict, base_seed: int, log=None) -> list:
    """One sweep job per trained d_over_n: the trained (snr, trial) cells, trained in one
    batch, then trained_cell on each."""
    tr = exp["trained"]
    if not tr["enabled"]:
        return []
    t_snr = [s for s in exp["snr"] if s in (tr["snr"] or exp["snr"])]
    t_dn = [v for v in exp["d_over_n"] if v in (tr["d_over_n"] or exp["d_over_n"])]
    t_T = min(int(tr["trials"]), int(exp["trials"]))
    if not t_snr or not t_dn or t_T < 1:
        return []
    parts = []
    for dn in t_dn:
        g = experiment_grid(exp, trials=t_T, snr=t_snr, d_over_n=[dn])
        nets, wall = _train_cells(g.cells(g.d[0], range(t_T)), base_seed, tr,
                                  f"generalization_dn{dn:g}")
        fn = functools.partial(trained_cell, base_seed=base_seed, tr=tr, nets=nets)
        parts.append(SW.run_job(g, f"d{g.d[0]}_t0-{t_T}", fn, TRAINED_VARIABLES))
        if log:
            log.info("d/n %g: trained %d nets in %.1f s", dn, len(nets), wall)
    return parts


def run_trained(exp: dict, base_seed: int, log=None) -> xr.Dataset:
    """Train two-layer nets on the experiment's training sets (same draws as run_theory).

    One batched call of shallownc.training.train_two_layer per d (runs = trained (snr, trial)
    cells, one data set each), then the cell function trained_cell through shallownc.sweep.
    Test error by sampling (trained_test_error), NC1 by shallownc.metrics.nc1. Cells not
    trained hold NaN and trained = 0.
    """
    g = experiment_grid(exp)
    T = g.trials
    parts = _trained_parts(exp, base_seed, log)
    fills = {v: (0.0 if v == "trained" else np.nan) for v in _TRAINED_VARS}
    if parts:
        ds = SW.combine(parts)
    else:
        ds = xr.Dataset({v.name: (v.dims, np.full((1, 1, 1), np.nan), v.all_attrs())
                         for v in TRAINED_VARIABLES},
                        coords={"d": [g.d[0]], "sigma": [g.sigma[0]], "trial": [0]})
        ds = ds.isel(trial=slice(0, 0))
    ds = ds.reindex(d=list(g.d), sigma=list(g.sigma), trial=np.arange(T), fill_value=fills)
    ds = _to_snr_axes(ds, exp, g).drop_vars(["d", "sigma"])
    ds = ds.assign_coords(snr=np.asarray(exp["snr"], float),
                          d_over_n=np.asarray(exp["d_over_n"], float), trial=np.arange(T))
    ds.attrs = {"trained_settings_json": json.dumps(result_settings(exp["trained"]),
                                                    sort_keys=True),
                "normalization": NORMALIZATION}
    return ds


def job_d_values(exp: dict, which: str = "theory") -> list[int]:
    """Input dimensions d of the jobs of an experiment: one theory job per d_over_n value, one
    training job per trained d_over_n value (none when training is disabled)."""
    n = exp["n"]
    dns = list(exp["d_over_n"])
    if which == "trained":
        tr = exp["trained"]
        if not tr["enabled"]:
            return []
        dns = [v for v in dns if v in (tr["d_over_n"] or dns)]
    return [dimension(v, n) for v in dns]


def sub_experiment(exp: dict, d: int) -> dict:
    """The experiment restricted to the d_over_n value with round(d_over_n n) = d."""
    match = [v for v in exp["d_over_n"] if dimension(v, exp["n"]) == int(d)]
    if len(match) != 1:
        raise ValueError(f"d = {d} matches {len(match)} d_over_n values of the experiment "
                         f"(n = {exp['n']}, d_over_n = {exp['d_over_n']})")
    return dict(exp, d_over_n=match)


def merge(theory_parts: list, trained_parts: list) -> xr.Dataset:
    """One dataset over (snr, d_over_n, trial[, class]) from per-d theory and trained parts.

    Theory parts are concatenated along d_over_n (sorted); trained parts fill the trained-net
    variables at their d_over_n, NaN (trained = 0) elsewhere.
    """
    if not theory_parts:
        raise ValueError("no theory results to merge")
    theory = xr.concat(sorted(theory_parts, key=lambda p: float(p.d_over_n[0])), dim="d_over_n",
                       data_vars="all", coords="minimal", compat="equals", join="exact",
                       combine_attrs="drop_conflicts")
    out = theory.copy()
    shape = tuple(out.sizes[c] for c in ("snr", "d_over_n", "trial"))
    for k, (desc, u) in _TRAINED_VARS.items():
        out[k] = (("snr", "d_over_n", "trial"), np.full(shape, 0.0 if k == "trained" else np.nan),
                  {"description": desc, "units": u})
    for part in trained_parts:
        for c in ("snr", "trial"):
            if not np.array_equal(out[c].values, part[c].values):
                raise ValueError(f"theory and trained results disagree on coordinate {c!r}: "
                                 f"{out[c].values} vs {part[c].values}")
        for dn in part.d_over_n.values:
            if dn not in out.d_over_n.values:
                raise ValueError(f"trained results at d_over_n = {dn} have no theory part "
                                 f"(d_over_n {out.d_over_n.values})")
            j = int(np.flatnonzero(out.d_over_n.values == dn)[0])
            for k in _TRAINED_VARS:
                out[k][:, j, :] = part[k].sel(d_over_n=dn).values
        out.attrs.update({k: v for k, v in part.attrs.items() if k.startswith("trained_")})
    return out
