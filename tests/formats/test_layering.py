"""The formats import only the core and the standard library (no I/O frameworks)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import deconfliction.formats

FORMATS = Path(deconfliction.formats.__file__).parent


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            out.add("." * node.level + (node.module or ""))
    return out


def test_formats_import_only_the_core_and_the_standard_library() -> None:
    allowed = ("deconfliction.core", "deconfliction.formats")
    for path in sorted(FORMATS.glob("*.py")):
        for mod in _imports(path):
            top = mod.split(".")[0]
            ok = top in sys.stdlib_module_names or mod.startswith(allowed)
            assert ok, f"{path.name} imports {mod}"
