"""Group commit: writes decided in order in one transaction, each against the ones before it;
a refused write leaves no trace; a failed transaction fails every write of its batch and
leaves memory as it was."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deconfliction.channel.commit import Job, Pending
from deconfliction.channel.service import ALL_SCOPES, Principal, RefusedError, Service
from deconfliction.core.errors import NotFoundError, StoreError
from deconfliction.core.parties import PartyProfile
from deconfliction.formats.native import object_from_dict
from deconfliction.store.sql import SqlStore
from deconfliction.store.tx import Tx

T0 = datetime(2031, 6, 1, tzinfo=UTC)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    svc = Service(SqlStore(f"sqlite:///{tmp_path}/c.db"))
    for p in ("alpha", "bravo"):
        svc.put_party("server", PartyProfile(id=p, name=p), create=True)
    yield svc
    svc.store.close()


def _op(obj_id: str, owner: str, lat: float, minutes: int = 0) -> Any:
    start = T0 + timedelta(minutes=minutes)
    return object_from_dict({
        "object": "operation", "id": obj_id, "kind": "flight", "state": "proposed",
        "volumes": [{"outline": {"type": "circle", "lat": lat, "lon": 38.6, "radius_m": 500.0},
                     "alt_lower_m": 0.0, "alt_upper_m": 150.0,
                     "time_start": start.isoformat(),
                     "time_end": (start + timedelta(minutes=30)).isoformat()}],
    }, owner=owner)


def _job(svc: Service, who: str, obj: Any, seen: dict[str, str] | None = None) -> Job[Any]:
    """The job :meth:`Service.save` would queue."""
    return svc.save_job(Principal(who, ALL_SCOPES), obj, expected_version=None, create=True,
                        seen=seen or {})


def test_a_batch_decides_each_write_against_the_ones_before_it(service: Service) -> None:
    a = _op("a", "alpha", 33.5)
    b = _op("b", "bravo", 33.5)  # meets a: refused, a was accepted just before it
    c = _op("c", "bravo", 34.5)  # far away: accepted
    jobs = [_job(service, "alpha", a), _job(service, "bravo", b, {}),
            _job(service, "bravo", c)]
    head0 = service.verify_ledger().count
    service._run_batch(jobs)
    assert jobs[0].error is None and jobs[2].error is None
    assert isinstance(jobs[1].error, RefusedError)
    assert jobs[1].error.code == "AWARENESS_REQUIRED"
    # one entry per accepted write, contiguous: the refused one left no trace
    assert [jobs[0].result().ledger_seq, jobs[2].result().ledger_seq] == [head0 + 1, head0 + 2]
    alpha = Principal("alpha", ALL_SCOPES)
    assert {o["id"] for o in service.list_objects(alpha, "operation")} == {"a", "c"}
    report = service.verify_ledger()
    assert report.ok and report.count == head0 + 2
    with service.store.read() as tx:
        assert {r.id for r in tx.objects("operation")} == {"a", "c"}


def test_a_failed_transaction_fails_every_write_and_restores_memory(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.save(Principal("alpha", ALL_SCOPES), _op("kept", "alpha", 35.0),
                 expected_version=None, create=True)
    jobs = [_job(service, "alpha", _op("x", "alpha", 33.5)),
            _job(service, "bravo", _op("y", "bravo", 34.5))]

    def broken(self: Pending, tx: Tx) -> None:
        raise StoreError("STORE_FAILURE", "disk full")

    monkeypatch.setattr(Pending, "flush", broken)
    service._run_batch(jobs)
    monkeypatch.undo()
    for job in jobs:
        with pytest.raises(StoreError):
            job.result()
    alpha = Principal("alpha", ALL_SCOPES)
    for obj_id in ("x", "y"):
        with pytest.raises(NotFoundError):
            service.get(alpha, obj_id)
    assert [o["id"] for o in service.list_objects(alpha, "operation")] == ["kept"]
    # the same writes go through afterwards, against the memory as it was
    res = service.save(alpha, _op("x", "alpha", 33.5), expected_version=None, create=True)
    assert res.ledger_seq == service.verify_ledger().count
    assert service.verify_ledger().ok


def test_concurrent_writes_are_batched_and_all_answered(service: Service) -> None:
    out: dict[int, Any] = {}
    barrier = threading.Barrier(24)

    def write(i: int) -> None:
        who = "alpha" if i % 2 else "bravo"
        barrier.wait()
        out[i] = service.save(Principal(who, ALL_SCOPES),
                              _op(f"w{i}", who, 30.0 + i * 0.2, minutes=i * 60),
                              expected_version=None, create=True)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.ledger_seq for r in out.values()) == list(
        range(min(r.ledger_seq for r in out.values()), max(r.ledger_seq for r in out.values())
              + 1))
    assert sum(service.commits.batches) >= 24 and service.verify_ledger().ok


def test_save_async_awaits_the_commit(service: Service) -> None:
    async def run() -> None:
        res = await service.save_async(Principal("alpha", ALL_SCOPES),
                                       _op("z", "alpha", 33.5), expected_version=None,
                                       create=True)
        assert service.get(Principal("alpha", ALL_SCOPES), "z")["version"] == \
            res.object["version"]
        with pytest.raises(RefusedError):
            await service.save_async(Principal("bravo", ALL_SCOPES), _op("z2", "bravo", 33.5),
                                     expected_version=None, create=True)

    asyncio.run(run())


def test_many_coroutines_of_one_batch_each_get_their_own_outcome(service: Service) -> None:
    """Forty coroutines on one loop (every other one refused, one cancelled while waiting):
    each gets its own answer, woken together after their batch's commit."""
    async def run() -> None:
        alpha, bravo = Principal("alpha", ALL_SCOPES), Principal("bravo", ALL_SCOPES)
        await service.save_async(alpha, _op("base", "alpha", 40.0, minutes=0),
                                 expected_version=None, create=True)

        async def one(i: int) -> str:
            # odd ones overlap alpha's "base" in space and time: refused (awareness)
            lat, minutes = (40.0, 0) if i % 2 else (41.0 + 0.05 * i, 60 * i)
            try:
                res = await service.save_async(bravo, _op(f"c{i}", "bravo", lat, minutes),
                                               expected_version=None, create=True)
            except RefusedError as err:
                return err.code
            return str(res.object["id"])

        tasks = [asyncio.ensure_future(one(i)) for i in range(40)]
        doomed = asyncio.ensure_future(one(99))
        await asyncio.sleep(0)
        doomed.cancel()
        got = await asyncio.gather(*tasks)
        assert got == [("AWARENESS_REQUIRED" if i % 2 else f"c{i}") for i in range(40)]
        assert doomed.cancelled()

    asyncio.run(run())
    assert max(service.commits.batches) > 1  # they did share batches
    assert service.verify_ledger().ok
