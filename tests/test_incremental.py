"""Incremental re-runs users can trust (issue 7).

Covered here (tests/test_workflow.py already covers "second run does nothing" and "one
feasibility grid value re-runs only its jobs"):
- one training hyper-parameter changed -> only the jobs of that experiment (and what reads
  their output) re-run;
- computed code versions: every rule passes ``code=code_version(<its script>)`` as a param
  (workflow/rules/common.smk, shallownc.codehash): a hash of the script and of the package
  modules it imports, transitively, without comments and docstrings. A comment or docstring
  edit re-runs nothing; a real edit re-runs exactly the rules whose scripts reach the module;
  runtime knobs (solver.workers, training threads/logging) re-run nothing;
- an interrupted job (snakemake killed with SIGKILL while the job runs) is detected as
  incomplete and re-run under the shipped workstation profile (rerun-incomplete).

All edits happen in a copy of the tree in a temporary directory, never in the checkout.

The first three use Snakemake's own bookkeeping without paying for the jobs: placeholder
outputs are registered with ``--touch --forceall``, which records the same provenance a real run
records (params, code, input), and the rerun decision of a dry run depends on that provenance
and on modification times only, not on the files' contents.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from shallownc import codehash, io

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
pytestmark = pytest.mark.slow


def copy_tree(dst: Path) -> Path:
    """The workflow and the package source, as a user's checkout would have them."""
    ign = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    # no config.yaml: the Snakefile's `configfile:` would be merged under --configfile
    shutil.copy(ROOT / "Snakefile", dst / "Snakefile")
    for name in ("workflow", "src", "presets", "profiles", "reports/runs"):
        shutil.copytree(ROOT / name, dst / name, ignore=ign)   # reports/runs: committed results
    return dst


def smk(wd: Path, *args, cfg="cfg.yaml", profile="none", check=True, timeout=600,
        snakefile=None):
    # --configfile takes several values: the options after it end the list before targets
    cmd = [SNAKEMAKE, "-s", str(snakefile or wd / "Snakefile"), "--directory", str(wd),
           "--configfile", str(wd / cfg), "--cores", "2", "--workflow-profile", profile, *args]
    res = subprocess.run(cmd, cwd=wd, capture_output=True, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({res.returncode}):\n"
                             f"{res.stdout[-3000:]}\n{res.stderr[-6000:]}")
    return res


def planned(res) -> list[tuple[str, dict, str]]:
    """(rule, wildcards, reason) of every job a dry run would execute."""
    jobs = []
    for block in re.split(r"\n(?=rule |localrule )", res.stdout + res.stderr):
        m = re.match(r"(?:local)?rule (\w+):", block)
        if not m:
            continue
        wc = re.search(r"\n\s+wildcards: (.*)", block)
        reason = re.search(r"\n\s+reason: (.*)", block)
        wcs = dict(kv.split("=", 1) for kv in wc.group(1).split(", ")) if wc else {}
        jobs.append((m.group(1), wcs, reason.group(1) if reason else ""))
    return jobs


def rules_of(jobs) -> set[str]:
    return {r for r, _, _ in jobs if r != "all"}


