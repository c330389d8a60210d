"""The "current engine" baseline of bench/paper_grid.py and bench/status_counts.py: the LP engine
before issues 14/16, i.e. ``src/shallownc/feasibility.py`` at commit 72de92d, read from the
git history (``git show``) and loaded as a module, instead of a frozen copy of its source.

    B = baseline_engine.load()
    B.solve(B.class_lp(X, y, 0), B.SolverOptions()).status

That engine imports only the standard library, numpy, scipy and highspy, so it loads beside
the package without touching it. Needs the repository's git history (a checkout, not an
exported tarball); otherwise :func:`load` raises naming the missing commit.
"""
from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMIT = "72de92daddb1454c6b534e03a00a3e779f5d6f8b"  # the engine before issues 14/16
PATH = "src/shallownc/feasibility.py"


def source(commit: str = COMMIT, path: str = PATH) -> str:
    """The file ``path`` at ``commit`` (``git show commit:path`` in this repository)."""
    res = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{path}"],
                         capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"cannot read {path} at commit {commit[:12]} from the git history "
                           f"of {ROOT} (the baseline engine needs a git checkout): "
                           f"{res.stderr.strip()}")
    return res.stdout


def load(commit: str = COMMIT, path: str = PATH) -> types.ModuleType:
    """The engine at ``commit`` as a module (cached in sys.modules under its commit)."""
    name = f"baseline_engine_{commit[:12]}"
    if name not in sys.modules:
        module = types.ModuleType(name)
        module.__file__ = f"{commit[:12]}:{path}"
        sys.modules[name] = module  # dataclasses look their module up while the class is made
        try:
            exec(compile(source(commit, path), module.__file__, "exec"), module.__dict__)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]
