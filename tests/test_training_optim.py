"""Optimizer recipe axes of the trainer (training.loop._update; issue 23): every optimizer's
steps equal torch.optim's reference steps on a tiny case, both gradient paths."""

import numpy as np
import pytest
import torch

from shallownc import training
from shallownc.models import BatchedNet, init_net
from shallownc.training.objective import objective

CASES = [
    ("sgd", {}, torch.optim.SGD, {}),
    ("sgd", {"momentum": 0.9}, torch.optim.SGD, {"momentum": 0.9}),
    ("adam", {}, torch.optim.Adam, {}),
    ("adam", {"betas": (0.8, 0.99), "adam_eps": 1e-6}, torch.optim.Adam,
     {"betas": (0.8, 0.99), "eps": 1e-6}),
    ("adamw", {"adamw_decay": 0.05}, torch.optim.AdamW, {"weight_decay": 0.05}),
]


def _data():
    rng = np.random.default_rng(4)
    return rng.standard_normal((5, 8)), np.repeat([0, 1], 4)


@pytest.mark.parametrize("reg", ["feature", "weight_decay"])
@pytest.mark.parametrize("grad", ["manual", "autograd"])
@pytest.mark.parametrize("opt,kw,ref,ref_kw", CASES)
def test_optimizer_steps_equal_torch_optim(opt, kw, ref, ref_kw, grad, reg):
    X, y = _data()
    seeds, lrs, epochs = [3, 9], [0.05, 0.2], 7
    res = training.train_two_layer(X, y, width=4, seeds=seeds, lr=lrs, epochs=epochs,
                                   lambda_W=0.03, lambda_H=0.02, reg=reg, dtype="float64",
                                   optimizer=opt, grad=grad, n_eval=2, **kw)
    net0 = init_net("two_layer", 5, 2, (4,), seeds, 1.0, False, torch.float64)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for r, lr in enumerate(lrs):
        params = [w[r:r + 1].detach().clone().requires_grad_(True) for w in net0.weights]
        o = ref(params, lr=lr, **ref_kw)
        for _ in range(epochs):
            o.zero_grad()
            F, _ = objective(BatchedNet(params, [None, None]), Xt, yt, loss="ce", reg=reg,
                             lambda_W=torch.tensor([0.03], dtype=torch.float64),
                             lambda_H=torch.tensor([0.02], dtype=torch.float64))
            F.sum().backward()
            o.step()
        for got, want in zip(res.weights, params):
            np.testing.assert_allclose(got[r], want[0].detach().numpy(), rtol=1e-10,
                                       atol=1e-12)
    assert res.trajectory.attrs["optimizer"] == opt


def test_optimizer_settings_are_checked():
    X, y = _data()
    for bad, msg in [({"optimizer": "rmsprop"}, "optimizer must be one of"),
                     ({"optimizer": "adam", "momentum": 0.9}, "momentum is an SGD setting"),
                     ({"optimizer": "adam", "betas": (0.9, 1.0)}, "betas"),
                     ({"optimizer": "adam", "adam_eps": 0.0}, "adam_eps"),
                     ({"optimizer": "adam", "adamw_decay": 0.1}, "adamw_decay")]:
        with pytest.raises(ValueError, match=msg):
            training.train_two_layer(X, y, width=3, epochs=1, **bad)


def test_adam_state_holds_both_moments_and_divergence_clears_them():
    """TrainState: two buffers per parameter for Adam/AdamW (saved with the checkpoint, whose
    shape check covers them); a diverged run's moments are zeroed with its parameters."""
    from shallownc.training.evaluation import TRAJ_VARS
    from shallownc.training.spec import TrainData, TrainSpec
    from shallownc.training.state import TrainState

    X, y = _data()
    spec = TrainSpec(widths=(4,), seeds=(1, 2), optimizer="adam")
    st = TrainState.fresh(spec, TrainData.from_arrays(X, y, None, None, 2), "cpu", TRAJ_VARS)
    assert len(st.bufs) == 2 * len(st.params)
    for b in st.bufs:
        b.add_(1.0)
    st.first_bad[1] = 3
    st.mark_diverged("t", 1e12)
    assert all(float(b[1].abs().sum()) == 0.0 and float(b[0].abs().min()) == 1.0
               for b in st.bufs)
    st2 = TrainState.fresh(spec, TrainData.from_arrays(X, y, None, None, 2), "cpu", TRAJ_VARS)
    st2.load_dict(st.to_dict(), 10)
    assert all(torch.equal(a, b) for a, b in zip(st.bufs, st2.bufs))
