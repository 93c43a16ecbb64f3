"""The ledger through the API and the CLI: payloads withheld from parties an entry does not
concern, yet the chain verifies; an exported copy verifies, and any altered, removed or
swapped entry is detected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.world import HERE, World, circle, populate
from deconfliction.channel import ledger as ledger_mod
from deconfliction.cli import app as cli


def _keys(w: World) -> dict[str, object]:
    r = w.client.get("/ledger/keys")
    assert r.status_code == 200
    return {k: ledger_mod.public_key_from_text(v) for k, v in r.json()["keys"].items()}


def test_a_party_reads_the_chain_with_others_payloads_withheld_and_it_verifies(
        any_world: World) -> None:
    w = any_world
    populate(w)
    full = w.client.get("/ledger", headers=w.auth("admin")).json()["items"]
    mine = w.client.get("/ledger", headers=w.auth("delta")).json()["items"]
    assert [e["hash"] for e in mine] == [e["hash"] for e in full]
    withheld = [e for e in mine if e["payload"] is None]
    assert withheld and all("delta" not in e["parties"] for e in withheld)
    assert all(e["payload"] is not None for e in full)
    for entries in (full, mine):
        report = ledger_mod.verify([ledger_mod.entry_from_dict(e) for e in entries], _keys(w))
        assert report.ok, report.problem
        assert report.count == len(full)
    # a withheld entry still proves its payload: the hash of the full one
    by_seq = {e["seq"]: e for e in full}
    for e in withheld:
        assert e["payload_hash"] == by_seq[e["seq"]]["payload_hash"]
    r = w.client.get("/ledger/verify", headers=w.auth("delta")).json()
    assert r["ok"] is True and r["head_seq"] == full[-1]["seq"]
    # paging
    page = w.client.get(f"/ledger?after={full[2]['seq']}&limit=2",
                        headers=w.auth("delta")).json()
    assert [e["seq"] for e in page["items"]] == [full[3]["seq"], full[4]["seq"]]
    assert page["next"] == full[4]["seq"]


def test_a_tampered_payload_does_not_verify(world: World) -> None:
    w = world
    populate(w)
    entries = [ledger_mod.entry_from_dict(e) for e in
               w.client.get("/ledger", headers=w.auth("admin")).json()["items"]]
    i = next(i for i, e in enumerate(entries) if e.kind == "operation.created")
    forged = dict(ledger_mod.entry_to_dict(entries[i]))
    forged["payload"] = {**forged["payload"], "override": None}
    entries[i] = ledger_mod.entry_from_dict(forged)
    report = ledger_mod.verify(entries, _keys(w))
    assert not report.ok and report.first_bad_seq == entries[i].seq


@pytest.fixture
def exported(world: World, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """The world's ledger exported with the CLI (its lines) and the key file."""
    w = world
    populate(w)
    r = w.client.post("/zones", headers=w.auth("delta"), json={
        "id": "z-delta", "volumes": [circle(HERE[0] + 1, HERE[1])]})
    assert r.status_code == 201
    db = w.service.store.path  # type: ignore[attr-defined]
    out, keys = tmp_path / "ledger.jsonl", tmp_path / "keys.json"
    res = CliRunner().invoke(cli, ["ledger", "export", "--db", str(db), "--out", str(out),
                                   "--keys", str(keys)])
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    assert len(lines) > 10
    return out, keys, lines


def _verify(ledger: Path, keys: Path, *more: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["ledger", "verify", str(ledger), "--keys", str(keys), *more])
    return res.exit_code, res.output


def test_the_exported_ledger_verifies(exported: tuple[Path, Path, list[str]]) -> None:
    out, keys, lines = exported
    code, text = _verify(out, keys)
    assert code == 0, text
    assert text.startswith(f"ok: {len(lines)} entries")


@pytest.mark.parametrize("tamper", ["alter", "remove", "swap", "truncate"])
def test_a_tampered_export_is_detected(exported: tuple[Path, Path, list[str]],
                                       tamper: str) -> None:
    out, keys, lines = exported
    head = json.loads(lines[-1])["hash"]
    i = len(lines) // 2
    if tamper == "alter":
        e = json.loads(lines[i])
        e["actor"] = "someone-else"
        lines[i] = json.dumps(e)
    elif tamper == "remove":
        del lines[i]
    elif tamper == "swap":
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    else:
        del lines[-1]
    out.write_text("\n".join(lines) + "\n")
    more = ("--expect-head", head) if tamper == "truncate" else ()
    code, text = _verify(out, keys, *more)
    assert code == 1, text
    assert text.startswith("error: ")
    if tamper == "truncate":  # without the other side's head, a shorter chain is a chain
        assert _verify(out, keys)[0] == 0


def test_the_ledger_shows_an_object_no_more_than_the_object_itself(world: World) -> None:
    """bravo was told of alpha's operation (it enters bravo's zone): bravo is a party to the
    entry, but sees the operation only in the shared view, so the entry's payload (the whole
    operation: its purpose, its participants) is withheld from it; not from a participant."""
    w = world
    populate(w)
    assert "name" not in w.client.get("/operations/op-alpha", headers=w.auth("bravo")).json()

    def created(party: str) -> dict[str, object]:
        items = w.client.get("/ledger", headers=w.auth(party)).json()["items"]
        (e,) = [e for e in items if e["kind"] == "operation.created"
                and e["subject"] == "op-alpha"]
        return e

    assert "bravo" in created("bravo")["parties"]
    assert created("bravo")["payload"] is None
    assert created("charlie")["payload"]["object"]["name"] == "Secret convoy"  # type: ignore[index]
    assert created("alpha")["payload"] is not None
    # bravo's own zone: in full to bravo
    items = w.client.get("/ledger", headers=w.auth("bravo")).json()["items"]
    (z,) = [e for e in items if e["kind"] == "zone.created" and e["subject"] == "z-bravo"]
    assert z["payload"]["object"]["name"] == "Bravo range"
