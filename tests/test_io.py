"""shallownc.io: provenance."""


def test_git_commit_is_the_commit_at_import_not_at_write(monkeypatch):
    """A long job writes its file hours after it started: the provenance commit is the one
    of the code it imported (issue 26), not whatever the checkout holds at write time."""
    import subprocess

    from shallownc import io

    before = io.git_commit()

    def moved(*a, **k):
        return subprocess.CompletedProcess(a, 0, stdout="f" * 40 + "\n", stderr="")

    monkeypatch.setattr(subprocess, "run", moved)
    assert io.git_commit() == before
    assert io._read_git_commit().startswith("f" * 40)   # what a write-time read would say
