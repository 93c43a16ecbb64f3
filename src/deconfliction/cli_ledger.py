"""The ``ledger`` commands: check a copy of the verifiable ledger (see :mod:`.channel.ledger`).

``cli.py`` mounts :data:`ledger_app` as ``deconfliction ledger``; more commands (``export``)
are added to the same app. Exit status: 0 the ledger verifies, 1 it does not (one line on
stderr, ``error: entry 17: <problem> (<CODE>)``), 2 bad input (unreadable file, bad JSON,
bad key file: one line, ``error: ...``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from deconfliction.channel.ledger import keys_from_json, read_jsonl, verify
from deconfliction.core.errors import DeconflictionError

__all__ = ["ledger_app"]

ledger_app = typer.Typer(
    help="The verifiable ledger: an append-only, hash-chained, signed record of every write "
    "and message.",
    no_args_is_help=True,
)


def _fail(message: str, status: int) -> NoReturn:
    # cli.py has the same helper; importing it here would be circular (cli.py imports us)
    print("error: " + " ".join(message.split()), file=sys.stderr)
    raise typer.Exit(status)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        _fail(f"{what} {path}: {err.strerror or err}", 2)


@ledger_app.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="The ledger as JSON lines.")],
    keys: Annotated[
        Path,
        typer.Option("--keys", help='Key file: {"keys": {"<key id>": "<public key>", ...}}.'),
    ],
    expect_head: Annotated[
        str | None,
        typer.Option("--expect-head", help="The hash the last entry must have (the other "
                     "side's head): detects entries removed from the end."),
    ] = None,
) -> None:
    """Verify FILE: every hash, signature and link, from the first entry to the last."""
    if expect_head is not None and not re.fullmatch("[0-9a-f]{64}", expect_head):
        _fail("--expect-head: a head hash is 64 lower-case hex digits (BAD_HASH)", 2)
    try:
        public_keys = keys_from_json(_read(keys, "key file"))
    except DeconflictionError as err:
        _fail(f"key file {keys}: {err} ({err.code})", 2)
    try:
        entries = read_jsonl(_read(file, "ledger"))
    except DeconflictionError as err:
        _fail(f"{file}: {err} ({err.code})", 2)
    report = verify(entries, public_keys, expect_head=expect_head)
    if not report.ok:
        where = "" if report.first_bad_seq is None else f"entry {report.first_bad_seq}: "
        _fail(f"{where}{report.problem} ({report.code})", 1)
    print(f"ok: {report.count} entries, head {report.head_seq} {report.head_hash}")
