"""What the web tests share: where Chromium is, its flags, the artefacts directory, the site."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("DECONFLICTION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "web"


def unavailable(why: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"web tests cannot run in CI: {why}")
    pytest.skip(why)


@dataclass
class Site:
    """The server under test and each party's API token."""

    url: str
    tokens: dict[str, str]
