"""Running a benchmark script in its quick mode, as the smoke tests do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_quick(script: str, out: Path, *extra: str, timeout: float) -> tuple[str, Any]:
    """Run ``bench/<script> --quick --out OUT [extra]``; it must succeed. Its stdout and the
    JSON results it wrote (``OUT/<name>.json``, the name less ``bench_``)."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick", *extra, "--out", str(out)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    name = script.removeprefix("bench_").removesuffix(".py")
    return proc.stdout, json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
