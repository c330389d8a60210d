"""The paper's recipe in the trainer: normalization (2.1), step schedule, frozen first layer."""
import numpy as np
import pytest
import torch

from shallownc import training as T
from shallownc.data import GMMSpec


def _training(exp: dict, **run) -> tuple[dict, dict]:
    """(experiment, training section) of a dynamics experiment built through config
    validation (schema defaults); no checkpoints, CPU unless given."""
    from shallownc.config import validate

    sec = validate({"training": {"dynamics": exp, "device": "cpu", "checkpoint_dir": None,
                                 **run}})["training"]
    return sec["dynamics"], sec

torch.set_num_threads(1)


def _data(n=6, d=10, sigma=0.4, seed=2):
    X, y, _, _ = GMMSpec("antipodal", 2, n, d, sigma).draw(seed, 0)
    return X, y


def paper_objective(Ws, X, y, lam_W, lam_H, frozen=0, reg="feature"):
    """Paper (2.1) for one run in numpy: (1/N) sum CE + (lam_W/2)||W||^2 + (lam_H/2)||H||^2."""
    h = X
    for W in Ws[:-1]:
        h = np.maximum(W @ h, 0.0)
    f = Ws[-1] @ h
    m = f.max(axis=0)
    ce = np.mean(m + np.log(np.exp(f - m).sum(axis=0)) - f[y, np.arange(f.shape[1])])
    if reg == "feature":
        return ce + lam_W / 2 * (Ws[-1] ** 2).sum() + lam_H / 2 * (h ** 2).sum()
    return ce + lam_W / 2 * sum((W ** 2).sum() for W in Ws[frozen:])


def test_recorded_objective_is_the_paper_objective_in_float64():
    X, y = _data()
    res = T.train_two_layer(X, y, width=8, lambda_W=2e-2, lambda_H=[1e-3, 4e-3], epochs=30,
                            seeds=(3, 4), dtype="float64", n_eval=3)
    for r in range(2):
        ref = paper_objective([w[r] for w in res.weights], X, y, 2e-2, [1e-3, 4e-3][r])
        assert float(res.trajectory.objective.isel(run=r, epoch=-1)) == pytest.approx(
            ref, rel=1e-12)
    assert "(lambda_W/2)" in res.trajectory.attrs["normalization"]
    assert "(2.1)" in res.trajectory.attrs["normalization"]


def test_step_schedule_defaults_to_the_papers_milestones():
    assert [T.lr_factor("step", e, 300) for e in (0, 99, 100, 199, 200, 299)] == \
        pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])
    assert T.TrainSpec().lr_milestones == pytest.approx((1 / 3, 2 / 3))
    assert T.TrainSpec().momentum == 0.0
    with pytest.raises(ValueError, match="lr_milestones"):
        T.TrainSpec(lr_milestones=(0.7, 0.2))


def test_step_schedule_changes_the_trajectory_only_after_the_first_milestone():
    X, y = _data()
    kw = dict(width=8, epochs=30, seeds=(1,), dtype="float64", eval_epochs=range(31), lr=0.3)
    const = T.train_two_layer(X, y, **kw).trajectory.objective.isel(run=0)
    step = T.train_two_layer(X, y, lr_schedule="step", lr_milestones=(0.5,),
                             **kw).trajectory.objective.isel(run=0)
    np.testing.assert_array_equal(const.sel(epoch=slice(0, 15)), step.sel(epoch=slice(0, 15)))
    assert not np.array_equal(const.sel(epoch=slice(16, 30)), step.sel(epoch=slice(16, 30)))


@pytest.mark.parametrize("kw", [dict(), dict(batch_size=4), dict(reg="weight_decay")])
def test_frozen_first_layer_is_not_trained_nor_regularized(kw):
    X, y = _data()
    d1 = 40
    common = dict(widths=(d1, 8), momentum=0.0, epochs=15, seeds=(5, 6), dtype="float64",
                  lr=0.2, lambda_W=2e-2, lambda_H=2e-3, freeze_first=True, n_eval=3, **kw)
    man = T.train_three_layer(X, y, **common)
    auto = T.train_three_layer(X, y, grad="autograd", **common)
    init = T.train_three_layer(X, y, **{**common, "epochs": 1, "lr": 1e-300})
    np.testing.assert_array_equal(man.weights[0], init.weights[0])       # never updated
    assert not np.allclose(man.weights[1], init.weights[1])             # the rest is
    for a, b in zip(man.weights, auto.weights):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    reg = kw.get("reg", "feature")
    for r in range(2):
        ref = paper_objective([w[r] for w in man.weights], X, y, 2e-2, 2e-3, frozen=1, reg=reg)
        assert float(man.trajectory.objective.isel(run=r, epoch=-1)) == pytest.approx(
            ref, rel=1e-12)
    assert man.trajectory.attrs["freeze_first"] == 1


