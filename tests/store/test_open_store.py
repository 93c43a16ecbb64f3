"""Choosing a store from a path or URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from deconfliction.core.errors import StoreError
from deconfliction.store import SqliteStore, open_store


@pytest.mark.parametrize("form", ["path", "str", "url"])
def test_sqlite_forms(tmp_path: Path, form: str) -> None:
    db = tmp_path / "x.db"
    arg = {"path": db, "str": str(db), "url": f"sqlite:///{db}"}[form]
    with open_store(arg) as store:
        assert isinstance(store, SqliteStore) and store.path == db
    assert db.exists()


def test_relative_sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///rel.db"):
        pass
    assert (tmp_path / "rel.db").exists()


@pytest.mark.parametrize("url", ["mysql://x", "sqlite://", "sqlite:///:memory:"])
def test_unsupported(url: str) -> None:
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert err.value.code == "UNSUPPORTED_STORE"


def test_an_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError) as err:
        open_store("postgresql://nobody@127.0.0.1:1/none")
    assert err.value.code == "STORE_FAILURE"


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgres_forms(fresh_postgres_url: str, scheme: str) -> None:
    url = scheme + fresh_postgres_url[fresh_postgres_url.index("://"):]
    with open_store(url) as store:
        assert store.dialect == "postgresql"