def write_pkg(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def test_codehash_follows_imports_transitively(tmp_path):
    """Absolute, relative, `from pkg import submodule`, parent packages and lazy imports inside
    functions are followed; other packages and unused modules are not."""
    src = write_pkg(tmp_path / "src", {
        "shallownc/__init__.py": "",
        "shallownc/a.py": "from . import b\nimport numpy\n",
        "shallownc/b.py": "def f():\n    from .sub import c\n    return c\n",
        "shallownc/sub/__init__.py": "from .. import d\n",
        "shallownc/sub/c.py": "X = 1\n",
        "shallownc/d.py": "",
        "shallownc/unused.py": "",
    })
    script = write_pkg(tmp_path, {"s.py": "from shallownc import a\nimport os\n"}) / "s.py"
    assert codehash.module_closure(script, src) == [
        "shallownc", "shallownc.a", "shallownc.b", "shallownc.d", "shallownc.sub",
        "shallownc.sub.c"]


def test_codehash_ignores_comments_docstrings_and_layout(tmp_path):
    base = 'X = (1,\n     2)\n\n\ndef f(a=3):\n    return a\n'
    same = ('"""Module docstring."""\n# comment\nX = (1, 2)  # trailing\n'
            'def f(a=3):\n    """Docstring."""\n    # inside\n    return a\n')
    changed = [base.replace("a=3", "a=4"), base.replace("return a", "return -a"),
               base + "Y = 'new'\n", base.replace("(1,", "(1.0,")]
    norm = {}
    for i, text in enumerate([base, same, *changed]):
        (tmp_path / f"m{i}.py").write_text(text)
        norm[i] = codehash.normalized_source(tmp_path / f"m{i}.py")
    assert norm[0] == norm[1]
    assert len({norm[0], *(norm[i] for i in range(2, 2 + len(changed)))}) == 1 + len(changed)


@pytest.fixture(scope="module")
def touched(tmp_path_factory):
    """A copy of the tree whose whole tiny DAG is registered as up to date (no job run)."""
    wd = copy_tree(tmp_path_factory.mktemp("incremental"))
    shutil.copy(ROOT / "presets" / "tiny.yaml", wd / "cfg.yaml")
    dry = smk(wd, "-n", "--forceall")
    (wd / "dag_rules.txt").write_text("\n".join(sorted(rules_of(planned(dry)))))
    outputs = []
    for line in re.findall(r"\n\s+output: (.*)", dry.stdout + dry.stderr):
        outputs += line.split(", ")
    assert outputs, dry.stdout[-2000:]
    for out in outputs:
        p = wd / out
        p.parent.mkdir(parents=True, exist_ok=True)
        p.touch()
    smk(wd, "--touch", "--forceall")
    # (that this leaves nothing to do is asserted by test_src_edit_of_unused_file_reruns_nothing)
    return wd


def with_change(wd: Path, edit) -> str:
    cfg = yaml.safe_load((wd / "cfg.yaml").read_text())
    edit(cfg)
    (wd / "changed.yaml").write_text(yaml.safe_dump(cfg))
    return "changed.yaml"


def test_training_hyperparameter_reruns_only_its_experiment(touched):
    """training.dynamics.train.lr: the dynamics job and the figure that reads it, nothing else."""
    def edit(cfg):
        tr = cfg.setdefault("training", {}).setdefault("dynamics", {}).setdefault("train", {})
        tr["lr"] = 0.123
    jobs = planned(smk(touched, "-n", cfg=with_change(touched, edit)))
    assert ("train_job", {"job": "dynamics"}) in [(r, w) for r, w, _ in jobs]
    train = [(r, w) for r, w, _ in jobs if r.startswith("train")]
    assert train == [("train_job", {"job": "dynamics"})], train
    reason = next(x for r, w, x in jobs if r == "train_job")
    assert "Params have changed" in reason, reason
    # everything else planned must be downstream of the dynamics run (its figure)
    # run_summary (the report's "what was run") lists every result, so it is downstream too
    assert rules_of(jobs) <= {"train_job", "plot_training", "run_summary"}, rules_of(jobs)


def test_theory_hyperparameter_reruns_theory_jobs_only(touched):
    """training.theory.train.lr: every theory job + their combination, no other experiment."""
    def edit(cfg):
        tr = cfg.setdefault("training", {}).setdefault("theory", {}).setdefault("train", {})
        tr["lr"] = 0.123
    jobs = planned(smk(touched, "-n", cfg=with_change(touched, edit)))
    train = [w["job"] for r, w, _ in jobs if r == "train_job"]
    assert train and all(j.startswith("theory/") for j in train), train
    # downstream of the theory runs: their figure, the certified verdicts (verdict.smk) and
    # the report's tables; nothing of another experiment
    assert rules_of(jobs) <= {"train_job", "combine_training_theory", "plot_training",
                              "verdict_theory", "plot_verdict", "report_table", "run_summary"}


def test_training_grid_value_reruns_only_that_job(touched):
    """training.theory.d_over_n: changing one value re-runs only the job of the new value."""
    cfg = yaml.safe_load((touched / "cfg.yaml").read_text())
    values = cfg["training"]["theory"]["d_over_n"]
    old, new = values[-1], values[-1] + 1.0

    def edit(c):
        c["training"]["theory"]["d_over_n"][-1] = new
    jobs = planned(smk(touched, "-n", cfg=with_change(touched, edit)))
    train = sorted(w["job"] for r, w, _ in jobs if r == "train_job")
    assert all(j.startswith("theory/") for j in train), train       # no other experiment
    theory = [j[len("theory/"):] for j in train]
    assert f"dn{new:g}" in theory and f"dn{old:g}" not in theory, theory
    unchanged = [j for j in theory if j != f"dn{new:g}"]
    assert not unchanged, f"unchanged theory jobs re-run: {unchanged}"


def edited_module(wd: Path, rel: str, edit=None):
    """Edit a source file of the copy (default: append a comment); returns a restore callable."""
    p = wd / rel
    old, st = p.read_text(), p.stat()
    p.write_text(edit(old) if edit else old + "\n# edited by tests/test_incremental.py\n")

    def restore():  # contents and modification time, so later tests see the original
        p.write_text(old)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    return restore


def rule_scripts(wd: Path) -> dict[str, Path]:
    """rule name -> its script, read from the rule files of the copy."""
    out = {}
    for smk_file in (wd / "workflow" / "rules").glob("*.smk"):
        text = smk_file.read_text()
        for m in re.finditer(r"^rule (\w+):\n(?:(?:[ \t].*)?\n)*?    script:\n\s+\"([^\"]+)\"",
                             text, re.M):
            out[m.group(1)] = (smk_file.parent / m.group(2)).resolve()
    return out


def rules_importing(wd: Path, module: str) -> set[str]:
    """Rules whose script reaches ``module`` through its imports (codehash.module_closure)."""
    return {r for r, script in rule_scripts(wd).items()
            if module in codehash.module_closure(script, wd / "src")}


def directly_changed(jobs) -> set[str]:
    """Rules re-run for their own params (not merely because an upstream job re-runs)."""
    return {r for r, _, reason in jobs if "Params have changed" in reason}


def comment_and_docstring_edit(src: str) -> str:
    """Change every comment-free part of the text that is not code: module docstring, a
    function docstring, new comment lines, a trailing comment."""
    lines = src.splitlines()
    out = ["# a new leading comment", *lines]
    for i, line in enumerate(out):
        if line.startswith("def ") and '"""' in out[i + 1]:
            out.insert(i + 1, "    # a comment inside a function")
            out[i + 2] = out[i + 2].replace('"""', '"""Reworded docstring. ', 1)
            break
    text = "\n".join(out) + "\n\n\n# trailing comment\n"
    return text.replace('"""', '"""A changed module docstring. ', 1)


def test_comment_or_docstring_edit_reruns_nothing(touched):
    """The code hash ignores comments, docstrings and layout (shallownc.codehash)."""
    before = (touched / "src/shallownc/phase.py").read_text()
    assert comment_and_docstring_edit(before) != before
    restore = edited_module(touched, "src/shallownc/phase.py", comment_and_docstring_edit)
    restore2 = edited_module(touched, "workflow/scripts/combine_feasibility.py",
                             comment_and_docstring_edit)
    try:
        res = smk(touched, "-n", profile=str(touched / "profiles" / "default"))
    finally:
        restore()
        restore2()
    assert "Nothing to be done" in res.stdout + res.stderr, rules_of(planned(res))


def test_src_edit_reruns_exactly_the_rules_using_the_module(touched):
    """A real code change of phase.py: the rules whose scripts import it (directly or through
    another module) re-run, and the other planned jobs only as their downstream jobs."""
    restore = edited_module(touched, "src/shallownc/phase.py",
                            lambda s: s + "\n_EDITED_BY_TEST = 1\n")
    try:
        jobs = planned(smk(touched, "-n"))
    finally:
        restore()
    in_dag = set((touched / "dag_rules.txt").read_text().split())
    expected = rules_importing(touched, "shallownc.phase") & in_dag
    # sanity of the import analysis itself: these scripts do / do not import phase
    # (the theory curves use no feasibility code since issue 20: bounds_curves is not here)
    assert {"solve_feasibility", "combine_feasibility", "random_features"} <= expected, expected
    assert "bounds_curves" not in expected
    assert not expected & {"gmm_example", "digits_data", "upfm_sweep", "plot_training"}
    # Snakemake reports a changed param only for jobs whose inputs are not re-made anyway
    assert {"solve_feasibility", "random_features"} <= directly_changed(jobs) <= expected
    assert expected <= rules_of(jobs)
    others = [(r, reason) for r, _, reason in jobs if r not in expected | {"all"}]
    assert all("updated by another job" in why for _, why in others), others
    assert not rules_of(jobs) & {"gmm_example", "digits_data", "upfm_sweep", "upfm_gram"}


def test_lp_engine_edit_reruns_only_lp_jobs_and_their_dependents(touched):
    """Issue 20 item 5: a real edit of the LP engine (feasibility.py) re-runs the rules whose
    scripts solve LPs and what reads their outputs, never the data, UPFM or theory-curve jobs
    (readers take the status codes from shallownc.status; bench/lp_edit_reruns.py counts)."""
    restore = edited_module(touched, "src/shallownc/feasibility.py",
                            lambda s: s + "\n_EDITED_BY_TEST = 4\n")
    try:
        jobs = planned(smk(touched, "-n"))
    finally:
        restore()
    engine = rules_importing(touched, "shallownc.feasibility")
    assert "solve_feasibility" in directly_changed(jobs) <= engine
    assert not rules_of(jobs) & {"gmm_example", "digits_data", "upfm_sweep", "upfm_gram",
                                 "bounds_curves", "figure_upfm_sweep", "figure_upfm_gram"}
    others = [(r, why) for r, _, why in jobs if r not in engine | {"all"}]
    assert all("updated by another job" in why for _, why in others), others


def test_figure_module_edit_reruns_only_its_figures(touched):
    """A leaf module (figures/upfm.py) re-runs only the figure rules that draw with it."""
    restore = edited_module(touched, "src/shallownc/figures/upfm.py",
                            lambda s: s + "\n_EDITED_BY_TEST = 2\n")
    try:
        jobs = planned(smk(touched, "-n"))
    finally:
        restore()
    figs = {"figure_upfm_gram", "figure_upfm_sweep", "figure_upfm_bridge"}
    assert directly_changed(jobs) == figs
    # run_summary (the report's "what was run") lists every result: downstream of all
    assert rules_of(jobs) - figs <= {"run_summary"}, rules_of(jobs)


def test_runtime_knobs_are_not_rerun_triggers(touched):
    """solver.workers and the training threads/logging/checkpoint knobs change no result."""
    def edit(cfg):
        cfg.setdefault("solver", {})["workers"] = 2
        tr = cfg.setdefault("training", {})
        tr.update(threads=2, log_every_s=1.5, checkpoint_every_s=7.0,
                  checkpoint_dir=".checkpoints/elsewhere")
    res = smk(touched, "-n", cfg=with_change(touched, edit))
    # (run_summary records the config file's name, which differs here: changed.yaml)
    assert rules_of(planned(res)) <= {"run_summary"}, rules_of(planned(res))


def test_src_edit_of_unused_file_reruns_nothing(touched):
    """A file no script imports (here: a new helper module) changes nothing."""
    extra = touched / "src" / "shallownc" / "_scratch_helper.py"
    extra.write_text("X = 1\n")
    try:
        res = smk(touched, "-n")
    finally:
        extra.unlink()
    assert "Nothing to be done" in res.stdout + res.stderr, rules_of(planned(res))


def test_script_edit_reruns_that_rule(touched):
    """A real edit of a rule's script changes its code hash (the shipped profiles do without
    Snakemake's mtime-based "code" trigger, so only real edits count)."""
    restore = edited_module(touched, "workflow/scripts/combine_feasibility.py",
                            lambda s: s + "\n_EDITED_BY_TEST = 3\n")
    try:
        jobs = planned(smk(touched, "-n", profile=str(touched / "profiles" / "default")))
    finally:
        restore()
    assert directly_changed(jobs) == {"combine_feasibility"}
    assert "solve_feasibility" not in rules_of(jobs)


# ---- interrupted job --------------------------------------------------------------------------

def slow_config() -> dict:
    """One feasibility job that runs for a few seconds (enough to be killed mid-way)."""
    cfg = yaml.safe_load((ROOT / "presets" / "tiny.yaml").read_text())
    feas = cfg["feasibility"]
    feas["phase_diagrams"] = {"k2_antipodal": {"geometry": "antipodal", "K": 2, "n": 20,
                                               "d_over_n": [1.5], "sigma": [1.0], "trials": 10}}
    feas["trials_per_job"] = 10
    return cfg


def test_interrupted_job_is_detected_and_rerun(tmp_path):
    wd = tmp_path
    sf = ROOT / "Snakefile"
    (wd / "cfg.yaml").write_text(yaml.safe_dump(slow_config()))
    target = "results/feasibility/k2_antipodal/jobs/d30_t0-10.nc"
    cmd = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(wd),
           "--configfile", str(wd / "cfg.yaml"), "--cores", "1", "--workflow-profile", "none",
           target]
    proc = subprocess.Popen(cmd, cwd=wd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    marker_dir = wd / ".snakemake" / "incomplete"
    try:
        deadline = time.monotonic() + 120
        while not (marker_dir.is_dir() and any(marker_dir.iterdir())):
            assert proc.poll() is None, "job finished before it could be interrupted"
            assert time.monotonic() < deadline, "job never started"
            time.sleep(0.05)
        # power cut: snakemake and its job die at once, no clean-up
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert any(marker_dir.iterdir()), "Snakemake left no incomplete marker"
    # a half-written output, as a job killed while writing would leave behind
    out = wd / target
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"\x89HDF\r\n\x1a\n partial")

    # without rerun-incomplete Snakemake refuses to trust the file ...
    res = smk(wd, "-n", target, check=False, snakefile=sf)
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "incomplete" in text.lower() and "--rerun-incomplete" in text, text[-2000:]
    # ... and the shipped workstation profile (rerun-incomplete: true) re-runs it
    prof = str(ROOT / "profiles" / "default")
    # a killed Snakemake also leaves its lock: the documented recovery is --unlock, then re-run
    locked = smk(wd, target, profile=prof, snakefile=sf, check=False)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    smk(wd, "--unlock", profile=prof, snakefile=sf)
    rerun = smk(wd, target, profile=prof, snakefile=sf)
    assert [r for r, _, _ in planned(rerun)] == ["solve_feasibility"]
    ds = io.read_netcdf(out, required_vars=["nc_status"])
    assert ds.sizes["trial"] == 10 and set(ds.nc_status.values.ravel()) <= {-1, 0, 1}
    assert not any(marker_dir.iterdir()), "the re-run job left an incomplete marker"
