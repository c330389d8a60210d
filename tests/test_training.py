"""Batched trainer (shallownc.training): gradients, collapse, divergence, kill-and-resume."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from shallownc import training as T
from shallownc.data import GMMSpec
from shallownc.models import init_net


def _training(exp: dict, **run) -> tuple[dict, dict]:
    """(experiment, training section) of a dynamics experiment built through config
    validation (schema defaults); no checkpoints, CPU unless given."""
    from shallownc.config import validate

    sec = validate({"training": {"dynamics": exp, "device": "cpu", "checkpoint_dir": None,
                                 **run}})["training"]
    return sec["dynamics"], sec

torch.set_num_threads(1)


def reference_objective(Ws, bs, X, y, loss, reg, lam_W, lam_H):
    """The stated objective of ONE run, paper (2.1), written independently of the batched code."""
    h = X
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = torch.relu(W @ h + (0 if b is None else b))
    f = Ws[-1] @ h + (0 if bs[-1] is None else bs[-1])
    N = X.shape[1]
    if loss == "ce":
        data = torch.nn.functional.cross_entropy(f.T, y, reduction="mean")
    else:
        Y = torch.nn.functional.one_hot(y, f.shape[0]).T.to(f.dtype)
        data = 0.5 * ((f - Y) ** 2).sum() / N
    if reg == "feature":
        r = lam_W / 2 * (Ws[-1] ** 2).sum() + lam_H / 2 * (h ** 2).sum()
    elif reg == "weight_decay":
        r = lam_W / 2 * sum((W ** 2).sum() for W in Ws)
    else:
        r = 0.0
    return data + r


@pytest.mark.parametrize("arch,widths", [("two_layer", (7,)), ("three_layer", (6, 5))])
@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("reg", ["feature", "weight_decay", "none"])
def test_batched_gradients_equal_per_run_autograd(arch, widths, loss, reg):
    rng = np.random.default_rng(1)
    d, N, K, R = 5, 12, 3, 3
    X = torch.as_tensor(rng.standard_normal((R, d, N)))
    y = torch.as_tensor(np.tile(np.arange(K), N // K))
    lam_W = torch.tensor([1e-2, 3e-2, 0.0], dtype=torch.float64)
    lam_H = torch.tensor([1e-3, 0.0, 2e-2], dtype=torch.float64)
    net = init_net(arch, d, K, widths, seeds=[3, 4, 5], bias=True, dtype=torch.float64)
    with torch.no_grad():
        for b in net.biases:
            b.normal_(0, 0.3)
    obj, _ = T.objective(net, X, y, loss=loss, reg=reg, lambda_W=lam_W, lambda_H=lam_H)
    grads = torch.autograd.grad(obj.sum(), net.parameters())
    nW = len(net.weights)
    for r in range(R):
        Ws = [w[r].detach().clone().requires_grad_(True) for w in net.weights]
        bs = [b[r].detach().clone().requires_grad_(True) for b in net.biases]
        ref = reference_objective(Ws, bs, X[r], y, loss, reg, lam_W[r], lam_H[r])
        assert obj[r].item() == pytest.approx(ref.item(), rel=1e-12)
        gref = torch.autograd.grad(ref, Ws + bs)
        for g, gr in zip(grads[:nW] + grads[nW:], gref):
            torch.testing.assert_close(g[r], gr, rtol=1e-10, atol=1e-12)


def test_minibatch_feature_term_is_rescaled():
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.standard_normal((4, 10)))
    y = torch.as_tensor(np.repeat([0, 1], 5))
    net = init_net("two_layer", 4, 2, (3,), seeds=[0], dtype=torch.float64)
    lam = torch.tensor([0.0]), torch.tensor([0.5])
    full, _ = T.objective(net, X, y, loss="ce", reg="feature", lambda_W=lam[0].double(),
                          lambda_H=lam[1].double())
    halves = [T.objective(net, X[:, s], y[s], loss="ce", reg="feature",
                          lambda_W=lam[0].double(), lambda_H=lam[1].double(), h_scale=2.0)[0]
              for s in (slice(0, 5), slice(5, 10))]
    assert full.item() == pytest.approx(((halves[0] + halves[1]) / 2).item(), rel=1e-12)


def noisy_feasible(n=5, d=20, sigma=1.0, seed=3):
    X, y, _, _ = GMMSpec("antipodal", 2, n, d, sigma).draw(seed, 0)
    return X, y


def test_tiny_feasible_instance_collapses():
    X, y = noisy_feasible()
    assert T.lp_status(X, y) == 1  # d >= N: the class LPs are feasible (docs/science.md 4)
    res = T.train_two_layer(X, y, width=32, lambda_W=2e-2, lambda_H=2e-3, epochs=1500,
                            lr=0.5, seeds=(0, 1))
    tr = res.trajectory
    assert (tr.nc1_input > 0.1).all()  # the data themselves are far from collapsed
    assert (tr.nc1.sel(epoch=0) > 0.05).all()
    assert (tr.nc1.isel(epoch=-1) < 1e-2).all(), tr.nc1.isel(epoch=-1).values
    assert not res.diverged.any()
    assert res.W1.shape == (2, 32, 20) and res.W2.shape == (2, 2, 32)
    assert res.objective.shape == (2,) and np.isfinite(res.objective).all()
    assert set(tr.nc1.dims) == {"run", "epoch"} and int(tr.epoch[0]) == 0
    assert (tr.nc1 >= 0).all()


def test_runs_in_a_batch_equal_runs_alone_and_divergence_is_isolated():
    X, y = noisy_feasible(n=4, d=12)
    Xt, yt = noisy_feasible(n=20, d=12, seed=9)
    kw = dict(width=8, epochs=60, seeds=(5, 6), dtype="float64", X_test=Xt, y_test=yt)
    both = T.train_two_layer(X, y, lr=[0.1, 1e9], **kw)
    alone = T.train_two_layer(X, y, lr=0.1, **{**kw, "seeds": (5,)})
    assert list(both.diverged) == [False, True]
    assert both.diverged_epoch[1] >= 1 and both.diverged_epoch[0] == -1
    a, b = both.trajectory.isel(run=0), alone.trajectory.isel(run=0)
    np.testing.assert_allclose(a.nc1, b.nc1, rtol=1e-10)
    np.testing.assert_allclose(a.test_error, b.test_error)
    bad = both.trajectory.isel(run=1)
    assert np.isnan(bad.nc1.sel(epoch=60)) and np.isfinite(bad.final_nc1)
    assert int(bad.diverged) == 1 and np.isfinite(both.objective[1])


def test_bad_input_is_rejected_with_a_clear_message():
    X, y = noisy_feasible(n=3, d=6)
    with pytest.raises(ValueError, match="NaN"):
        T.train_two_layer(np.full_like(X, np.nan), y, width=4, epochs=2)
    with pytest.raises(ValueError, match="y must have shape"):
        T.train_two_layer(X, y[:-1], width=4, epochs=2)
    with pytest.raises(ValueError, match="loss must be"):
        T.train_two_layer(X, y, width=4, epochs=2, loss="hinge")
    with pytest.raises(ValueError, match="one value per run"):
        T.train_two_layer(X, y, width=4, epochs=2, seeds=(1, 2), lr=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="every class"):
        T.train_two_layer(X, np.zeros_like(y) + 1, width=4, epochs=2)


def test_log_epochs_and_schedules():
    e = T.log_epochs(10 ** 6, 40)
    assert e[0] == 0 and e[-1] == 10 ** 6 and np.all(np.diff(e) > 0) and 30 <= len(e) <= 42
    assert T.lr_factor("cosine", 0, 100) == 1.0 and T.lr_factor("cosine", 100, 100) == 0.0
    assert T.lr_factor("step", 80, 100) == pytest.approx(0.01)


def test_three_layer_sgd():
    X, y = noisy_feasible(n=6, d=8, sigma=0.3)
    res = T.train_three_layer(X, y, widths=(16, 8), batch_size=4, momentum=0.9, lr=0.05,
                              epochs=20, seeds=(0, 1))
    assert res.trajectory.attrs["arch"] == "three_layer" and len(res.weights) == 3
    assert np.isfinite(res.trajectory.nc1.isel(epoch=-1)).all()


RESUME_SCRIPT = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(1)
    sys.path.insert(0, sys.argv[3])
    from test_training import resume_run
    r = resume_run(sys.argv[1])
    r.trajectory.attrs["resumed_from_epoch"] = r.resumed_from_epoch
    r.trajectory.to_netcdf(sys.argv[2])
""")
RESUME_EPOCHS = 4000


