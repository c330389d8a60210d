"""Checkpoints are keyed by everything that determines the trajectory (issue 14 item 4)."""
import logging

import numpy as np
import pytest
import torch
import xarray as xr

from shallownc import training as T
from shallownc.data import GMMSpec
from shallownc.training import state as S

torch.set_num_threads(1)


def _data():
    X, y, _, _ = GMMSpec("antipodal", 2, 4, 8, 0.5).draw(7, 0)
    return X, y


def _train(tmp_path, **kw):
    X, y = _data()
    args = dict(width=6, epochs=20, seeds=(0, 1), dtype="float64", lr=0.1, n_eval=4,
                checkpoint_dir=tmp_path, log_every_s=1e9, name="ck")
    return T.train_two_layer(X, y, **{**args, **kw})


def test_same_settings_reuse_the_finished_checkpoint(tmp_path):
    first = _train(tmp_path)
    again = _train(tmp_path)
    assert first.resumed_from_epoch == 0 and again.resumed_from_epoch == 20
    xr.testing.assert_equal(first.trajectory.nc1, again.trajectory.nc1)


@pytest.mark.parametrize("change", [dict(lr=0.05), dict(epochs=21), dict(lambda_H=3e-3),
                                    dict(lr_schedule="step"), dict(momentum=0.5)])
def test_a_changed_setting_never_reuses_the_old_checkpoint(tmp_path, caplog, change):
    _train(tmp_path)
    with caplog.at_level(logging.INFO, logger="shallownc.training"):
        new = _train(tmp_path, **change)
    assert new.resumed_from_epoch == 0
    fresh = _train(tmp_path / "fresh", **change)
    np.testing.assert_array_equal(new.weights[0], fresh.weights[0])
    msg = [r.getMessage() for r in caplog.records if "ignoring checkpoint" in r.getMessage()]
    assert len(msg) == 1 and "settings" in msg[0], msg
    assert f"settings.{next(iter(change))}" in msg[0]


def test_a_code_edit_never_reuses_the_old_checkpoint(tmp_path, caplog, monkeypatch):
    """Failed before issue 14.4: the key had no code version, so the finished checkpoint of
    the old code was reloaded and its numbers written under the new code."""
    _train(tmp_path)
    monkeypatch.setattr(S, "code_version", lambda: "edited-code")
    with caplog.at_level(logging.INFO, logger="shallownc.training"):
        new = _train(tmp_path)
    assert new.resumed_from_epoch == 0
    assert any("ignoring checkpoint" in r.getMessage() and "code" in r.getMessage()
               for r in caplog.records)


def test_code_version_sees_code_edits_but_not_comments(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('"""Doc."""\ndef g(x):\n    return 2 * x  # double\n')
    h0 = S.source_hash([f])
    f.write_text('"""Other doc."""\n# a comment\ndef g(x):\n    """Twice."""\n'
                 '    return 2 * x\n')
    assert S.source_hash([f]) == h0
    f.write_text('"""Doc."""\ndef g(x):\n    return 3 * x\n')
    assert S.source_hash([f]) != h0
    names = {p.name for p in S.CODE_FILES}
    assert {"objective.py", "loop.py", "state.py", "evaluation.py", "models.py",
            "metrics.py"} <= names
    assert len(T.code_version()) == 16


def test_checkpoint_records_its_key_beside_it(tmp_path):
    _train(tmp_path)
    (meta,) = tmp_path.glob("ck-*.json")
    (ckpt,) = tmp_path.glob("ck-*.pt")
    assert meta.stem == ckpt.stem
    text = meta.read_text()
    for k in ('"code"', '"torch"', '"data"', '"lr"', '"lr_milestones"', '"epochs"'):
        assert k in text
