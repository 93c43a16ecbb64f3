"""Group commit: many write requests of one process decided in order, in one transaction.

Callers put a :class:`Job` (a function of the transaction and the :class:`Pending` state) in
a :class:`GroupCommit` queue and wait on its future (a thread blocks on it, a coroutine
awaits it). One writer thread takes everything queued (up to ``limit``), runs it as one
batch, and settles each job's future after the commit; so a batch is as large as what
queued up while the previous one was committed. The thread starts with the first job and
ends after a second without one (nothing is left running when a service is dropped).

Writes of a job are buffered in :class:`Pending` (ledger entries, object rows, outbox rows)
and flushed with one ``executemany`` per table at the end of the batch: a job that fails is
rewound to its :class:`Mark` and leaves no trace, its neighbours are unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from deconfliction.channel import ledger as ledger_mod
from deconfliction.store.port import ObjectKind, StoredObject
from deconfliction.store.tx import Tx

__all__ = ["GroupCommit", "Job", "Mark", "Pending"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Mark:
    """Where :class:`Pending` stood before one job."""

    seq: int
    head: str
    ledger: int
    objects: int
    messages: int
    put: int
    removed: int
    notify: frozenset[str]


class Pending:
    """What one write transaction has appended so far (buffered until :meth:`flush`)."""

    def __init__(self, seq: int, head: str | None) -> None:
        self.seq = seq
        self.head = head or ledger_mod.GENESIS_HASH
        #: objects written and removed, applied to the process's memory
        self.put: list[tuple[StoredObject, frozenset[str]]] = []
        self.removed: list[str] = []
        #: parties whose outbox got messages (woken after the commit)
        self.notify: set[str] = set()
        self.ledger: list[dict[str, Any]] = []
        self.objects: list[tuple[ObjectKind, dict[str, Any]]] = []
        self.messages: list[dict[str, Any]] = []

    def mark(self) -> Mark:
        """The state now, to :meth:`rewind` to."""
        return Mark(self.seq, self.head, len(self.ledger), len(self.objects),
                    len(self.messages), len(self.put), len(self.removed),
                    frozenset(self.notify))

    def rewind(self, mark: Mark) -> None:
        """Forget everything appended since ``mark`` (a refused job)."""
        self.seq, self.head = mark.seq, mark.head
        del self.ledger[mark.ledger:], self.objects[mark.objects:]
        del self.messages[mark.messages:], self.put[mark.put:], self.removed[mark.removed:]
        self.notify = set(mark.notify)

    def flush(self, tx: Tx) -> None:
        """Write the buffered rows: ledger entries first (in seq order), objects, messages."""
        tx.append_ledger_rows(self.ledger)
        for kind in ("zone", "operation"):
            # the last row of an id wins (an object written twice in one batch)
            rows = {r["id"]: r for k, r in self.objects if k == kind}
            tx.upsert_objects(kind, list(rows.values()))
        tx.add_messages(self.messages)
        self.ledger, self.objects, self.messages = [], [], []


class Job(Generic[T]):
    """One write request: ``fn(tx, pending)`` runs in a batch; its outcome goes to
    :attr:`future` after the batch's commit."""

    __slots__ = ("aio", "error", "fn", "future", "value")

    def __init__(self, fn: Callable[[Tx, Pending], T]) -> None:
        self.fn = fn
        self.value: T | None = None
        self.error: BaseException | None = None
        self.future: Future[T] = Future()
        #: for a coroutine waiting (:meth:`GroupCommit.run_async`): its loop and its future
        self.aio: tuple[asyncio.AbstractEventLoop, asyncio.Future[T]] | None = None

    def result(self) -> T:
        """The outcome set by the batch: the value, or the error raised."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]

    def _deliver(self, fut: Future[T] | asyncio.Future[T]) -> None:
        if self.error is not None:
            fut.set_exception(self.error)
        else:
            fut.set_result(self.value)  # type: ignore[arg-type]

    def settle(self) -> None:
        """Hand the outcome to whoever waits on :attr:`future`."""
        self._deliver(self.future)

    def settle_aio(self) -> None:
        """Hand the outcome to the waiting coroutine (on its loop's thread)."""
        assert self.aio is not None
        if not self.aio[1].done():  # done: cancelled, the caller went away
            self._deliver(self.aio[1])


def _settle_all(jobs: list[Job[Any]]) -> None:
    for job in jobs:
        job.settle_aio()


class GroupCommit:
    """A queue of jobs run in batches by ``run(batch)`` (which sets each job's outcome) on
    one writer thread, started when a job comes and ended after ``idle_s`` without one."""

    def __init__(self, run: Callable[[list[Job[Any]]], None], *, limit: int = 128,
                 idle_s: float = 1.0, name: str = "deconfliction-writer") -> None:
        self._run = run
        self.limit = limit
        self.idle_s = idle_s
        self.name = name
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Job[Any]] = queue.SimpleQueue()
        self._running = False
        #: sizes of recent batches (for tests and metrics)
        self.batches: deque[int] = deque(maxlen=1000)

    def enqueue(self, job: Job[T]) -> Future[T]:
        """Queue ``job``; its future is settled after its batch is committed."""
        with self._lock:
            self._queue.put(job)
            if not self._running:
                self._running = True
                threading.Thread(target=self._writer, name=self.name, daemon=True).start()
        return job.future

    async def run_async(self, job: Job[T]) -> T:
        """Queue ``job`` and await its outcome. The writer wakes each loop once per batch
        (one ``call_soon_threadsafe`` for all of the batch's coroutines on it), not once
        per job."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        job.aio = (loop, fut)
        self.enqueue(job)
        return await fut

    def submit(self, job: Job[T]) -> T:
        """Queue ``job`` and wait for its outcome (its value, or its error raised)."""
        return self.enqueue(job).result()

    def _writer(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_s)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            batch = [first]
            while len(batch) < self.limit:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self.batches.append(len(batch))
            try:
                self._run(batch)
            except BaseException as err:  # run() sets outcomes; this would be a bug
                for job in batch:
                    if job.error is None:
                        job.error = err
            loops: dict[asyncio.AbstractEventLoop, list[Job[Any]]] = {}
            for job in batch:
                if job.aio is None:
                    job.settle()
                else:
                    loops.setdefault(job.aio[0], []).append(job)
            for loop, jobs in loops.items():
                # a closed loop (RuntimeError): nobody is waiting any more
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle_all, jobs)
