"""Fixtures of the API tests: a world (service, fake clock, parties, in-process client)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.world import World, copy_world, open_world, populate


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A world over a fresh SQLite store: parties and tokens, no objects."""
    with open_world(f"sqlite:///{tmp_path / 'api.db'}") as w:
        yield w


@pytest.fixture
def any_world(store_url: str) -> Iterator[World]:
    """The same on each backend (SQLite and PostgreSQL)."""
    with open_world(store_url) as w:
        yield w


@pytest.fixture(scope="session")
def populated_template(tmp_path_factory: pytest.TempPathFactory
                       ) -> tuple[Path, dict[str, str], dict[str, str]]:
    """A closed SQLite file holding a populated world (see :func:`populate`), its tokens and
    the ids :func:`populate` returned; built once per test process."""
    path = tmp_path_factory.mktemp("template") / "populated.db"
    with open_world(f"sqlite:///{path}") as w:
        ids = populate(w)
        tokens = dict(w.tokens)
    return path, tokens, ids


@pytest.fixture
def populated(populated_template: tuple[Path, dict[str, str], dict[str, str]],
              tmp_path: Path) -> Iterator[tuple[World, dict[str, str]]]:
    """A world of its own over a copy of the populated template, and the template's ids."""
    template, tokens, ids = populated_template
    with copy_world(template, tmp_path / "copy.db", tokens) as w:
        yield w, ids
