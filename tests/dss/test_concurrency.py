"""The key check and the write are one decision: of concurrent writes that each miss the
others, exactly one goes through, and the refused ones leave nothing behind."""

from __future__ import annotations

import asyncio
import uuid

from deconfliction.dss.auth import Caller
from deconfliction.dss.dss import Dss as DssLogic
from deconfliction.dss.errors import DssError
from dss.kit import SC, Dss, circle4d

HERE = (33.50, 38.60)


def test_of_concurrent_overlapping_intents_with_empty_keys_exactly_one_is_accepted(
        dss: Dss) -> None:
    (mount,) = [r for r in dss.world.client.app.routes  # type: ignore[attr-defined]
                if getattr(r, "path", "") == "/dss/v1"]
    logic: DssLogic = mount.app.state.dss
    service = dss.world.service
    head = service.versions()
    body = {"extents": [circle4d(*HERE, 300.0)], "state": "Accepted", "key": [],
            "uss_base_url": "https://uss.example.com"}

    async def one(i: int) -> str:
        try:
            await logic.put_intent(Caller(f"uss{i}", frozenset({SC})), str(uuid.uuid4()),
                                   None, body)
        except DssError as err:
            return f"{err.status} {err.code}"
        return "201"

    async def main() -> list[str]:
        return await asyncio.gather(*(one(i) for i in range(8)))

    outcomes = asyncio.run(main())
    assert sorted(outcomes) == ["201"] + ["409 MISSING_OVNS"] * 7
    assert len(service.versions()) == len(head) + 1  # the refused ones wrote nothing
    with service.store.read() as tx:
        kinds = [e["kind"] for e in tx.ledger_entries()]
    assert kinds.count("operation.created") == 1
