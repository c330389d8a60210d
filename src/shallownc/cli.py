"""Command line: ``shallownc <command>`` (also ``python -m shallownc <command>``).

Commands: ``validate CONFIG`` (schema check, defaults filled), ``run [TARGETS]`` (Snakemake on
the workflow), ``report`` (the HTML report), ``figures`` (the paper's figures and their
targets, from :mod:`shallownc.paper_figures`), ``info FILE.nc`` (what a result holds),
``decide DATA`` (class-LP verdicts of a user's data, :mod:`shallownc.decide`).

Where the workflow is: ``run`` and ``report`` need the Snakefile and ``workflow/`` of a
checkout (the installed package holds the library, the schemas and this CLI, not the rules).
They use, in this order, ``--workflow-dir``, ``$SHALLOWNC_WORKFLOW_DIR``, the current folder or
one above it that holds ``Snakefile`` and ``workflow/rules``, and the checkout the package was
imported from (an editable install). Snakemake runs inside that folder, so relative paths in
targets and configs mean what they mean there; ``--configfile`` paths are made absolute first.
``--profile P`` becomes Snakemake's ``--workflow-profile P``: it replaces the automatically
loaded ``profiles/default`` (a plain ``--profile`` would be overridden by it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

WORKFLOW_ENV = "SHALLOWNC_WORKFLOW_DIR"


class CLIError(RuntimeError):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def _is_workflow(d: Path) -> bool:
    return (d / "Snakefile").is_file() and (d / "workflow" / "rules").is_dir()


def find_workflow(explicit: str | None = None) -> Path:
    """The checkout whose Snakefile ``run``/``report`` use (module docstring for the order)."""
    if explicit or os.environ.get(WORKFLOW_ENV):
        d = Path(explicit or os.environ[WORKFLOW_ENV]).expanduser().resolve()
        if not _is_workflow(d):
            raise CLIError(f"{d} holds no Snakefile with workflow/rules/ (from "
                           f"{'--workflow-dir' if explicit else '$' + WORKFLOW_ENV})")
        return d
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if _is_workflow(d):
            return d
    pkg = Path(__file__).resolve().parent
    for d in pkg.parents:
        if _is_workflow(d):
            return d
    raise CLIError("no workflow found: run inside a checkout of shallownc (git clone), or "
                   f"pass --workflow-dir / set ${WORKFLOW_ENV}; an installed package holds "
                   "the library and schemas, not the Snakemake rules")


def snakemake_command() -> list[str]:
    """The Snakemake of this Python environment (never a different one on PATH)."""
    exe = Path(sys.executable).parent / "snakemake"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "snakemake"]


def _config_dirs(configfile: str | None, workflow: Path) -> dict:
    """results_dir/report_dir of the validated config (the workflow's config.yaml if none)."""
    from . import config as C

    path = Path(configfile) if configfile else workflow / "config.yaml"
    return C.load(path)


def build_snakemake_args(args, workflow: Path) -> list[str]:
    """Snakemake arguments of ``run``/``report`` (tested without running Snakemake)."""
    cmd = [*snakemake_command(), "--snakefile", str(workflow / "Snakefile")]
    if args.configfile:
        cmd += ["--configfile", str(Path(args.configfile).resolve())]
    if args.cores:
        cmd += ["--cores", str(args.cores)]
    if args.profile:
        prof = Path(args.profile)
        cmd += ["--workflow-profile", str(prof.resolve() if prof.exists() else prof)]
    if getattr(args, "dry_run", False):
        cmd.append("--dry-run")
    return cmd


def cmd_validate(args) -> int:
    from . import config as C

    try:
        cfg = C.load(args.config)
    except C.ConfigError as exc:
        print(f"{args.config}: {exc}", file=sys.stderr)
        return 2
    sections = [k for k, v in cfg.items() if isinstance(v, dict)]
    print(f"{args.config}: valid ({len(sections)} sections: {', '.join(sections)}); "
          f"results_dir={cfg.get('results_dir')}, report_dir={cfg.get('report_dir')}")
    if args.show:
        print(json.dumps(cfg, indent=1, sort_keys=True, default=str))
    return 0


def _run_snakemake(cmd: list[str], workflow: Path, show: bool) -> int:
    if show:
        print(" ".join(cmd))
        return 0
    print(f"[shallownc] in {workflow}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    return subprocess.call(cmd, cwd=workflow)


PLACEHOLDER = "CHANGE_ME"


def profile_placeholders(profile: str | Path, workflow: Path) -> list[str]:
    """Lines of a profile's YAML files that still hold a ``CHANGE_ME`` value (comments
    ignored), as "file:line: text"; the cluster templates (profiles/slurm) ship with them."""
    d = Path(profile)
    d = d if d.is_absolute() or d.exists() else workflow / d
    out = []
    for f in sorted(d.glob("*.yaml")) if d.is_dir() else []:
        for i, line in enumerate(f.read_text().splitlines(), 1):
            if PLACEHOLDER in line.split("#", 1)[0]:
                out.append(f"{f}:{i}: {line.strip()}")
    return out


def cmd_run(args) -> int:
    workflow = find_workflow(args.workflow_dir)
    if args.configfile and not Path(args.configfile).exists():
        raise CLIError(f"config file not found: {args.configfile}")
    left = profile_placeholders(args.profile, workflow) if args.profile else []
    if left and not args.dry_run:
        raise CLIError(f"profile {args.profile} still has {PLACEHOLDER} values (copy it and "
                       "fill in your site's account and partitions; --dry-run plans "
                       "anyway):\n  " + "\n  ".join(left))
    if not args.print_command:
        check_paper_targets(args, workflow)
    cmd = build_snakemake_args(args, workflow) + list(args.targets) + list(args.snakemake_args)
    return _run_snakemake(cmd, workflow, args.print_command)


def check_paper_targets(args, workflow: Path) -> None:
    """fig1/fig2/paper asked of a config without the paper's Figures 1-2: one line naming
    the presets (shallownc.paper_figures.missing_blocks), before Snakemake starts."""
    from . import config as C
    from . import paper_figures as P

    if not any(t in P.LP_FIGURES or t == P.AGGREGATE_TARGET for t in args.targets):
        return
    try:
        cfg = _config_dirs(args.configfile, workflow)
    except C.ConfigError as exc:
        raise CLIError(str(exc)) from exc
    msg = P.missing_blocks(args.targets, cfg, args.configfile or "config.yaml")
    if msg:
        raise CLIError(msg)


def cmd_report(args) -> int:
    workflow = find_workflow(args.workflow_dir)
    out = args.output
    if not out:
        from . import config as C

        try:
            cfg = _config_dirs(args.configfile, workflow)
        except C.ConfigError as exc:
            raise CLIError(str(exc)) from exc
        out = str(Path(cfg["report_dir"]) / "report.html")
    args.cores = args.dry_run = None
    cmd = build_snakemake_args(args, workflow) + ["--report", out] + list(args.snakemake_args)
    return _run_snakemake(cmd, workflow, args.print_command)


def cmd_figures(args) -> int:
    from . import paper_figures as P

    from . import config as C

    # the default config.yaml builds none of the paper's figures: lines for the CPU preset
    configfile = args.configfile or P.PRESETS[0][0]
    cfg = C.load(configfile)
    res, rep = cfg["results_dir"], cfg["report_dir"]
    rows = [{"key": f.key, "paper": f.paper, "target": f.target,
             "command": P.command(f.target, configfile), "output": f.output(res),
             "figure": f.figure(rep), "checks": f.theorems, "shows": f.shows}
            for f in P.ITEMS]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    if not args.configfile:
        print(f"Commands for {configfile} ({P.PRESETS[0][1]}); {P.PRESETS[1][0]} runs "
              f"{P.PRESETS[1][1]} (shallownc figures --configfile {P.PRESETS[1][0]}).\n")
    for r in rows:
        print(f"{r['key']}  {r['paper']}: {r['shows']}\n"
              f"      run:    {r['command']}\n"
              f"      output: {r['output']}   figure: {r['figure']}\n"
              f"      checks: {r['checks']}")
    print(f"all of them: {P.command(P.AGGREGATE_TARGET, configfile)}   (paper: {P.PAPER})")
    return 0


def describe(path: str | Path, all_attrs: bool = False) -> str:
    """Human-readable summary of a result file: dims, coordinates, variables, provenance."""
    from . import io

    ds = io.read_netcdf(path)
    lines = [f"{path}", "dimensions: " + ", ".join(f"{d}={n}" for d, n in ds.sizes.items())]
    for title, names in (("coordinates", list(ds.coords)), ("variables", list(ds.data_vars))):
        lines.append(f"{title}:")
        for name in names:
            v = ds[name]
            a = v.attrs
            label = a.get("long_name") or a.get("description", "")
            flags = f"  flags: {a['flag_meanings']}" if "flag_meanings" in a else ""
            lines.append(f"  {name}({', '.join(map(str, v.dims))}) {v.dtype} "
                         f"[{a.get('units', '-')}] {label}{flags}")
    prov = {k: ds.attrs[k] for k in ("Conventions", "created_utc", "git_commit", "source",
                                     "history") if k in ds.attrs}
    lines.append("provenance:")
    lines += [f"  {k}: {v}" for k, v in prov.items()]
    vers = json.loads(ds.attrs.get("package_versions_json", "{}"))
    if vers:
        lines.append("  versions: " + ", ".join(f"{k} {v}" for k, v in sorted(vers.items())))
    cfg = json.loads(ds.attrs.get("config_json", "{}") or "{}")
    if cfg:
        lines.append(f"  config: {len(json.dumps(cfg))} characters, top-level keys "
                     f"{sorted(cfg)} (attribute config_json)")
    skip = {"config_json", "package_versions_json", *prov}
    other = {k: v for k, v in ds.attrs.items() if k not in skip}
    lines.append("attributes:" if all_attrs else f"other attributes: {', '.join(other)}")
    if all_attrs:
        lines += [f"  {k}: {v}" for k, v in other.items()]
    return "\n".join(lines)


def cmd_info(args) -> int:
    from . import io

    try:
        print(describe(args.file, args.attrs))
    except io.InputError as exc:
        raise CLIError(str(exc)) from exc
    if args.cf:
        probs = io.cf_problems(args.file)
        print("CF check: " + ("no problems" if not probs else f"{len(probs)} problem(s)"))
        for p in probs:
            print(f"  {p}")
        return 1 if probs else 0
    return 0


def cmd_decide(args) -> int:
    from . import decide as DC

    try:
        text, dec = DC.run(args.data, args.lambda_W, args.lambda_H, args.output)
    except DC.DataError as exc:
        raise CLIError(str(exc)) from exc
    print(text)
    return 0 if dec.all_proofs else 1


def _add_workflow_opts(p, with_cores: bool):
    p.add_argument("--configfile", help="config YAML (replaces config.yaml entirely)")
    p.add_argument("--profile", help="Snakemake profile folder, passed as --workflow-profile "
                                     "(e.g. profiles/slurm); replaces profiles/default")
    if with_cores:
        p.add_argument("--cores", help="CPU cores (default: the profile's)")
        p.add_argument("-n", "--dry-run", action="store_true", help="plan only")
    p.add_argument("--workflow-dir", help=f"checkout holding the Snakefile (default: "
                                          f"${WORKFLOW_ENV}, the current folder, the "
                                          "package's checkout)")
    p.add_argument("--print-command", action="store_true",
                   help="print the Snakemake command instead of running it")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shallownc", description=__doc__.split("\n\n")[0],
                                epilog="`shallownc COMMAND --help` describes each command.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    v = sub.add_parser("validate", help="check a config against the schema",
                       description="Validate CONFIG against the JSON schema (defaults filled); "
                                   "exit status 2 with every problem named if invalid.")
    v.add_argument("config")
    v.add_argument("--show", action="store_true", help="print the config with defaults")
    v.set_defaults(func=cmd_validate)
    r = sub.add_parser("run", help="run the pipeline (Snakemake)",
                       description="Run Snakemake on the workflow for TARGETS (default: all). "
                                   "Arguments after `--` go to Snakemake unchanged.")
    r.add_argument("targets", nargs="*", help="rule names or files, e.g. fig1 paper "
                                              "results/feasibility/k2_antipodal.nc")
    _add_workflow_opts(r, with_cores=True)
    r.set_defaults(func=cmd_run)
    rp = sub.add_parser("report", help="write the HTML report of a finished run",
                        description="Write the self-contained HTML report "
                                    "(<report_dir>/report.html of the config by default).")
    rp.add_argument("--output", help="report file (.html or .zip)")
    _add_workflow_opts(rp, with_cores=False)
    rp.set_defaults(func=cmd_report)
    f = sub.add_parser("figures", help="list the paper's figures and their targets",
                       description="The paper's figures, the target that reproduces each, "
                                   "its NetCDF output and its figure file.")
    f.add_argument("--configfile", help="config whose results_dir/report_dir and command "
                                        "lines are printed (default presets/paper-cpu.yaml)")
    f.add_argument("--json", action="store_true", help="machine-readable output")
    f.set_defaults(func=cmd_figures)
    i = sub.add_parser("info", help="describe a result file (.nc)",
                       description="Dimensions, coordinates, variables (units, meaning, flags) "
                                   "and provenance of a NetCDF result.")
    i.add_argument("file")
    i.add_argument("--attrs", action="store_true", help="print every global attribute")
    i.add_argument("--cf", action="store_true", help="also run the CF check (io.cf_problems)")
    i.set_defaults(func=cmd_info)
    dc = sub.add_parser("decide", help="class-LP verdicts (NC or not, with proofs) of your data",
                        description="Per class: class LP feasible (verified w) or infeasible "
                                    "(exact proof), one-vs-rest separability, rank; NC iff every "
                                    "class LP is feasible (paper Theorem 3). Exit 0 iff every "
                                    "verdict is a proof, 1 otherwise, 2 on bad input.")
    dc.add_argument("data", help=".npz (X: N x d, y), .csv (label last), or .nc (X, y|label)")
    dc.add_argument("--lambda-W", type=float, help="with --lambda-H: report the UPFM optimum F*")
    dc.add_argument("--lambda-H", type=float)
    dc.add_argument("--output", help="write the verdicts as NetCDF")
    dc.set_defaults(func=cmd_decide)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    args = build_parser().parse_args(argv)
    args.snakemake_args = extra
    if extra and args.command not in ("run", "report"):
        print(f"shallownc {args.command}: arguments after `--` are only for run/report",
              file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"shallownc {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
