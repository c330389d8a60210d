"""Every rule declares what a scheduler needs (issue 7; conventions in the lead's brief).

- every rule (except `all`): `log:`, `threads:`, `resources:` with `mem_mb` and `runtime` (min);
- heavy rules (declared runtime >= 30 min, or training) have `benchmark:`;
- rules that train a network declare `gpu` (a count SLURM turns into --gpus, and that
  `--resources gpu=N` caps on a workstation);
- figure/plot rules are `localrule: True` (they are cheap; no sbatch round trip).
Parsed from workflow/rules/*.smk (snakefmt layout: a rule ends at the next top-level line).
"""
from __future__ import annotations

import re
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
HEAVY_RUNTIME_MIN = 30


def rule_blocks(root: Path = ROOT) -> dict[str, tuple[str, str]]:
    blocks = {}
    for smk in sorted((root / "workflow" / "rules").glob("*.smk")):
        lines = smk.read_text().splitlines()
        i = 0
        while i < len(lines):
            m = re.match(r"^rule (\w+):", lines[i])
            if not m:
                i += 1
                continue
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j][0] in " \t#"):
                j += 1
            blocks[m.group(1)] = (smk.name, "\n".join(lines[i:j]))
            i = j
    return blocks


def directive(body: str, name: str) -> str | None:
    """Text of a directive (its own line plus the more-indented lines below it)."""
    m = re.search(rf"^(\s+){name}:(.*(?:\n\1\s+.*)*)", body, re.M)
    return m.group(2) if m else None


def is_local(body: str) -> bool:
    return bool(re.search(r"^\s+localrule:\s*True", body, re.M))


def trains(name: str, body: str) -> bool:
    return name.startswith("train") or bool(re.search(r"scripts/train\w*\.py", body))


def is_target(body: str) -> bool:
    """A target-only rule (like `all`): inputs, no output, nothing to run."""
    return directive(body, "output") is None


def violations(root: Path = ROOT) -> list[str]:
    out = []
    for name, (fname, body) in rule_blocks(root).items():
        if is_target(body):
            if any(directive(body, d) is not None for d in ("script", "shell", "run")):
                out.append(f"{fname}: rule {name} has no output but runs something")
            continue
        where = f"{fname}: rule {name}"
        for d in ("log", "threads"):
            if directive(body, d) is None:
                out.append(f"{where}: no `{d}:`")
        # logs and timings per results folder (common.smk log_path/bench_path, issue 24)
        for d, helper in (("log", "log_path("), ("benchmark", "bench_path(")):
            text = directive(body, d)
            if text is not None and helper not in text:
                out.append(f"{where}: `{d}:` outside <results_dir> (use {helper}...))")
        res = directive(body, "resources") or ""
        for r in ("mem_mb", "runtime"):
            if not re.search(rf"\b{r}\s*=", res):
                out.append(f"{where}: resources lack `{r}`")
        rt = re.search(r"\bruntime\s*=\s*(\d+)", res)
        heavy = (rt and int(rt.group(1)) >= HEAVY_RUNTIME_MIN) or trains(name, body)
        if heavy and not is_local(body) and directive(body, "benchmark") is None:
            out.append(f"{where}: heavy rule without `benchmark:`")
        if trains(name, body) and not is_local(body) and not re.search(r"\bgpu\s*=", res):
            out.append(f"{where}: trains but declares no `gpu` resource")
        if re.match(r"(figure|plot)_", name) and not is_local(body):
            out.append(f"{where}: figure rule is not `localrule: True`")
    return out


def test_rule_files_parse():
    blocks = rule_blocks()
    assert {"solve_feasibility", "combine_feasibility", "gmm_example"} <= set(blocks)
    assert "resources:" in blocks["solve_feasibility"][1]


def test_every_rule_declares_its_resources():
    bad = [v for v in violations() if "gpu" not in v]
    assert not bad, "rules missing scheduler declarations:\n" + "\n".join(bad)


def test_training_rules_declare_gpu():
    """Without `gpu`, SLURM never gives a training job a GPU and `--resources gpu=N` cannot
    keep concurrent training jobs from piling onto one GPU (docs/guide.md, multi-GPU)."""
    bad = [v for v in violations() if "gpu" in v]
    assert not bad, "\n".join(bad)


