"""Device choice for torch jobs: one GPU per concurrent job, else CPU.

Snakemake does not set CUDA_VISIBLE_DEVICES for local jobs (docs/conventions.md), so concurrent
training jobs on a multi-GPU workstation would all land on GPU 0. Policy (docs/guide.md, "Running on a
cluster"):

- Snakemake limits how many GPU jobs run at once: rules that train declare ``gpu=1`` and the
  user passes ``--resources gpu=<number of GPUs>``.
- Inside a job, :func:`claim_device` picks a GPU nobody else holds: one exclusive ``flock`` per
  GPU in ``SHALLOWNC_GPU_LOCK_DIR`` (default ``$TMPDIR/shallownc-gpu-locks``). The kernel drops
  a lock when its process dies, so a killed job never leaves a GPU blocked.
- Lock names are the physical GPUs: the entries of CUDA_VISIBLE_DEVICES when it is set (so two
  jobs restricted to "2,3" and "3" agree on GPU 3), else the indices 0..n-1.
- Under SLURM (``SLURM_JOB_ID`` set) the scheduler already gave the job its own GPU(s) and sets
  CUDA_VISIBLE_DEVICES; the locks then live in a per-job namespace, so they only separate jobs
  inside one allocation (e.g. several local jobs in an ``salloc`` session) and never make two
  SLURM jobs on one node wait for each other because both see their GPU as "0".
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
from pathlib import Path

PREFER = ("auto", "cpu", "cuda")


def lock_dir() -> Path:
    """Directory holding the per-GPU lock files (namespaced per SLURM job, see module doc)."""
    base = Path(os.environ.get("SHALLOWNC_GPU_LOCK_DIR",
                               Path(tempfile.gettempdir()) / "shallownc-gpu-locks"))
    job = os.environ.get("SLURM_JOB_ID")
    return base / f"slurm-{job}" if job else base


def gpu_names(n_visible: int) -> list[str]:
    """Physical name of each visible GPU index 0..n_visible-1 (for its lock file)."""
    vis = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    names = [v.strip() for v in vis.split(",") if v.strip()] if vis else []
    if len(names) < n_visible:  # unset, or fewer entries than torch reports: use indices
        names = [str(i) for i in range(n_visible)]
    return [re.sub(r"[^A-Za-z0-9_.-]", "_", s) for s in names[:n_visible]]


@contextlib.contextmanager
def claim_device(prefer: str = "auto", wait_s: float = 3600.0, poll_s: float = 1.0):
    """Context manager yielding a device string ('cuda:<i>' or 'cpu').

    prefer: 'auto' (a free GPU if CUDA is available, else CPU), 'cpu', or 'cuda' (a GPU or an
    error). Waits up to ``wait_s`` seconds for a free GPU, then raises TimeoutError naming the
    lock directory. The GPU is held until the ``with`` block ends (or the process dies).
    """
    if prefer not in PREFER:
        raise ValueError(f"claim_device: prefer must be one of {PREFER}, got {prefer!r}")
    if prefer == "cpu":
        yield "cpu"
        return
    import torch

    if not torch.cuda.is_available():
        if prefer == "cuda":
            raise RuntimeError("device 'cuda' requested but torch.cuda.is_available() is False")
        yield "cpu"
        return
    n = torch.cuda.device_count()
    names = gpu_names(n)
    ldir = lock_dir()
    ldir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        for i, name in enumerate(names):
            fh = open(ldir / f"gpu{name}.lock", "a+")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            try:
                fh.seek(0)
                fh.truncate()
                fh.write(f"pid {os.getpid()}\n")  # who holds it, for a curious user
                fh.flush()
                yield f"cuda:{i}"
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no free GPU among {n} ({', '.join(names)}) after {wait_s} s "
                               f"(locks in {ldir})")
        time.sleep(poll_s)
