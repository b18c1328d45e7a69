"""Imports point downwards only (docs: DESIGN.md, "Layers"), and no package imports in a circle.

Every import counts, at module level or inside a function: a function-level import is how a
layer violation or a cycle usually hides, and it fails just the same when that function runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# package -> the packages it must never import. `authority` may not exist yet.
FORBIDDEN = {
    "passport": {"issuer", "verifier", "authority", "rpl_rubrics"},
    "rpl_rubrics": {"issuer", "verifier", "authority"},
    "issuer": {"verifier", "authority"},
    "verifier": {"issuer", "authority"},
    "authority": {"issuer", "verifier"},
}
ACYCLIC = ("passport", "rpl_rubrics")


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository
    line: int
    importer: str  # the importing module's name
    module: str  # the absolute name imported, resolved to a module where one exists

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path, known: set[str]) -> Iterator[Import]:
    """Every import in the file, wherever it is; `from p import m` names module p.m if it is one."""
    name, file = module_name(path, root), path.relative_to(root).as_posix()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(file, node.lineno, name, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield Import(file, node.lineno, name, full if full in known else base)


def package_files(package: str, root: Path) -> list[Path]:
    return sorted((root / package).rglob("*.py"))


def all_imports(packages: list[str], root: Path) -> list[Import]:
    files = [f for p in packages for f in package_files(p, root)]
    known = {module_name(f, root) for f in files}
    return [i for f in files for i in imports(f, root, known)]


def layer_violations(packages: list[str], root: Path) -> list[str]:
    return [f"{i}, but {package} must not import {i.module.split('.')[0]}"
            for package in packages for i in all_imports([package], root)
            if i.module.split(".")[0] in FORBIDDEN.get(package, set())]


def cycles(package: str, root: Path) -> list[list[Import]]:
    """Each cycle a depth-first search of the package's module graph closes, as its imports."""
    edges: dict[str, dict[str, Import]] = {}
    for i in all_imports([package], root):
        edges.setdefault(i.importer, {})
        if i.module.split(".")[0] == package and i.module != i.importer:
            edges[i.importer].setdefault(i.module, i)
    found: list[list[Import]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(edges.get(module, {})):
            if target in path:  # an import back onto the path closes a cycle
                loop = path[path.index(target):]
                found.append([edges[a][b] for a, b in zip(loop, [*loop[1:], target], strict=True)])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    for start in sorted(edges):
        if start not in done:
            visit(start, [start])
    return found


def existing(packages: list[str] | tuple[str, ...]) -> list[str]:
    return [p for p in packages if (REPO / p / "__init__.py").exists()]


def test_each_layer_imports_only_what_it_may() -> None:
    problems = layer_violations(existing(list(FORBIDDEN)), REPO)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", ACYCLIC)
def test_no_import_cycle_inside(package: str) -> None:
    found = cycles(package, REPO)
    assert not found, "\n\n".join("\n".join(map(str, loop)) for loop in found)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checks_see_function_level_and_relative_imports(tmp_path: Path) -> None:
    # The checks above pass on a clean tree; this proves they would not pass on a dirty one.
    _write(tmp_path, {
        "passport/__init__.py": "",
        "passport/a.py": "def f() -> None:\n    from passport import b\n",
        "passport/b.py": "from . import c\n",
        "passport/c.py": "import passport.a\n\n\ndef g() -> None:\n    from rpl_rubrics import x\n",
        "verifier/__init__.py": "",
        "verifier/v.py": "if True:\n    from issuer.service import run\n",
    })
    assert layer_violations(["passport", "verifier"], tmp_path) == [
        "passport/c.py:5 imports rpl_rubrics, but passport must not import rpl_rubrics",
        "verifier/v.py:2 imports issuer.service, but verifier must not import issuer",
    ]
    [loop] = cycles("passport", tmp_path)
    assert [str(i) for i in loop] == [
        "passport/a.py:2 imports passport.b",
        "passport/b.py:1 imports passport.c",
        "passport/c.py:1 imports passport.a",
    ]
