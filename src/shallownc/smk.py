"""Glue for Snakemake ``script:`` files: logging into the rule's ``log:`` file."""

from __future__ import annotations

import contextlib
import logging
import sys
import time


@contextlib.contextmanager
def logged(snakemake):
    """Send stdout, stderr and ``logging`` of a script to its rule's first log file.

    An exception is logged with its traceback and re-raised, so the job fails visibly and the
    log names the problem.
    """
    path = snakemake.log[0] if len(snakemake.log) else None
    if path is None:
        yield logging.getLogger("shallownc")
        return
    with open(path, "w", buffering=1) as fh:
        old = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = fh
        root = logging.getLogger()
        handler = logging.StreamHandler(fh)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        log = logging.getLogger("shallownc")
        t0 = time.perf_counter()
        log.info("rule %s started", getattr(snakemake, "rule", "?"))
        try:
            yield log
            log.info("finished in %.2f s", time.perf_counter() - t0)
        except BaseException:
            log.exception("failed after %.2f s", time.perf_counter() - t0)
            raise
        finally:
            root.removeHandler(handler)
            sys.stdout, sys.stderr = old
