"""A coarse time index of stored rows: which rows may be live in a window, by hour.

The box tree finds what is near in space, whatever the time. Where many objects share one
small area, each in its own slot of time (sorties booked back to back over one airfield), the
tree finds all of them and the time filter drops nearly all. :class:`TimeBuckets` answers the
other way round: the rows whose windows may meet a query window, by fixed buckets of
``bucket_s`` seconds. A row spanning more than ``max_span`` buckets (or open-ended) is
*wide*: it is returned for every query. The answer is a superset (whole buckets, rows that
were since removed, a row once per bucket it spans); the caller filters it exactly.

>>> tb = TimeBuckets(bucket_s=3600.0, max_span=4)
>>> tb.add(0, 0.0, 1800.0)            # bucket 0
>>> tb.add(1, 3600.0, 9000.0)         # buckets 1 and 2
>>> tb.add(2, 0.0, float("inf"))      # wide
>>> sorted(tb.rows(3700.0, 3800.0, limit=10).tolist())
[1, 2]
>>> sorted(tb.rows(0.0, 100.0, limit=10).tolist())
[0, 2]
>>> tb.rows(0.0, 10 * 3600.0, limit=10) is None   # the window spans too many buckets
True
>>> tb.rows(0.0, 100.0, limit=1) is None          # more rows than the caller wants
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = ["TimeBuckets"]


class TimeBuckets:
    """Rows by the fixed time buckets their windows ``[t0, t1)`` (epoch seconds) touch."""

    def __init__(self, *, bucket_s: float = 3600.0, max_span: int = 48) -> None:
        self.bucket_s = bucket_s
        self.max_span = max_span
        self._buckets: dict[int, list[int]] = {}
        self._wide: list[int] = []
        self._clean: dict[int | None, int] = {}  # list sizes when last compacted

    def _span(self, t0: float, t1: float) -> range | None:
        """The buckets ``[t0, t1)`` touches, or None when unbounded or too many."""
        if not (math.isfinite(t0) and math.isfinite(t1)):
            return None
        b0, b1 = math.floor(t0 / self.bucket_s), math.floor(t1 / self.bucket_s)
        if b1 - b0 >= self.max_span:
            return None
        return range(b0, b1 + 1)  # the bucket of t1 too: a superset is safe

    def add(self, row: int, t0: float, t1: float) -> None:
        """Index ``row``, live in ``[t0, t1)``."""
        span = self._span(t0, t1)
        if span is None:
            self._wide.append(row)
            return
        for b in span:
            self._buckets.setdefault(b, []).append(row)

    def rows(self, t0: float, t1: float, *, limit: int,
             live: Callable[[list[int]], list[int]] | None = None) -> npt.NDArray[np.intp] | None:
        """Rows that may be live in ``[t0, t1)`` (a superset, perhaps with repeats), or
        ``None`` when the window spans too many buckets or more than ``limit`` rows would
        come back: then the caller had better search another way.

        ``live``, when given, is used to drop removed rows from a bucket that is mostly
        dead (it gets the bucket's rows and returns those to keep), so that buckets of
        often-replaced objects do not grow without end."""
        span = self._span(t0, t1)
        if span is None:
            return None
        wide = self._wide
        if live is not None:
            self._compact(None, wide, live)
        count = len(wide)
        if count > limit:
            return None
        found: list[int] = []
        buckets = self._buckets
        for b in span:
            lst = buckets.get(b)
            if lst:
                if live is not None:
                    self._compact(b, lst, live)
                count += len(lst)
                if count > limit:
                    return None
                found.extend(lst)
        found.extend(wide)
        return np.array(found, dtype=np.intp)


    def _compact(self, key: int | None, rows: list[int],
                 live: Callable[[list[int]], list[int]]) -> None:
        """Drop removed rows from a list, in place, each time it has doubled since it was
        last looked at (so the work is paid for by the additions)."""
        if len(rows) >= max(64, 2 * self._clean.get(key, 0)):
            kept = live(rows)
            if len(kept) < len(rows):
                rows[:] = kept
            self._clean[key] = len(rows)
