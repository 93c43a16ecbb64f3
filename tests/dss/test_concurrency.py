"""The key check and the write are one decision: of concurrent writes that each miss the
others, exactly one goes through, and the refused ones leave nothing behind."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from api.world import Clock
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


def test_a_subscription_written_by_another_process_is_notified(tmp_path: Path) -> None:
    """Two services on one database (as ``serve --workers 2``): each keeps subscriptions in
    memory and must see those the other writes, and their deletion."""
    from deconfliction.channel.service import Service
    from deconfliction.store import open_store

    url = f"sqlite:///{tmp_path / 'two.db'}"
    one, two = Service(open_store(url), clock=Clock()), Service(open_store(url), clock=Clock())
    try:
        a, b = DssLogic(one), DssLogic(two)
        uss = Caller("uss1", frozenset({SC}))
        sub = {"extents": circle4d(*HERE, 5_000.0, start_h=0.5, end_h=6.0),
               "uss_base_url": "https://uss1.example.com",
               "notify_for_operational_intents": True}
        body = {"extents": [circle4d(*HERE, 300.0)], "state": "Accepted",
                "uss_base_url": "https://uss1.example.com"}

        async def main() -> None:
            r = await a.put_intent(uss, str(uuid.uuid4()), None, body)  # a's cache: none
            assert r["subscribers"] == []
            sid = str(uuid.uuid4())
            s = await b.put_subscription(uss, sid, None, sub)
            r = await a.put_intent(uss, str(uuid.uuid4()), None, {**body, "key": [
                r["operational_intent_reference"]["ovn"]]})
            assert r["subscribers"][0]["subscriptions"] == [
                {"subscription_id": sid, "notification_index": 1}]
            await b.delete_subscription(uss, sid, s["subscription"]["version"])
            nonconforming = {**body, "state": "Nonconforming",
                             "new_subscription": {"uss_base_url": "https://u.example.com"}}
            r = await a.put_intent(uss, str(uuid.uuid4()), None, nonconforming)
            assert sid not in {x["subscription_id"] for n in r["subscribers"]
                               for x in n["subscriptions"]}

        asyncio.run(main())
    finally:
        one.store.close()
        two.store.close()
