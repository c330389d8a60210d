import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def schema_dir():
    return ROOT / "workflow" / "schemas"


@pytest.fixture(scope="session")
def tiny_run_dir(tmp_path_factory):
    """One run of the whole DAG on presets/tiny.yaml, shared by test_workflow and
    test_outputs_quality (one run instead of two keeps the suite's wall time down).

    Run in a scratch --directory (results/ and reports/ inside it) with SHALLOWNC_FIGURE_AUDIT
    set, so figures.save records the hygiene measurement of every figure it writes (audit/)."""
    import shutil
    import subprocess
    import sys

    wd = tmp_path_factory.mktemp("tiny")
    shutil.copy(ROOT / "presets" / "tiny.yaml", wd / "tiny.yaml")
    env = dict(os.environ, SHALLOWNC_FIGURE_AUDIT=str(wd / "audit"),
               PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    snakemake = str(Path(sys.executable).parent / "snakemake")
    res = subprocess.run([snakemake, "-s", str(ROOT / "Snakefile"), "--directory", str(wd),
                          "--cores", "2", "--configfile", str(wd / "tiny.yaml")],
                         capture_output=True, text=True, timeout=1200, env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    return wd