def test_frozen_first_layer_has_the_papers_variance():
    X, y = _data(d=50)
    d1 = 400
    res = T.train_three_layer(X, y, widths=(d1, 4), epochs=1, seeds=(0, 1), lr=1e-300,
                              freeze_first=True, init_scale=3.0, dtype="float64", n_eval=2)
    # paper Theorem 6: W1 i.i.d. N(0, 1/d1), whatever init_scale (which scales the rest)
    np.testing.assert_allclose(res.weights[0].std(axis=(1, 2)), 1 / np.sqrt(d1), rtol=0.02)
    np.testing.assert_allclose(res.weights[1].std(axis=(1, 2)), 3 / np.sqrt(d1), rtol=0.05)
    with pytest.raises(ValueError, match="freeze_first"):
        T.train_two_layer(X, y, width=4, epochs=1, freeze_first=True)


def test_experiment_outputs_record_the_normalization():
    exp, run = _training({"data": {"geometry": "antipodal", "K": 2, "n": 3, "n_test": 5},
                          "train": {"width": 4, "epochs": 3, "n_eval": 4, "lr": 0.1,
                                    "lambda_W": 2e-2, "lambda_H": 2e-3, "lr_schedule": "step",
                                    "lr_milestones": [0.5]},
                          "d_over_n": [3.0], "sigma": [0.5], "trials": 1})
    ds = T.run_dynamics(exp, run, 1)
    assert ds.attrs["normalization"] == T.NORMALIZATION
    assert ds.attrs["lr_milestones"] == "[0.5]"
    for v in ("nc2_h_paper", "nc2_w_paper", "nc3_paper", "nc1_trace", "objective"):
        assert {"description", "units"} <= set(ds[v].attrs)


def test_padded_grid_trains_the_same_runs_as_per_d_calls():
    """run_padded_grid (one call, inputs zero-padded, per-run input_dims) == run_dynamics.

    Full batch: minibatch orders are drawn per call (training.loop), so with minibatches the
    two give the same statistics, not the same numbers."""
    exp, run = _training({"data": {"geometry": "antipodal", "K": 2, "n": 4, "n_test": 5},
                          "train": {"width": 6, "epochs": 25, "n_eval": 4, "lr": 0.2,
                                    "lambda_W": 2e-2, "lambda_H": 2e-3},
                          "d_over_n": [1.5, 3.0], "sigma": [0.2, 0.8], "trials": 2},
                         dtype="float64")
    per_d = T.run_dynamics(exp, run, 11)
    padded = T.run_padded_grid(exp, run, 11, "dynamics")
    assert dict(padded.sizes) == dict(per_d.sizes)
    assert padded.d.values.tolist() == [6, 12] and padded.attrs["padded_to_d"] == 12
    np.testing.assert_array_equal(padded.lp_status, per_d.lp_status)
    for v in ("objective", "nc1", "nc3_paper", "test_error"):
        np.testing.assert_allclose(padded[v].transpose(*per_d[v].dims), per_d[v],
                                   rtol=1e-9, atol=1e-12, err_msg=v)


def test_padding_must_be_zero():
    X, y = _data(d=6)
    Xs = np.stack([np.pad(X, ((0, 2), (0, 0))), np.pad(X, ((0, 2), (0, 0)))])
    Xs[1, 7, 0] = 1.0
    with pytest.raises(ValueError, match="must be zero"):
        T.train_two_layer(Xs, y, width=4, epochs=1, seeds=(0, 1), input_dims=(6, 6))


@pytest.mark.parametrize("field,value,match", [
    ("lr_gamma", 0.0, "lr_gamma"), ("lr_schedule", "linear", "lr_schedule"),
    ("dtype", "float16", "dtype"), ("momentum", 1.0, "momentum"), ("arch", "mlp", "arch"),
    ("input_dims", (3,), "input_dims"), ("batch_size", 0, "batch_size"),
    ("eval_epochs", (0, 11), "eval_epochs"), ("reg", "l1", "reg"),
])
def test_spec_rejects_bad_fields_by_name(field, value, match):
    with pytest.raises(ValueError, match=match):
        T.TrainSpec(**{"seeds": (0, 1), "epochs": 10, field: value})


