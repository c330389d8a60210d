"""Device choice for torch jobs: CUDA if present, else CPU.

Snakemake does not set CUDA_VISIBLE_DEVICES for local jobs (conventions.md), so concurrent
training jobs on a multi-GPU workstation would all land on GPU 0. :func:`claim_device` gives
each job its own GPU: it honours CUDA_VISIBLE_DEVICES when set (SLURM sets it), otherwise it
takes an exclusive lock file per GPU (``SHALLOWNC_GPU_LOCK_DIR``, default
``$TMPDIR/shallownc-gpu-locks``) and uses the first free one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from pathlib import Path


@contextlib.contextmanager
def claim_device(prefer: str = "auto", wait_s: float = 3600.0):
    """Context manager yielding a device string ('cuda:0', 'cpu').

    prefer: 'auto' (CUDA if available), 'cpu' or 'cuda'.
    """
    import torch

    if prefer == "cpu" or not torch.cuda.is_available():
        if prefer == "cuda":
            raise RuntimeError("device 'cuda' requested but torch.cuda.is_available() is False")
        yield "cpu"
        return
    if os.environ.get("CUDA_VISIBLE_DEVICES"):
        yield "cuda:0"  # the scheduler (SLURM) already gave this job its own GPU(s)
        return
    lock_dir = Path(os.environ.get("SHALLOWNC_GPU_LOCK_DIR",
                                   Path(tempfile.gettempdir()) / "shallownc-gpu-locks"))
    lock_dir.mkdir(parents=True, exist_ok=True)
    n = torch.cuda.device_count()
    deadline = time.monotonic() + wait_s
    while True:
        for i in range(n):
            fh = open(lock_dir / f"gpu{i}.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            try:
                yield f"cuda:{i}"
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no free GPU among {n} after {wait_s} s (locks in {lock_dir})")
        time.sleep(1.0)