def resume_run(checkpoint_dir=None):
    """The run of the kill-and-resume test (also run in-process, uninterrupted)."""
    X, y, _, _ = GMMSpec("antipodal", 2, 10, 30, 0.5).draw(3, 0)
    return T.train_two_layer(X, y, width=32, epochs=RESUME_EPOCHS, lr=0.3, seeds=(0, 1),
                             dtype="float64", n_eval=60, checkpoint_dir=checkpoint_dir,
                             checkpoint_every_s=0.2, log_every_s=1e9)


def test_sigkill_and_resume_gives_the_uninterrupted_trajectory(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RESUME_SCRIPT)
    ckpt = tmp_path / "ckpt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    here = str(Path(__file__).resolve().parent)
    cmd = [sys.executable, str(script)]
    proc = subprocess.Popen(cmd + [str(ckpt), str(tmp_path / "killed.nc"), here], env=env)
    deadline = time.monotonic() + 60
    while not (ckpt.exists() and any(ckpt.glob("*.pt"))):
        assert proc.poll() is None, "training ended before writing a checkpoint"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed.nc").exists(), "the run finished before it was killed"
    subprocess.run(cmd + [str(ckpt), str(tmp_path / "resumed.nc"), here], env=env,
                   check=True)
    resumed = xr.load_dataset(tmp_path / "resumed.nc")
    straight = resume_run(None).trajectory  # uninterrupted, same thread count (1)
    assert 0 < resumed.attrs["resumed_from_epoch"] < RESUME_EPOCHS
    for v in T.TRAJ_VARS:
        xr.testing.assert_equal(resumed[v], straight[v])
    assert float(resumed.nc1.isel(epoch=-1).max()) < float(resumed.nc1.isel(epoch=1).min())


