"""Training in the span of the data (training.span, TrainSpec.data_span; reports/training.md §9):
a span run and a full run follow the same trajectory (metrics along epochs, final weights),
and the settings where that is not exact are refused."""

import numpy as np
import pytest
import torch

from shallownc import training
from shallownc.training import span as S
from shallownc.training.evaluation import TRAJ_VARS

N_PER, D, WIDTH = 20, 100, 16          # N = 40 < d = 100


def _gmm(rng, n=N_PER, d=D, sigma=0.5):
    mu = np.zeros(d)
    mu[0] = 1.0
    X = np.concatenate([mu[:, None] + sigma * rng.standard_normal((d, n)),
                        -mu[:, None] + sigma * rng.standard_normal((d, n))], axis=1)
    return X, np.repeat([0, 1], n)


def _rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


def _pair(X, y, **kw):
    settings = dict(seeds=[11, 12], epochs=75, batch_size=10, lr=0.2, lr_schedule="step",
                    lambda_W=1e-3, lambda_H=1e-3, dtype="float64", n_eval=12, **kw)
    arch = settings.pop("arch", "two_layer")
    widths = settings.pop("widths", (WIDTH,))
    full = training.train(X, y, arch=arch, widths=widths, **settings)
    span = training.train(X, y, arch=arch, widths=widths, data_span=True, **settings)
    return full, span


def _assert_same(full, span):
    tf, ts = full.trajectory, span.trajectory
    assert (tf.epoch.values == ts.epoch.values).all() and tf.sizes["epoch"] > 5
    for k in TRAJ_VARS:
        a, b = ts[k].values, tf[k].values
        assert np.array_equal(np.isnan(a), np.isnan(b)), k
        ok = ~np.isnan(b)
        # relative 1e-10; metrics that vanish identically for K = 2 (nc2_etf) are rounding
        # noise of ~1e-16 in both runs
        err, scale = np.abs(a[ok] - b[ok]).max(initial=0.0), np.abs(b[ok]).max(initial=0.0)
        assert err <= 1e-10 * scale + 1e-14, (k, err, scale)
    for a, b in zip(span.weights, full.weights):
        assert a.shape == b.shape
        assert _rel(a, b) < 1e-10, _rel(a, b)
    np.testing.assert_array_equal(span.diverged, full.diverged)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_span_run_equals_full_run_minibatch_sgd(momentum):
    """Two runs on one shared data set with a test set: r = N + N_test = 60 < d = 100."""
    rng = np.random.default_rng(0)
    X, y = _gmm(rng)
    Xt, yt = _gmm(rng, n=10)
    full, span = _pair(X, y, momentum=momentum, X_test=Xt, y_test=yt)
    assert span.trajectory.attrs["span_dim"] == 60 and span.trajectory.attrs["data_span"] == 1
    assert full.trajectory.attrs["span_dim"] == D and full.trajectory.attrs["data_span"] == 0
    assert np.isfinite(full.trajectory["test_error"].values).all()
    # the runs moved: the comparison is not one of two initial states
    assert np.nanmax(full.trajectory["objective"].values[:, 0]) > \
        1.2 * np.nanmax(full.trajectory["objective"].values[:, -1])
    _assert_same(full, span)


@pytest.mark.parametrize("reg", ["feature", "none"])
def test_span_run_equals_full_run_per_run_data_and_three_layer(reg):
    """Per-run data sets (R, d, N), each run its own basis; a three-layer net whose first
    layer is trained (the same argument: W_1 enters only through W_1 X)."""
    rng = np.random.default_rng(1)
    X = np.stack([_gmm(rng)[0] for _ in range(2)])
    y = np.repeat([0, 1], N_PER)
    _assert_same(*_pair(X, y, reg=reg, momentum=0.5))
    _assert_same(*_pair(X, y, reg=reg, arch="three_layer", widths=(12, 8)))


def test_span_equals_full_with_biases_and_autograd():
    """Biases (b_1 is not in W_1: its gradient is unchanged) and the autograd path."""
    rng = np.random.default_rng(6)
    X, y = _gmm(rng)
    _assert_same(*_pair(X, y, bias=True, grad="autograd", momentum=0.9))


def test_span_run_resumes_from_its_checkpoint(tmp_path):
    """The checkpoint holds the span state (V and its buffers); a resumed call re-draws W_1(0)
    from the seeds and returns the same d-space network."""
    rng = np.random.default_rng(7)
    X, y = _gmm(rng)
    kw = dict(seeds=[3], widths=(8,), epochs=20, batch_size=10, lr=0.1, dtype="float64",
              momentum=0.5, data_span=True, checkpoint_dir=str(tmp_path), n_eval=4)
    a = training.train(X, y, **kw)
    b = training.train(X, y, **kw)
    assert a.resumed_from_epoch == 0 and b.resumed_from_epoch == 20
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa, wb)
    assert list(tmp_path.glob("*.pt"))


