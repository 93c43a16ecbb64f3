"""The core stays pure: nothing it imports, however indirectly, reaches the outer layers.

The walk reads source with ``ast`` (nothing is imported), follows every ``deconfliction.*``
import (and the packages' ``__init__`` files that importing runs) recursively, and also
counts ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

import deconfliction

SRC = Path(deconfliction.__file__).parent
FORBIDDEN = frozenset({
    "fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "psycopg2", "sqlite3",
    "typer", "rich", "click", "nats", "httpx",
})
FORBIDDEN_OWN = frozenset({"store", "api", "cli", "cli_render", "channel", "monitor",
                           "formats"})


def module_path(root: Path, name: str) -> Path | None:
    """The source file of ``deconfliction.<...>`` under ``root``, if it is a module there."""
    parts = name.split(".")[1:]
    base = root.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _literal_imports(tree: ast.AST) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                out.append(node.args[0].value)
    return out


def imports_of(path: Path, name: str, root: Path) -> set[str]:
    """Every module name that ``path`` (module ``name``) imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set(_literal_imports(tree))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            found.add(mod)
            for alias in node.names:  # ``from pkg import submodule``
                sub = f"{mod}.{alias.name}"
                if sub.startswith("deconfliction.") and module_path(root, sub):
                    found.add(sub)
    # importing a module runs its parent packages' __init__ first
    for mod in [m for m in found if m.startswith("deconfliction.")]:
        parts = mod.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return found


def _bad(mod: str) -> bool:
    parts = mod.split(".")
    if parts[0] in FORBIDDEN:
        return True
    return parts[0] == "deconfliction" and len(parts) > 1 and parts[1] in FORBIDDEN_OWN


def violations(root: Path) -> list[str]:
    """``"a -> b -> sqlite3"`` for every forbidden import reachable from ``root/core``."""
    start = [
        "deconfliction.core" + ("" if p.stem == "__init__" else "." + p.stem)
        for p in sorted((root / "core").glob("*.py"))
    ]
    chains: dict[str, tuple[str, ...]] = {m: (m,) for m in start}
    queue = deque(start)
    out = []
    while queue:
        name = queue.popleft()
        path = module_path(root, name)
        if path is None:
            continue
        for mod in sorted(imports_of(path, name, root)):
            if _bad(mod):
                out.append(" -> ".join((*chains[name], mod)))
            elif mod.startswith("deconfliction") and mod not in chains:
                chains[mod] = (*chains[name], mod)
                queue.append(mod)
    return out


def test_the_core_imports_nothing_from_the_outer_layers() -> None:
    assert (SRC / "core").is_dir()
    assert violations(SRC) == []


def test_every_core_module_is_walked() -> None:
    assert len(list((SRC / "core").glob("*.py"))) >= 5


@pytest.mark.parametrize(
    ("source", "culprit"),
    [
        ("import sqlite3\n", "sqlite3"),
        ("from sqlalchemy.engine import Engine\n", "sqlalchemy.engine"),
        ("from deconfliction.store import open_store\n", "deconfliction.store"),
        ("from ..formats import native\n", "deconfliction.formats"),
        ("def f():\n    import rich.console\n", "rich.console"),
        ("import importlib\nimportlib.import_module('typer')\n", "typer"),
    ],
)
def test_the_walk_finds_indirect_violations(tmp_path: Path, source: str, culprit: str) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "helpers").mkdir()
    for pkg in ("", "core/", "helpers/"):
        (tmp_path / f"{pkg}__init__.py").write_text("")
    (tmp_path / "core" / "a.py").write_text("from deconfliction.helpers import b\n")
    (tmp_path / "helpers" / "b.py").write_text("from . import c\n")
    (tmp_path / "helpers" / "c.py").write_text(source)
    found = violations(tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith("deconfliction.core.a -> ")
    assert found[0].endswith(f"deconfliction.helpers.b -> deconfliction.helpers.c -> {culprit}")
