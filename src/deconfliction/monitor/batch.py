"""A batch of position reports from tracks: what every source produces and the monitor reads.

Columns, one entry per report (SI units, UTC):

* ``track``: track id (``str``: an ICAO 24-bit address, an MMSI, a callsign, a unit id);
* ``party``: the party the track belongs to (``""`` when unknown);
* ``t_s``: epoch seconds; ``lat``, ``lon``: degrees; ``alt_m``: metres above the WGS84
  ellipsoid (``nan`` when unknown: such a report meets every altitude band);
* ``speed_mps``: ground speed in m/s, ``heading_deg``: true course over ground in degrees
  (``nan`` when unknown);
* ``operation``: the operation the track is declared part of (``""`` for none).

>>> b = TrackBatch.of(track=["rf01"], party=["russia"], t_s=[1.5e9], lat=[33.3], lon=[38.6])
>>> len(b), float(b.alt_m[0]), b.operation[0]
(1, nan, '')
>>> TrackBatch.of(track=["a", "b"], party=["x"], t_s=[0, 1], lat=[0, 0], lon=[0, 0])
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: party: 1 values for 2 reports
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deconfliction.core.errors import ValidationError

__all__ = ["TrackBatch"]

FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.object_]


def _floats(values: object, n: int, name: str) -> FloatArray:
    if values is None:
        return np.full(n, np.nan)
    try:
        a = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValidationError("BAD_REPORTS", f"{name} must be numbers", name) from None
    if a.size != n:
        raise ValidationError("BAD_REPORTS", f"{a.size} values for {n} reports", name)
    return a


def _strs(values: Sequence[str] | StrArray | None, n: int, name: str) -> StrArray:
    if values is None:
        return np.full(n, "", dtype=object)
    a = np.asarray(values, dtype=object).reshape(-1)
    if a.size != n:
        raise ValidationError("BAD_REPORTS", f"{a.size} values for {n} reports", name)
    return a


@dataclass(frozen=True, slots=True)
class TrackBatch:
    """Position reports as columns (see the module doc)."""

    track: StrArray
    party: StrArray
    t_s: FloatArray
    lat: FloatArray
    lon: FloatArray
    alt_m: FloatArray
    speed_mps: FloatArray
    heading_deg: FloatArray
    operation: StrArray

    def __len__(self) -> int:
        return int(self.t_s.size)

    @classmethod
    def of(
        cls,
        *,
        track: Sequence[str] | StrArray,
        t_s: object,
        lat: object,
        lon: object,
        party: Sequence[str] | StrArray | None = None,
        alt_m: object = None,
        speed_mps: object = None,
        heading_deg: object = None,
        operation: Sequence[str] | StrArray | None = None,
    ) -> TrackBatch:
        """A batch from columns (lists or arrays); missing optional columns are unknown."""
        tracks = np.asarray(track, dtype=object).reshape(-1)
        n = int(tracks.size)
        return cls(
            track=tracks,
            party=_strs(party, n, "party"),
            t_s=_floats(t_s, n, "t_s"),
            lat=_floats(lat, n, "lat"),
            lon=_floats(lon, n, "lon"),
            alt_m=_floats(alt_m, n, "alt_m"),
            speed_mps=_floats(speed_mps, n, "speed_mps"),
            heading_deg=_floats(heading_deg, n, "heading_deg"),
            operation=_strs(operation, n, "operation"),
        )

    def take(self, idx: npt.NDArray[np.intp]) -> TrackBatch:
        """The reports at ``idx``, in that order."""
        return TrackBatch(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    @classmethod
    def concat(cls, batches: Sequence[TrackBatch]) -> TrackBatch:
        """One batch of all ``batches``' reports, in order."""
        if not batches:
            return cls.of(track=[], t_s=[], lat=[], lon=[])
        return cls(*(np.concatenate([getattr(b, f) for b in batches])
                     for f in cls.__dataclass_fields__))
