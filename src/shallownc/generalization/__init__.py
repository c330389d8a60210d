"""Generalization of neural-collapse (NC) solutions for two-class Gaussian mixtures.

docs/science.md §8; every formula below is derived in reports/generalization.md (section tags
"E1".."E5" refer to it).

Setting (docs/science.md §1): K = 2, x = mu_k + sigma z, z ~ N(0, I_d). A two-neuron NC solution
(docs/science.md §4) has neurons w_1 in F_1, w_2 in F_2 with
    F_k = { w : X_k^T w = 1, X_j^T w <= 0 (j != k) }      (the class-k LP on the TRAINING set),
and predicts class 1 iff relu(u_1) > relu(u_2), class 2 iff relu(u_2) > relu(u_1), with
u_k = <w_k, x> (the NC second layer is aligned with the collapsed, equinorm features, so the
logits are proportional to relu(u_1) - relu(u_2); E1). When both neurons are off (u_1 <= 0,
u_2 <= 0) the logits tie and the network makes no decision: **ties count as errors**; the tie
probability is returned separately so that the "ties count one half" convention can be formed.

* E2, exact error of a given network: (u_1, u_2) is bivariate Gaussian given (w_1, w_2), so
  P(correct | class k) = P(u_k > 0, u_k - u_j > 0) is a bivariate-normal orthant probability,
  evaluated as an exact one-dimensional integral (:func:`orthant_probability`).
* E3, one-neuron reduction: a class-k test point whose own neuron is off (u_k <= 0) is never
  classified correctly, so   err >= (1/2) sum_k Phi(-<w_k, mu_k> / (sigma ||w_k||)).
* E4, the best NC neuron: sup over F_k of the alignment <w, mu_k>/||w|| ("beta" below) is a
  least-distance program over the closed cone C_k = cl cone(F_k), solved exactly by NNLS
  (Lawson & Hanson 1974, ch. 23) in :func:`best_alignment`. The best NC error lies in the
  bracket [max(reduction optimum, Bayes), smallest exact error of explicit NC networks]
  (E4b linear network, E4c pushed-apart pairs, E4d local SLSQP refinement).
* E5, bounds: Cauchy-Schwarz / Bayes constants and the interpolation (equality-relaxation)
  bound rho_eq = ||Pi_{V_k cap H_k}(mu_k)|| (:func:`equality_relaxation_alignment`), whose
  mean-field value is r sqrt(1 - (n - 1)/d).

Package layout (by concern): network (E1, E2: exact error of an NC network), neuron (E3, E4:
one-neuron reduction, best NC neuron, refinement; one training set), bounds (E5), experiments
(the drivers run_theory / run_trained on the grid model, jobs and merge). Every name is
re-exported here: ``from shallownc.generalization import X`` works as before.
"""

from __future__ import annotations

from .network import (  # noqa: F401
    Phi, orthant_probability, ClassOutcome, class_outcome, network_error, predict_two_neuron,
    monte_carlo_error)

from .bounds import (  # noqa: F401
    equality_relaxation_alignment, bayes_error, cauchy_schwarz_bound, nc_bound)

from .neuron import (  # noqa: F401
    STATUS_OK, STATUS_NOT_NC, STATUS_NONPOSITIVE, STATUS_UNDECIDED, STATUS_NAMES, ldp, Alignment,
    best_alignment, nc_neuron, analyse_instance, best_linear_nc, upper_search, _phi2_and_grads,
    _correct_and_grad, refine_pair)

from .experiments import (  # noqa: F401
    check_experiment, cell_spec, _GDIMS, _THEORY_VARS, _CLASS_VARS, _STATUS_FLAGS,
    THEORY_VARIABLES, experiment_grid, _draw, best_upper, theory_instance, theory_cell,
    _to_snr_axes, _theory_coords, _theory_attrs, _bound_meanfield, run_theory, trained_test_error,
    _TRAINED_VARS, TRAINED_VARIABLES, _train_cells, trained_net_metrics, result_settings,
    trained_cell,
    _trained_parts, run_trained, job_d_values, sub_experiment, merge)