def test_chunked_evaluation_equals_one_chunk():
    X, y = noisy_feasible(n=4, d=6)
    Xt, yt = noisy_feasible(n=10, d=6, seed=8)
    net = init_net("two_layer", 6, 2, (5,), seeds=[1, 2, 3], dtype=torch.float64)
    lam = torch.tensor([1e-2, 0.0, 1e-3], dtype=torch.float64)
    args = dict(loss="ce", reg="feature")
    act = np.ones(3, dtype=bool)
    X64, Xt64 = torch.as_tensor(X), torch.as_tensor(Xt)
    one = T.evaluate(net.detach(), X64, y, Xt64, yt, args, lam, lam, act)
    many = T.evaluate(net.detach(), X64, y, Xt64, yt, args, lam, lam, act, max_bytes=1)
    for k in T.TRAJ_VARS:
        np.testing.assert_allclose(one[k], many[k], rtol=1e-12, atol=1e-14, err_msg=k)
    assert np.isfinite(one["nc1_test"]).all()


def test_experiment_outputs_have_named_dims_and_described_variables():
    exp, run = _training({"data": {"geometry": "antipodal", "K": 2, "n": 3, "n_test": 5},
                          "train": {"width": 4, "epochs": 5, "n_eval": 4, "lr": 0.1,
                                    "lambda_W": 1e-2, "lambda_H": 1e-3},
                          "d_over_n": [0.67, 3.0], "sigma": [0.1, 1.0], "trials": 2})
    ds = T.run_dynamics(exp, run, 1)
    assert ds.epoch.values.tolist() == [0, 1, 2, 3, 5]  # log_epochs(5, 4)
    assert dict(ds.sizes) == {"d_over_n": 2, "sigma": 2, "trial": 2, "epoch": 5}
    assert set(np.unique(ds.lp_status)) <= {0, 1} and ds.lp_status.size == 8
    for v in ds.variables:
        assert {"description", "units"} <= set(ds[v].attrs), v


def test_progress_log_and_corrupt_checkpoint(tmp_path, caplog):
    X, y = noisy_feasible(n=3, d=6)
    kw = dict(width=4, epochs=30, seeds=(0,), checkpoint_dir=tmp_path, log_every_s=0.0,
              name="tiny")
    with caplog.at_level("INFO", logger="shallownc.training"):
        first = T.train_two_layer(X, y, **kw)
    line = next(r.getMessage() for r in caplog.records if "epoch 30/30" in r.getMessage())
    for field in ("objective", "NC1", "steps/s", "ETA"):
        assert field in line
    (ckpt,) = tmp_path.glob("tiny-*.pt")
    ckpt.write_bytes(b"not a checkpoint")
    caplog.clear()
    with caplog.at_level("WARNING", logger="shallownc.training"):
        again = T.train_two_layer(X, y, **kw)
    assert any("unreadable checkpoint" in r.getMessage() for r in caplog.records)
    assert again.resumed_from_epoch == 0
    xr.testing.assert_equal(first.trajectory.nc1, again.trajectory.nc1)
