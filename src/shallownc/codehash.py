"""Code versions computed from imports: which package modules a script runs, and their hash.

Snakemake does not see edits under ``src/``. Every rule therefore passes
``code=code_version("../scripts/<script>.py")`` (``workflow/rules/common.smk``) as a param: the
hash of the script and of every module of this package it imports, transitively (imports
inside functions included, since a lazily imported module still runs). Modules are parsed with
:mod:`ast` and hashed as their syntax tree without docstrings, so

* a comment, a docstring or a reformatting never changes the hash (no job re-runs), while
* any change of the code itself (a statement, a constant, a default argument) always does, and
  re-runs exactly the rules whose scripts reach that module.

Imports of other packages (numpy, torch, ...) are outside the hash; their versions are recorded
in every NetCDF file (``shallownc.io``). The tree dump depends on the Python version (3.12
added fields to some nodes), so a Python upgrade re-runs everything once.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = "shallownc"


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    """Drop the docstring of the module and of every class and function (in place)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
    return tree


def normalized_source(path: str | Path) -> str:
    """The module's syntax tree without docstrings, comments, layout or line numbers."""
    path = Path(path)
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except SyntaxError as exc:
        raise ValueError(f"cannot hash {path}: syntax error at line {exc.lineno}: {exc.msg}") \
            from exc
    return ast.dump(_strip_docstrings(tree), annotate_fields=False, include_attributes=False)


class PackageIndex:
    """Maps dotted module names of the package under ``src`` to files (modules or packages)."""

    def __init__(self, src: str | Path, package: str = PACKAGE):
        self.src = Path(src)
        self.package = package

    def file_of(self, name: str) -> Path | None:
        """``src/a/b.py`` or ``src/a/b/__init__.py`` for ``a.b``; None if not in the package."""
        if name != self.package and not name.startswith(self.package + "."):
            return None
        base = self.src.joinpath(*name.split("."))
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                return cand
        return None

    def is_package(self, name: str) -> bool:
        f = self.file_of(name)
        return f is not None and f.name == "__init__.py"


def _with_parents(name: str) -> list[str]:
    """``a.b.c`` -> ``[a, a.b, a.b.c]``: importing a submodule runs its packages' __init__."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def imported_modules(tree: ast.AST, index: PackageIndex, current: str | None) -> set[str]:
    """Package modules one file imports (anywhere in it). ``current`` is the file's own dotted
    name (None for a script outside the package), needed for relative imports."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(_with_parents(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if current is None:
                    continue
                pkg = current if index.is_package(current) else current.rpartition(".")[0]
                parts = pkg.split(".")
                base_parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.update(_with_parents(base))
            # `from pkg import name`: name may be a submodule (or just an attribute of pkg)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if index.file_of(m) is not None}


@lru_cache(maxsize=None)
def _imports_cached(path: str, stamp: tuple, src: str, package: str, current: str | None):
    tree = ast.parse(Path(path).read_text(), filename=path)
    return frozenset(imported_modules(tree, PackageIndex(src, package), current))


def _imports_of(path: Path, index: PackageIndex, current: str | None) -> frozenset[str]:
    st = path.stat()
    return _imports_cached(str(path), (st.st_mtime_ns, st.st_size), str(index.src),
                           index.package, current)


def module_closure(script: str | Path, src: str | Path, package: str = PACKAGE) -> list[str]:
    """Sorted dotted names of the package modules ``script`` runs, transitively."""
    index = PackageIndex(src, package)
    todo = sorted(_imports_of(Path(script), index, None))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_imports_of(index.file_of(name), index, name) - seen)
    return sorted(seen)


@lru_cache(maxsize=None)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(normalized_source(path).encode()).hexdigest()


def file_digest(path: str | Path) -> str:
    """Hash of one file's normalized source (cached per path, mtime and size)."""
    st = Path(path).stat()
    return _file_digest(str(path), st.st_mtime_ns, st.st_size)


def code_hash(script: str | Path, src: str | Path, package: str = PACKAGE) -> str:
    """16 hex digits over the script and every package module it runs (normalized sources)."""
    index = PackageIndex(src, package)
    h = hashlib.sha256(file_digest(script).encode())
    for name in module_closure(script, src, package):
        h.update(f"\0{name}\0{file_digest(index.file_of(name))}".encode())
    return h.hexdigest()[:16]