def test_checker_catches_a_bad_rule(tmp_path):
    """The checker itself fails on a rule missing each declaration."""
    rules = tmp_path / "workflow" / "rules"
    rules.mkdir(parents=True)
    (rules / "x.smk").write_text(
        "rule train_net:\n    output:\n        'a'\n    resources:\n        mem_mb=1,\n"
        "        runtime=600,\n    script:\n        '../scripts/train_net.py'\n\n\n"
        "rule figure_x:\n    output:\n        'b'\n    log:\n        'l'\n    threads: 1\n"
        "    resources:\n        mem_mb=1,\n        runtime=1,\n")
    bad = "\n".join(violations(tmp_path))
    for msg in ("train_net: no `log:`", "train_net: no `threads:`",
                "train_net: heavy rule without `benchmark:`",
                "train_net: trains but declares no `gpu`", "figure_x: figure rule is not",
                "figure_x: `log:` outside <results_dir>"):
        assert msg in bad, bad
    assert "figure_x: no `log:`" not in bad


def test_every_rule_passes_the_code_version_of_its_own_script():
    """`code=code_version("<script>")` with the rule's own script (the hash of what it runs,
    shallownc.codehash); and no shell:/run: rule, whose code the shipped profiles would not
    watch (they leave out Snakemake's mtime-based "code" trigger)."""
    bad = []
    for name, (fname, body) in rule_blocks().items():
        if is_target(body):
            continue
        for d in ("shell", "run"):
            if directive(body, d) is not None:
                bad.append(f"{fname}: rule {name} uses `{d}:`; use a script")
        script = re.search(r'^\s+script:\s*\n\s+"([^"]+)"', body, re.M)
        if not script:
            bad.append(f"{fname}: rule {name} has no script")
            continue
        code = re.search(r'\bcode=code_version\("([^"]+)"\)', body)
        if not code or code.group(1) != script.group(1):
            bad.append(f"{fname}: rule {name}: code=code_version({script.group(1)!r}) missing")
    assert not bad, "\n".join(bad)


def test_one_script_per_rule_and_no_inline_lambdas():
    """Idiomatic thin rules: named input functions, and no script serves two rules (so no
    script switches on snakemake.rule)."""
    seen, bad = {}, []
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        if re.search(r"\blambda\b[^_]", smk.read_text()):
            bad.append(f"{smk.name}: inline lambda; use a named input function")
    for name, (fname, body) in rule_blocks().items():
        script = re.search(r'^\s+script:\s*\n\s+"([^"]+)"', body, re.M)
        if script:
            if script.group(1) in seen:
                bad.append(f"{script.group(1)} serves {seen[script.group(1)]} and {name}")
            seen[script.group(1)] = name
    for script in (ROOT / "workflow" / "scripts").glob("*.py"):
        if "snakemake.rule" in script.read_text():
            bad.append(f"{script.name} switches on snakemake.rule")
    assert not bad, "\n".join(bad)


def test_logs_and_benchmarks_live_in_the_results_folder():
    """Every rule's log and benchmark go under <results_dir> (common.smk log_path,
    bench_path), so a second config with another results_dir keeps its own (issue 24)."""
    bad = [v for v in violations() if "outside <results_dir>" in v]
    assert not bad, "\n".join(bad)


def test_stage_numbers_agree_between_snakefile_rule_files_and_readme():
    """Issue 20 item 8: the Snakefile's `# N. ...` include comments, each rule file's first
    line `# Stage N` and the stage table of docs/guide.md give every rule file the same stage
    number; every stage's constants and input functions live in workflow/rules/inputs/<stage>.smk (included
    by that rule file alone), not in common.smk."""
    snake = (ROOT / "Snakefile").read_text()
    included = re.findall(r"^# (\d+[a-z]?)\. .*\ninclude: \"workflow/rules/(\w+)\.smk\"", snake,
                          re.M)
    assert len(included) >= 10, included
    readme = (ROOT / "docs" / "guide.md").read_text()  # the stage table (README -> guide)
    rows = {f: num for num, cells in re.findall(r"^\| (\d+) [^|]+\| ([^|]+)\|", readme, re.M)
            for f in re.findall(r"(\w+)\.smk`(?: \((\d+[a-z])\))?", cells) for f in [f[0]]}
    bad = []
    for num, name in included:
        first = (ROOT / "workflow" / "rules" / f"{name}.smk").read_text().splitlines()[0]
        if not first.startswith(f"# Stage {num} "):
            bad.append(f"{name}.smk starts {first[:20]!r}, Snakefile says stage {num}")
        if rows.get(name) != num.rstrip("ab"):
            bad.append(f"README stage of {name}.smk: {rows.get(name)}, Snakefile: {num}")
        inputs = ROOT / "workflow" / "rules" / "inputs" / f"{name}.smk"
        if inputs.exists():
            text = (ROOT / "workflow" / "rules" / f"{name}.smk").read_text()
            if f'include: "inputs/{name}.smk"' not in text:
                bad.append(f"{name}.smk does not include its inputs/{name}.smk")
    assert not bad, "\n".join(bad)
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert "stage" not in " ".join(re.findall(r"^# ----.*", common, re.M)).lower()
    assert len(common.splitlines()) < 150
