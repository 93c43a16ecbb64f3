"""Rows of the ``zones`` and ``operations`` tables, computed from objects (no I/O).

Shared by every SQL adapter. Besides the canonical JSON ``body``
(:mod:`deconfliction.formats.native`) a row holds columns for coarse filters: a lat/lon box
and the validity in epoch seconds.

The box is conservative: it holds every point within ``buffer_m`` of every outline (the
bound of :func:`deconfliction.core.bounds.bbox_of`; a circle is grown by its geodesic
radius). It never wraps: an object across the antimeridian gets the full band of
longitudes, ``[-180, 180]``. Open ends of the validity are ``NULL``.

>>> from datetime import datetime, timezone
>>> from deconfliction.core.objects import Zone
>>> from deconfliction.core.outline import Circle
>>> from deconfliction.core.timeinterval import TimeInterval
>>> from deconfliction.core.volume import Volume4D
>>> zone = Zone(id="z", name="", owner="coalition", volumes=(Volume4D(
...     Circle(33.50583, 38.61778, 55_000.0), 0.0, 20_000.0,
...     TimeInterval(datetime(2016, 3, 3, tzinfo=timezone.utc), None)),))
>>> r = row_of(zone, datetime(2018, 9, 1, tzinfo=timezone.utc))
>>> round(r["min_lat"], 3), round(r["max_lat"], 3), r["time_start_s"], r["time_end_s"]
(33.008, 34.003, 1456963200.0, None)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deconfliction.core.bounds import bbox_of
from deconfliction.core.objects import Operation, Zone
from deconfliction.formats.native import object_to_dict

__all__ = ["bbox_row", "row_of"]


def bbox_row(obj: Zone | Operation) -> dict[str, float]:
    """``min_lat``, ``min_lon``, ``max_lat``, ``max_lon`` holding ``obj`` and its buffer."""
    parts = [p for v in obj.volumes for p in bbox_of(v.outline, obj.buffer_m).parts()]
    return {
        "min_lon": min(p[0] for p in parts),
        "min_lat": min(p[1] for p in parts),
        "max_lon": max(p[2] for p in parts),
        "max_lat": max(p[3] for p in parts),
    }


def row_of(obj: Zone | Operation, updated_at: datetime) -> dict[str, Any]:
    """The full row for ``obj`` (``state`` only for operations)."""
    validity = obj.validity
    row: dict[str, Any] = {
        "id": obj.id,
        "owner": obj.owner,
        "version": obj.version,
        "updated_at": updated_at.isoformat(),
        "body": object_to_dict(obj),
        **bbox_row(obj),
        "time_start_s": None if validity.start is None else validity.start_s,
        "time_end_s": None if validity.end is None else validity.end_s,
    }
    if isinstance(obj, Operation):
        row["state"] = obj.state.value
    return row
