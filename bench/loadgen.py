"""The load generator the service benchmarks share: requests by concurrent clients on one
event loop, in a closed loop or at a fixed offered rate.

* closed loop: each client sends its next request as soon as it has the answer to the last
  (the maximum throughput; the median latency is about clients / throughput);
* fixed load: request ``j`` is due at ``j / rate`` and sent by client ``j mod clients``;
  its latency is measured from its due time, so a client still waiting for an answer does
  not hide the queueing (no coordinated omission).

A benchmark subclasses :class:`Driver` and says what one request is (:meth:`Driver.one`).
"""

from __future__ import annotations

import asyncio
import time


class Driver:
    """``clients`` concurrent clients; request numbers ``k`` are never reused."""

    def __init__(self, clients: int) -> None:
        self.clients_n = clients
        self.next = 0  # the next request number
        self.loop = asyncio.new_event_loop()  # one loop: the connections live on it
        self.reset()

    def reset(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []
        self.late = 0

    async def one(self, i: int, k: int) -> None:
        """Client ``i`` sends request number ``k`` and records its answer (:meth:`record`)."""
        raise NotImplementedError

    def record(self, status: int, text: bytes, ok: int = 201) -> None:
        """Count an answer; keep the first few that are not ``ok``."""
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status != ok and len(self.errors) < 5:
            self.errors.append(f"{status}: {text[:300].decode(errors='replace')}")

    def closed(self, count: int) -> float:
        """``count`` requests by the clients in a closed loop; the wall time."""
        self.reset()
        limit = self.next + count

        async def client(i: int) -> None:
            while self.next < limit:
                k, self.next = self.next, self.next + 1
                t = time.perf_counter()
                await self.one(i, k)
                self.latencies.append(time.perf_counter() - t)

        async def main() -> float:
            t0 = time.perf_counter()
            await asyncio.gather(*(client(i) for i in range(self.clients_n)))
            return time.perf_counter() - t0

        return self.loop.run_until_complete(main())

    def open(self, count: int, rate: float) -> float:
        """``count`` requests offered at ``rate`` per second (see the module doc); the wall
        time to the last answer."""
        self.reset()
        base, n = self.next, self.clients_n
        self.next += count

        async def client(i: int, t0: float) -> None:
            for j in range(i, count, n):
                due = t0 + j / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -0.001:
                    self.late += 1
                await self.one(i, base + j)
                self.latencies.append(time.perf_counter() - due)

        async def main() -> float:
            t0 = time.perf_counter() + 0.05
            await asyncio.gather(*(client(i, t0) for i in range(n)))
            return time.perf_counter() - t0

        return self.loop.run_until_complete(main())
