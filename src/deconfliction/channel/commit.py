"""Group commit: many write requests of one process decided in order, in one transaction.

Callers put a :class:`Job` (a function of the transaction and the :class:`Pending` state) in
a :class:`GroupCommit` queue and wait. No thread of its own: the first caller to find no
batch running becomes the leader, takes everything queued (up to ``limit``), runs it as one
batch and, when more arrived meanwhile, hands the lead to the oldest waiting caller. So
every caller's answer comes right after the commit of its batch, and a batch is as large as
what queued up while the previous one was committed.

Writes of a job are buffered in :class:`Pending` (ledger entries, object rows, outbox rows)
and flushed with one ``executemany`` per table at the end of the batch: a job that fails is
rewound to its :class:`Mark` and leaves no trace, its neighbours are unaffected.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
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
    """One write request: ``fn(tx, pending)`` runs in a batch; :meth:`result` waits."""

    __slots__ = ("error", "fn", "lead", "value", "wake")

    def __init__(self, fn: Callable[[Tx, Pending], T]) -> None:
        self.fn = fn
        self.value: T | None = None
        self.error: BaseException | None = None
        self.lead = False
        self.wake = threading.Event()

    def result(self) -> T:
        """The job's value, or its error raised."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """A queue of jobs run in batches by ``run(batch)`` (which sets each job's outcome)."""

    def __init__(self, run: Callable[[list[Job[Any]]], None], *, limit: int = 128) -> None:
        self._run = run
        self.limit = limit
        self._lock = threading.Lock()
        self._queue: deque[Job[Any]] = deque()
        self._leading = False
        #: sizes of recent batches (for tests and metrics)
        self.batches: deque[int] = deque(maxlen=1000)

    def submit(self, job: Job[T]) -> T:
        """Queue ``job``, wait until its batch is committed (leading it if no one does)."""
        with self._lock:
            self._queue.append(job)
            lead = not self._leading
            self._leading = True
        if not lead:
            job.wake.wait()
            if not job.lead:
                return job.result()
        self._lead()
        return job.result()

    def _lead(self) -> None:
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(self.limit, len(self._queue)))]
        try:
            self.batches.append(len(batch))
            self._run(batch)
        except BaseException as err:  # run() sets outcomes; this is a bug or an interrupt
            for job in batch:
                if job.error is None:
                    job.error = err
            raise
        finally:
            for job in batch:
                job.lead = False
                job.wake.set()
            with self._lock:
                if self._queue:
                    nxt = self._queue[0]
                    nxt.lead = True
                    nxt.wake.set()
                else:
                    self._leading = False
