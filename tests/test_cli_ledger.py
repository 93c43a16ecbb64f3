"""``ledger verify``: exit 0 and the head, 1 and one line for a tampered ledger, 2 for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from deconfliction.channel.ledger import (
    LedgerEntry,
    append,
    generate_key,
    keys_to_json,
    to_jsonl,
    withheld,
)
from deconfliction.cli_ledger import ledger_app

KEY = generate_key()

app = typer.Typer()
app.add_typer(ledger_app, name="ledger")


@app.callback()
def _root() -> None:
    """A stand-in for the ``deconfliction`` app that mounts the ledger commands."""


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["ledger", *map(str, args)])


@pytest.fixture
def chain() -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for i in range(20):
        entries.append(append(
            entries[-1] if entries else None, at=f"2018-09-07T10:00:{i:02d}.000Z",
            actor="coalition", kind="message.sent", subject=f"msg-{i}",
            parties=["coalition", "russia"], payload={"n": i, "text": "التنف"},
            signer="server", key=KEY,
        ))
    return entries


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(keys_to_json({"server": KEY.public_key()}))
    return path


def write(tmp_path: Path, entries: list[LedgerEntry], name: str = "ledger.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(to_jsonl(entries), encoding="utf-8")
    return path


def one_error_line(result: Result, status: int) -> str:
    assert result.exit_code == status, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert result.stdout == ""
    assert "Traceback" not in result.output
    return lines[0]


def test_a_good_ledger_prints_its_head(
    tmp_path: Path, chain: list[LedgerEntry], keys: Path
) -> None:
    result = run("verify", write(tmp_path, chain), "--keys", keys)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok: 20 entries, head 20 {chain[-1].hash}\n"
    result = run("verify", write(tmp_path, chain), "--keys", keys, "--expect-head", chain[-1].hash)
    assert result.exit_code == 0, result.output


def test_withheld_payloads_verify(tmp_path: Path, chain: list[LedgerEntry], keys: Path) -> None:
    result = run("verify", write(tmp_path, [withheld(e) for e in chain]), "--keys", keys)
    assert result.stdout.startswith("ok: 20 entries"), result.output


def test_a_removed_entry_exits_1_with_one_line(
    tmp_path: Path, chain: list[LedgerEntry], keys: Path
) -> None:
    result = run("verify", write(tmp_path, chain[:16] + chain[17:]), "--keys", keys)
    assert one_error_line(result, 1) == (
        "error: entry 18: entry 17 is missing: entry 18 follows entry 16 (BROKEN_CHAIN)")


def test_an_altered_payload_exits_1(tmp_path: Path, chain: list[LedgerEntry], keys: Path) -> None:
    path = write(tmp_path, chain)
    path.write_text(path.read_text(encoding="utf-8").replace('"n":4,', '"n":40,'),
                    encoding="utf-8")
    assert one_error_line(run("verify", path, "--keys", keys), 1) == (
        "error: entry 5: entry 5's payload was altered: it does not hash to payload_hash "
        "(PAYLOAD_MISMATCH)")


def test_an_unknown_signer_exits_1(tmp_path: Path, chain: list[LedgerEntry]) -> None:
    other = tmp_path / "other.json"
    other.write_text(keys_to_json({"someone": generate_key().public_key()}))
    line = one_error_line(run("verify", write(tmp_path, chain), "--keys", other), 1)
    assert line.endswith("(UNKNOWN_SIGNER)") and line.startswith("error: entry 1: ")


def test_a_truncated_ledger_exits_1_against_the_expected_head(
    tmp_path: Path, chain: list[LedgerEntry], keys: Path
) -> None:
    path = write(tmp_path, chain[:-1])
    assert run("verify", path, "--keys", keys).exit_code == 0
    line = one_error_line(run("verify", path, "--keys", keys, "--expect-head", chain[-1].hash), 1)
    assert line.startswith("error: the record ends at entry 19 (")
    assert line.endswith("(HEAD_MISMATCH)")


def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, chain: list[LedgerEntry], keys: Path
) -> None:
    good = write(tmp_path, chain)
    missing = tmp_path / "missing.jsonl"
    line = one_error_line(run("verify", missing, "--keys", keys), 2)
    assert line == f"error: ledger {missing}: No such file or directory"
    line = one_error_line(run("verify", good, "--keys", tmp_path / "nokeys.json"), 2)
    assert line.startswith("error: key file ") and line.endswith("No such file or directory")

    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text(to_jsonl(chain[:2]) + "{not json}\n", encoding="utf-8")
    assert one_error_line(run("verify", bad_json, "--keys", keys), 2) == (
        f"error: {bad_json}: line 3: not JSON: Expecting property name enclosed in double "
        "quotes at column 2 (BAD_LEDGER_ENTRY)")

    bad_bytes = tmp_path / "bytes.jsonl"
    bad_bytes.write_bytes(b"\xff\xfe\n")
    assert one_error_line(run("verify", bad_bytes, "--keys", keys), 2) == (
        f"error: {bad_bytes}: line 1: not UTF-8 (byte 1) (BAD_LEDGER_ENTRY)")

    bad_keys = tmp_path / "badkeys.json"
    bad_keys.write_text('{"keys": {"server": "short"}}')
    assert one_error_line(run("verify", good, "--keys", bad_keys), 2) == (
        f"error: key file {bad_keys}: keys.server: a public key is 43 base64url characters "
        "(32 bytes) (BAD_KEY)")

    assert one_error_line(run("verify", good, "--keys", keys, "--expect-head", "abc"), 2) == (
        "error: --expect-head: a head hash is 64 lower-case hex digits (BAD_HASH)")


def test_the_keys_option_is_required(tmp_path: Path, chain: list[LedgerEntry]) -> None:
    result = run("verify", write(tmp_path, chain))
    assert result.exit_code == 2
    assert "--keys" in result.output


def test_the_ledger_app_lists_its_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "verify" in result.stdout
