"""Command line: ``shallownc <command>`` (also ``python -m shallownc <command>``).

Commands: ``validate CONFIG`` (schema check, defaults filled), ``run [TARGETS]`` (Snakemake on
the workflow), ``report`` (the HTML report), ``figures`` (the paper's figures and their
targets, from :mod:`shallownc.paper.table`), ``info FILE.nc`` (what a result holds),
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
import shlex
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


def run_config(args, workflow: Path | None) -> dict:
    """The validated config a run with these ``--configfile`` files and ``--config`` values
    uses (shallownc.config.resolve: layered on the workflow's config.yaml unless the files say
    ``base: schema``). Problems raise :class:`CLIError`, one line each."""
    from . import config as C

    files = list(getattr(args, "configfile", None) or [])
    for f in files:
        if Path(f).is_dir():
            raise CLIError(f"config file {f} is a directory, not a YAML file")
        if not Path(f).is_file():
            raise CLIError(f"config file not found: {f}")
    default = (workflow or Path.cwd()) / C.DEFAULT_CONFIG
    try:
        return C.load_run(files, _overrides(args), default)
    except C.ConfigError as exc:
        raise CLIError(str(exc)) from exc


def _overrides(args) -> dict:
    from . import config as C

    try:
        return C.parse_overrides(getattr(args, "config", None) or [])
    except C.ConfigError as exc:
        raise CLIError(str(exc)) from exc


def snakemake_config_items(overrides: dict) -> list[str]:
    """``--config`` items for Snakemake: one per top-level key, nested values as JSON flow
    (Snakemake accepts no dotted keys; the Snakefile types the strings it makes of them)."""
    return [f"{k}={json.dumps(v)}" for k, v in overrides.items()]


def cores(text: str) -> str:
    """``--cores``: a positive integer or 'all' (0 would make Snakemake wait forever)."""
    if text == "all" or (text.isdigit() and int(text) > 0):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of cores (or 'all')")


def build_snakemake_args(args, workflow: Path) -> list[str]:
    """Snakemake arguments of ``run``/``report`` (tested without running Snakemake).

    The targets come first: Snakemake's --configfile and --config take several values, so a
    target after them would be read as a config file or a config item."""
    cmd = [*snakemake_command(), "--snakefile", str(workflow / "Snakefile"),
           *getattr(args, "targets", [])]
    if args.configfile:
        cmd += ["--configfile", *(str(Path(f).resolve()) for f in args.configfile)]
    if getattr(args, "config", None):
        cmd += ["--config", *snakemake_config_items(_overrides(args))]
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

    files = args.configs
    name = " + ".join((files or [C.DEFAULT_CONFIG])
                      + ([f"--config {' '.join(args.config)}"] if args.config else []))
    try:
        workflow = find_workflow(args.workflow_dir)
    except CLIError:
        workflow = None          # no checkout: config.yaml of the current folder, if any
    args.configfile = files
    try:
        cfg = run_config(args, workflow)
    except CLIError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    sections = [k for k, v in cfg.items() if isinstance(v, dict)]
    base = ("complete (base: schema)" if cfg["base"] == "schema"
            else f"layered on {(workflow or Path.cwd()) / C.DEFAULT_CONFIG}")
    print(f"{name}: valid, {base} ({len(sections)} sections: {', '.join(sections)}); "
          f"results_dir={cfg.get('results_dir')}, report_dir={cfg.get('report_dir')}")
    for line in C.work_lines(cfg):
        print(line)
    for line in C.notes(cfg):
        print(f"note: {line}")
    if args.show:
        print(json.dumps(cfg, indent=1, sort_keys=True, default=str))
    return 0


def _run_snakemake(cmd: list[str], workflow: Path, show: bool) -> int:
    if show:
        print(shlex.join(cmd))
        return 0
    print(f"[shallownc] in {workflow}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
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
    cfg = run_config(args, workflow)     # every config problem as one line, before Snakemake
    left = profile_placeholders(args.profile, workflow) if args.profile else []
    if left and not args.dry_run:
        raise CLIError(f"profile {args.profile} still has {PLACEHOLDER} values (copy it and "
                       "fill in your site's account and partitions; --dry-run plans "
                       "anyway):\n  " + "\n  ".join(left))
    if not args.print_command:
        check_paper_targets(args.targets, cfg, args.configfile)
    cmd = build_snakemake_args(args, workflow) + list(args.snakemake_args)
    return _run_snakemake(cmd, workflow, args.print_command)


def check_paper_targets(targets, cfg: dict, configfiles) -> None:
    """fig1/fig2/paper asked of a config without the paper's Figures 1-2: one line naming
    the presets (shallownc.paper.table.missing_blocks), before Snakemake starts."""
    from .paper import table as P

    msg = P.missing_blocks(targets, cfg, " + ".join(configfiles or []) or "config.yaml")
    if msg:
        raise CLIError(msg)


def cmd_report(args) -> int:
    workflow = find_workflow(args.workflow_dir)
    cfg = run_config(args, workflow)
    # --output is relative to the folder the command is run in (Snakemake runs in the
    # checkout); the default is <report_dir>/report.html of the config, in the checkout
    out = (str(Path(args.output).resolve()) if args.output
           else str(Path(cfg["report_dir"]) / "report.html"))
    args.cores = args.dry_run = None
    cmd = build_snakemake_args(args, workflow) + ["--report", out] + list(args.snakemake_args)
    return _run_snakemake(cmd, workflow, args.print_command)


def cmd_figures(args) -> int:
    from .paper import table as P

    # the default config.yaml builds none of the paper's figures: lines for the CPU preset
    given = args.configfile
    configfile = given or P.PRESETS[0][0]
    try:
        workflow = find_workflow(None)
    except CLIError:
        workflow = None
    args.configfile = [configfile]
    cfg = run_config(args, workflow)
    args.configfile = configfile
    res, rep = cfg["results_dir"], cfg["report_dir"]
    rows = [{"key": f.key, "paper": f.paper, "target": f.target,
             "command": P.command(f.target, configfile), "output": f.output(res),
             "figure": f.figure(rep), "checks": f.theorems, "shows": f.shows}
            for f in P.ITEMS]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    if not given:
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
    vers = _json_attr(ds.attrs, "package_versions_json", lines)
    if vers:
        lines.append("  versions: " + ", ".join(f"{k} {v}" for k, v in sorted(vers.items())))
    cfg = _json_attr(ds.attrs, "config_json", lines)
    if cfg:
        lines.append(f"  config: {len(json.dumps(cfg))} characters, top-level keys "
                     f"{sorted(cfg)} (attribute config_json)")
    skip = {"config_json", "package_versions_json", *prov}
    other = {k: v for k, v in ds.attrs.items() if k not in skip}
    lines.append("attributes:" if all_attrs else f"other attributes: {', '.join(other)}")
    if all_attrs:
        lines += [f"  {k}: {v}" for k, v in other.items()]
    return "\n".join(lines)


def _json_attr(attrs: dict, name: str, lines: list) -> dict:
    """A JSON-valued provenance attribute as a mapping; an unreadable one is reported as a
    line of the description (the rest of the file is still described)."""
    raw = attrs.get(name, "") or "{}"
    try:
        value = json.loads(raw)
    except (TypeError, ValueError) as exc:
        lines.append(f"  {name}: not valid JSON ({exc}); the provenance record is damaged")
        return {}
    if not isinstance(value, dict):
        lines.append(f"  {name}: not a JSON object ({type(value).__name__})")
        return {}
    return value


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


def _add_config_opts(p):
    p.add_argument("--configfile", nargs="+", metavar="FILE",
                   help="config YAML file(s), merged in order and layered on config.yaml "
                        "unless they say `base: schema` (the presets); targets go before it")
    p.add_argument("--config", nargs="+", metavar="KEY=VALUE",
                   help="override settings, dotted keys for nested ones and YAML values, "
                        "e.g. seed=3 training.dynamics.train.lr=0.1 verdict.enabled=false")


def _add_workflow_opts(p, with_cores: bool):
    _add_config_opts(p)
    p.add_argument("--profile", help="Snakemake profile folder, passed as --workflow-profile "
                                     "(e.g. profiles/slurm); replaces profiles/default")
    if with_cores:
        p.add_argument("--cores", type=cores,
                       help="CPU cores, a positive integer or 'all' (default: the profile's)")
        p.add_argument("-n", "--dry-run", action="store_true", help="plan only")
    p.add_argument("--workflow-dir", help=f"checkout holding the Snakefile (default: "
                                          f"${WORKFLOW_ENV}, the current folder, the "
                                          "package's checkout)")
    p.add_argument("--print-command", action="store_true",
                   help="print the Snakemake command instead of running it")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shallownc", description=__doc__.split("\n\n")[0],
                                epilog="`shallownc COMMAND --help` describes each command.",
                                allow_abbrev=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    v = sub.add_parser("validate", help="check a config against the schema",
                       description="Validate CONFIG against the JSON schema (defaults filled); "
                                   "exit status 2 with every problem named if invalid.")
    v.add_argument("configs", nargs="*", metavar="CONFIG",
                   help="config file(s) as `run --configfile` takes them (none: config.yaml)")
    v.add_argument("--config", nargs="+", metavar="KEY=VALUE", help="overrides, as for run")
    v.add_argument("--workflow-dir", help="checkout whose config.yaml overrides layer on")
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
    for command in sub.choices.values():
        command.allow_abbrev = False     # `--config` must never be read as `--configfile`
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
