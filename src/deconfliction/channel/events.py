"""Wake-ups for live readers: a per-party counter that waiters block on.

The outbox in the store is the truth; this only tells a waiting reader (an SSE stream, the
webhook deliverer) that there may be something new, so that nothing polls in a tight loop.
Thread-safe: writers call :meth:`Wakeups.notify` from worker threads.

>>> w = Wakeups()
>>> n = w.generation("russia")
>>> w.notify(["russia"])
>>> w.wait("russia", n, timeout_s=0.01)
True
>>> w.wait("coalition", w.generation("coalition"), timeout_s=0.01)
False
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

__all__ = ["ANY", "Wakeups"]

#: the key notified on every change (for readers that follow everyone)
ANY = "*"


class Wakeups:
    """A generation number per key, bumped by :meth:`notify`."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._gen: dict[str, int] = {}

    def generation(self, key: str) -> int:
        """The current generation of ``key``."""
        with self._cond:
            return self._gen.get(key, 0)

    def notify(self, keys: Iterable[str]) -> None:
        """Bump ``keys`` (and :data:`ANY`) and wake every waiter."""
        with self._cond:
            for k in {*keys, ANY}:
                self._gen[k] = self._gen.get(k, 0) + 1
            self._cond.notify_all()

    def wait(self, key: str, seen: int, timeout_s: float) -> bool:
        """Block until ``key`` moves past generation ``seen`` or the timeout; whether it moved."""
        with self._cond:
            return self._cond.wait_for(lambda: self._gen.get(key, 0) != seen, timeout_s)