def test_span_equals_full_with_input_dims_padding():
    """Runs of two d batched with zero-padded inputs (experiments.run_padded_grid)."""
    rng = np.random.default_rng(2)
    X = np.zeros((2, D, 2 * N_PER))
    X[0, :70] = _gmm(rng, d=70)[0]
    X[1] = _gmm(rng)[0]
    y = np.repeat([0, 1], N_PER)
    _assert_same(*_pair(X, y, input_dims=(70, D)))


def test_no_smaller_span_trains_as_usual():
    """d <= N: the span is all of R^d, the run is the ordinary one, bit for bit."""
    rng = np.random.default_rng(3)
    X, y = _gmm(rng, d=30)
    full, span = _pair(X, y)
    assert span.trajectory.attrs["span_dim"] == 30
    for a, b in zip(span.weights, full.weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kw,msg", [
    ({"reg": "weight_decay"}, "weight decay"),
    ({"optimizer": "adam"}, "optimizer 'adam'"),
    ({"optimizer": "adamw", "adamw_decay": 0.1}, "optimizer 'adamw'"),
    ({"arch": "three_layer", "widths": (8, 4), "freeze_first": True}, "frozen"),
])
def test_span_refuses_settings_where_it_is_not_exact(kw, msg):
    rng = np.random.default_rng(4)
    X, y = _gmm(rng)
    kw = dict(kw)
    with pytest.raises(ValueError, match=f"data_span: .*{msg}"):
        training.train(X, y, data_span=True, widths=kw.pop("widths", (4,)), epochs=2, **kw)


def test_basis_projection_and_lift():
    """range(Q) contains the inputs (also rank deficient ones), V R = W_1 X, and lift
    inverts the projection; a basis is None when the inputs span R^d."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((50, 6)) @ rng.standard_normal((6, 20))      # rank 6, 20 columns
    Xt = rng.standard_normal((50, 3))
    Q = S.basis(A, Xt)
    assert Q.shape == (50, 23)
    np.testing.assert_allclose(Q.T @ Q, np.eye(23), atol=1e-13)
    np.testing.assert_allclose(Q @ S.coordinates(Q, A), A, atol=1e-12)
    np.testing.assert_allclose(Q @ S.coordinates(Q, Xt), Xt, atol=1e-12)
    W = torch.as_tensor(rng.standard_normal((2, 4, 50)))
    V = S.project(W, Q)
    np.testing.assert_allclose((V @ torch.as_tensor(S.coordinates(Q, A))).numpy(),
                               (W @ torch.as_tensor(A)).numpy(), atol=1e-12)
    np.testing.assert_allclose(S.lift(V, W, Q).numpy(), W.numpy(), atol=1e-13)
    # a change of V moves W_1 only inside the span
    V2 = V + 1.0
    W2 = S.lift(V2, W, Q).numpy()
    P = np.eye(50) - Q @ Q.T
    np.testing.assert_allclose(W2 @ P, W.numpy() @ P, atol=1e-12)
    np.testing.assert_allclose(W2 @ Q, V2.numpy(), atol=1e-12)
    assert S.basis(rng.standard_normal((10, 8)), rng.standard_normal((10, 2))) is None
    # per-run inputs with a shared test set: one basis per run
    Qr = S.basis(rng.standard_normal((3, 50, 20)), Xt)
    assert Qr.shape == (3, 50, 23)


@pytest.mark.parametrize("cfg, match", [
    ({"paper": {"train": {"optimizer": "adam"}}},
     r"'paper.train.data_span' is true, but paper.train: optimizer 'adam'"),
    ({"training": {"data_span": True}},
     r"'training.data_span' is true, but training.regularization.variants\[1\]: weight decay"),
    ({"training": {"data_span": True, "regularization": {"variants": [
        {"reg": "feature", "lambda_W": 0.1, "lambda_H": 0.1}]},
        "three_layer": {"train": {"freeze_first": True}}}},
     r"training.three_layer.train: the first layer is frozen"),
    ({"verdict": {"data_span": True, "study": {"variants": {"list": [
        {"name": "a", "optimizer": "adamw"}]}}}},
     r"'verdict.data_span' is true, but verdict.study.variants.list\[0\]: optimizer 'adamw'"),
])
def test_config_refuses_data_span_where_it_is_not_exact(cfg, match):
    """The trainer's refusal, before any job starts (config._data_span_checks); the paper's
    default (paper.train.data_span true, SGD) and data_span with exact recipes validate."""
    from shallownc.config import ConfigError, validate

    with pytest.raises(ConfigError, match=match):
        validate(cfg)
    assert validate({})["paper"]["train"]["data_span"] is True
    assert validate({"verdict": {"data_span": True}})["verdict"]["data_span"] is True
    assert validate({"paper": {"train": {"optimizer": "adam", "data_span": False}}})
