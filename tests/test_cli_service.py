"""The service's operator commands: ``party add``, ``token issue``, ``ledger export``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deconfliction.cli import app
from deconfliction.cli_service import open_service


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_party_add_and_token_issue_give_working_credentials(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    code, out = _run("party", "add", "alpha", "--contact", "desk 1", "--db", db)
    assert code == 0, out
    first = json.loads(out)
    assert first["party"] == "alpha" and first["token"].startswith("dcf_")
    code, out = _run("token", "issue", "alpha", "--scopes", "zones:read", "--db", db)
    assert code == 0, out
    second = out.strip()
    code, out = _run("party", "add", "alpha", "--db", db)
    assert code == 2 and "PARTY_EXISTS" in out
    service = open_service(db)
    try:
        who = service.authenticate_token(first["token"])
        assert who is not None and who.party == "alpha" and "operations:write" in who.scopes
        who = service.authenticate_token(second)
        assert who is not None and who.scopes == frozenset({"zones:read"})
        assert service.party("alpha").contact == "desk 1"
    finally:
        service.store.close()


def test_ledger_export_writes_the_ledger_and_its_keys(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    assert _run("party", "add", "alpha", "--db", db)[0] == 0
    out, keys = tmp_path / "l.jsonl", tmp_path / "k.json"
    code, text = _run("ledger", "export", "--db", db, "--out", str(out), "--keys", str(keys))
    assert code == 0, text
    assert [json.loads(line)["kind"] for line in out.read_text().splitlines()] == [
        "party.created", "party.created", "token.issued"]
    assert "server" in json.loads(keys.read_text())["keys"]