def test_spec_is_the_api_of_train():
    X, y = _data(n=3, d=5)
    spec = T.TrainSpec(widths=(4,), epochs=3, seeds=(0, 1), dtype="float64", n_eval=2)
    a = T.train(X, y, spec)
    b = T.train(X, y, spec, lr=0.05)                     # keywords override the spec
    c = T.train_two_layer(X, y, width=4, epochs=3, seeds=(0, 1), dtype="float64", n_eval=2,
                          lr=0.05)
    np.testing.assert_array_equal(b.weights[0], c.weights[0])
    assert not np.array_equal(a.weights[0], b.weights[0])
    with pytest.raises(ValueError, match="batch_size must be in 1..N=6"):
        T.train(X, y, spec, batch_size=7)


#: first epoch at lr/10 and at lr/100 for the paper's 10^5 epochs, the CPU preset's 2 10^4, and
#: a length divisible by 3 (epochs are 0-based: epoch e is the (e+1)-th pass)
DROPS = {100000: (33334, 66667), 20000: (6667, 13334), 30000: (10000, 20000)}


@pytest.mark.parametrize("E", sorted(DROPS))
def test_step_schedule_boundaries_at_the_papers_lengths(E):
    """Paper Section 3: lr 0.1 divided by 10 at 1/3 and 2/3 of training. lr_factor("step")
    with the default milestones (1/3, 2/3) (the schema's, checked in
    test_paper_training::test_fig3_job_trains_the_papers_data_with_the_papers_recipe) is 1 on
    epochs [0, E/3), 0.1 on [E/3, 2E/3), 0.01 on [2E/3, E)."""
    m1, m2 = DROPS[E]
    got = [T.lr_factor("step", e, E) for e in (0, m1 - 1, m1, m2 - 1, m2, E - 1)]
    assert got == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01], rel=1e-12)


def test_trainer_applies_the_schedule_per_epoch_with_h_scale_n_over_b(monkeypatch):
    """Every SGD step of epoch e uses lr 0.1 x lr_factor(e) (one factor per epoch, the paper's
    recipe), each epoch's N/B minibatches partition the N samples (a fresh permutation per
    epoch), and every step's feature term is scaled by h_scale = N/B (training.objective:
    the unbiased estimate of (2.1)). Spied on the trainer's own step (training.loop)."""
    from shallownc.training import loop

    X, y = _data(n=3, d=5)                   # N = 6
    N, B, E = 6, 2, 30
    X = X + np.arange(N)[None, :] * 1e-3     # distinct columns, to identify the samples
    steps, batches = [], []
    real_update, real_grad = loop._update, loop.objective_and_grad

    def spy_update(spec, params, grads, bufs, neg_lr, step):
        steps.append((step, -float(neg_lr[0])))
        return real_update(spec, params, grads, bufs, neg_lr, step)

    def spy_grad(net, Xb, Yb, **kw):
        cols = Xb[0] if Xb.dim() == 3 else Xb
        batches.append((kw["h_scale"], [int(np.argmin(((X - c.numpy()[:, None]) ** 2).sum(0)))
                                         for c in cols.T]))
        return real_grad(net, Xb, Yb, **kw)

    monkeypatch.setattr(loop, "_update", spy_update)
    monkeypatch.setattr(loop, "objective_and_grad", spy_grad)
    T.train_two_layer(X, y, width=4, epochs=E, batch_size=B, lr=0.1, lr_schedule="step",
                      seeds=(1,), dtype="float64", n_eval=4)
    per = N // B
    assert [s for s, _ in steps] == list(range(1, E * per + 1))
    want = [0.1 * (1.0 if e < 10 else 0.1 if e < 20 else 0.01) for e in range(E) for _ in
            range(per)]
    np.testing.assert_allclose([lr for _, lr in steps], want, rtol=1e-12)
    assert {h for h, _ in batches} == {N / B}
    for e in range(E):
        idx = sum((b for _, b in batches[e * per:(e + 1) * per]), [])
        assert sorted(idx) == list(range(N)), (e, idx)
    assert len({tuple(b) for _, b in batches}) > per   # the batches change between epochs
