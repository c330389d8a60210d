"""shallownc.devices.claim_device: one GPU per concurrent job (torch.cuda monkeypatched)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

from shallownc import devices
from shallownc.devices import claim_device


@pytest.fixture
def gpus(monkeypatch, tmp_path):
    """Pretend torch sees `n` GPUs; isolated lock dir; no SLURM/CUDA env from the outside."""
    monkeypatch.setenv("SHALLOWNC_GPU_LOCK_DIR", str(tmp_path / "locks"))
    for var in ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID"):
        monkeypatch.delenv(var, raising=False)

    def set_n(n):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)
        return tmp_path / "locks"
    return set_n


def test_cpu_when_no_cuda(gpus):
    gpus(0)
    with claim_device() as dev:
        assert dev == "cpu"
    with claim_device("cpu") as dev:
        assert dev == "cpu"
    with pytest.raises(RuntimeError, match="cuda"):
        with claim_device("cuda"):
            pass


def test_prefer_cpu_never_touches_gpus(gpus):
    locks = gpus(2)
    with claim_device("cpu") as dev:
        assert dev == "cpu"
    assert not locks.exists()


def test_bad_prefer_is_an_error(gpus):
    gpus(1)
    with pytest.raises(ValueError, match="prefer"):
        with claim_device("gpu"):
            pass


def test_concurrent_claims_get_distinct_gpus_and_release(gpus):
    gpus(3)
    with claim_device() as a, claim_device() as b, claim_device("cuda") as c:
        assert [a, b, c] == ["cuda:0", "cuda:1", "cuda:2"]
    with claim_device() as again:  # all released
        assert again == "cuda:0"
    with claim_device() as a:
        with claim_device() as b:
            assert (a, b) == ("cuda:0", "cuda:1")
        with claim_device() as b2:  # GPU 1 came back while GPU 0 is still held
            assert b2 == "cuda:1"


def test_all_busy_times_out_with_clear_message(gpus):
    locks = gpus(1)
    with claim_device():
        with pytest.raises(TimeoutError, match=str(locks)):
            with claim_device(wait_s=0.2, poll_s=0.05):
                pass


def test_busy_gpu_is_waited_for(gpus):
    """A job waits while every GPU is held and proceeds once one is free."""
    locks = gpus(1)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, time
        fh = open({str(locks / 'gpu0.lock')!r}, 'a+'); fcntl.flock(fh, fcntl.LOCK_EX)
        print('held', flush=True); time.sleep(1.0)
    """)], stdout=subprocess.PIPE, text=True)
    locks.mkdir(parents=True, exist_ok=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        import time
        t0 = time.monotonic()
        with claim_device(wait_s=30, poll_s=0.05) as dev:
            waited = time.monotonic() - t0
        assert dev == "cuda:0" and waited > 0.3
    finally:
        holder.wait(timeout=30)


def test_lock_names_follow_cuda_visible_devices(gpus, monkeypatch):
    """Jobs restricted to different GPU subsets agree on the physical GPU."""
    locks = gpus(2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    with claim_device() as a, claim_device() as b:
        assert (a, b) == ("cuda:0", "cuda:1")
        assert {p.name for p in locks.iterdir()} == {"gpu2.lock", "gpu3.lock"}
        # a job that only sees physical GPU 3 must wait: GPU 3 is taken
        monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
        with pytest.raises(TimeoutError):
            with claim_device(wait_s=0.1, poll_s=0.05):
                pass


def test_gpu_names():
    import os
    old = os.environ.pop("CUDA_VISIBLE_DEVICES", None)
    try:
        assert devices.gpu_names(3) == ["0", "1", "2"]
        os.environ["CUDA_VISIBLE_DEVICES"] = "GPU-ab:cd, 5"
        assert devices.gpu_names(2) == ["GPU-ab_cd", "5"]
        os.environ["CUDA_VISIBLE_DEVICES"] = "7"
        assert devices.gpu_names(2) == ["0", "1"]  # fewer entries than devices: indices
    finally:
        os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        if old is not None:
            os.environ["CUDA_VISIBLE_DEVICES"] = old


def test_slurm_jobs_on_one_node_do_not_block_each_other(gpus, monkeypatch):
    """Each SLURM job sees its own GPU as '0': locks are per job, not per node."""
    locks = gpus(1)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("SLURM_JOB_ID", "101")
    with claim_device() as a:
        monkeypatch.setenv("SLURM_JOB_ID", "102")
        with claim_device(wait_s=0.1) as b:
            assert a == b == "cuda:0"
    assert {p.name for p in locks.iterdir()} == {"slurm-101", "slurm-102"}


def test_processes_get_distinct_gpus(tmp_path):
    """Three concurrent jobs (separate processes) on a 3-GPU machine: three different GPUs."""
    # each job holds its GPU until all three hold one (a barrier), so the claims overlap
    script = textwrap.dedent(f"""
        import os, pathlib, time, torch
        torch.cuda.is_available = lambda: True
        torch.cuda.device_count = lambda: 3
        from shallownc.devices import claim_device
        bar = pathlib.Path({str(tmp_path / "barrier")!r})
        with claim_device(wait_s=60, poll_s=0.05) as dev:
            print(dev, flush=True)
            (bar / str(os.getpid())).touch()
            t0 = time.monotonic()
            while len(list(bar.iterdir())) < 3 and time.monotonic() - t0 < 60:
                time.sleep(0.05)
    """)
    (tmp_path / "barrier").mkdir()
    env = {"SHALLOWNC_GPU_LOCK_DIR": str(tmp_path / "locks"), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(3)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(outs) == ["cuda:0", "cuda:1", "cuda:2"]
