"""Shared fixtures of the event tests: objects, straight tracks by GeographicLib, batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from pyproj import Geod

from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Outline
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.events import Event

GEOD = Geod(ellps="WGS84")
T0 = datetime(2018, 9, 10, tzinfo=UTC).timestamp()
AT_TANF = (33.50583, 38.61778)


def when(start_s: float | None = None, end_s: float | None = None) -> TimeInterval:
    """A window from ``T0 + start_s`` to ``T0 + end_s`` (``None``: open)."""
    f = lambda s: None if s is None else datetime.fromtimestamp(T0 + s, UTC)  # noqa: E731
    return TimeInterval(f(start_s), f(end_s))


def zone(id: str, outline: Outline, *, owner: str = "coalition", allowed: Sequence[str] = (),
         lo: float = 0.0, hi: float = 20_000.0, start_s: float | None = None,
         end_s: float | None = None, buffer_m: float = 0.0) -> Zone:
    return Zone(id=id, name=id, owner=owner, allowed=frozenset(allowed), buffer_m=buffer_m,
                volumes=(Volume4D(outline, lo, hi, when(start_s, end_s)),))


def operation(id: str, outline: Outline, *, owner: str = "coalition",
              participants: Sequence[str] = (), lo: float = 0.0, hi: float = 6_000.0,
              start_s: float | None = None, end_s: float | None = None,
              state: OperationState = OperationState.ACTIVE) -> Operation:
    return Operation(id=id, name=id, owner=owner, participants=frozenset(participants),
                     state=state, volumes=(Volume4D(outline, lo, hi, when(start_s, end_s)),))


AT_TANF_ZONE = zone("at-tanf", Circle(*AT_TANF, 55_000.0), allowed=["mat"])


def straight(lat: float, lon: float, az: float, speed: float, times: Sequence[float],
             ) -> tuple[np.ndarray, np.ndarray]:
    """Positions at ``times`` (seconds from the start) on the geodesic from (lat, lon)."""
    t = np.asarray(times, dtype=float)
    x, y, _ = GEOD.fwd(np.full(t.size, lon), np.full(t.size, lat), np.full(t.size, az),
                       speed * t)
    return np.asarray(y), np.asarray(x)


def batch(track: str | Sequence[str], t: Sequence[float], lat: Sequence[float],
          lon: Sequence[float], *, party: str | Sequence[str] = "russia",
          alt: float | Sequence[float] = 3_000.0, speed: object = None,
          heading: object = None, operation: str | Sequence[str] = "") -> TrackBatch:
    n = len(t)

    def many(v: object) -> object:
        return [v] * n if isinstance(v, str) else v

    return TrackBatch.of(track=many(track), party=many(party), t_s=T0 + np.asarray(t),
                         lat=lat, lon=lon, alt_m=np.broadcast_to(alt, (n,)),
                         speed_mps=None if speed is None else np.broadcast_to(speed, (n,)),
                         heading_deg=None if heading is None else np.broadcast_to(heading, (n,)),
                         operation=many(operation))


def kinds(events: Sequence[Event]) -> list[tuple[str, str | None]]:
    return [(e.kind, e.object_id) for e in events]


def hot_spot(rng: np.random.Generator, n: int, sigma_deg: float, fast_share: float,
             fast: tuple[float, float], slow: tuple[float, float],
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` random tracks around At Tanf (normal, ``sigma_deg``): ``(lat, lon, speed,
    heading)``, a ``fast_share`` of them with a speed uniform in ``fast``, the rest in
    ``slow``."""
    lat = AT_TANF[0] + rng.normal(0.0, sigma_deg, n)
    lon = AT_TANF[1] + rng.normal(0.0, sigma_deg, n)
    speed = np.where(rng.random(n) < fast_share, rng.uniform(*fast, n), rng.uniform(*slow, n))
    return lat, lon, speed, rng.uniform(0.0, 360.0, n)
