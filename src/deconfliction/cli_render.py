"""How the command line shows zones, operations and conflicts (rich tables, plain text)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.table import Table

from deconfliction.core.conflict import Conflict
from deconfliction.core.objects import Operation, Zone
from deconfliction.core.outline import Circle, Corridor, Outline
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

__all__ = ["conflict_table", "object_table", "outline_text", "volume_table", "window_text"]


def _time(t: datetime | None, open_end: str) -> str:
    if t is None:
        return open_end
    return t.strftime("%Y-%m-%dT%H:%M" + (":%S" if t.second or t.microsecond else "") + "Z")


def window_text(window: TimeInterval) -> str:
    """``2018-09-07T00:00Z → 2018-09-15T00:00Z`` (``…`` for an open end)."""
    return f"{_time(window.start, '…')} → {_time(window.end, '…')}"


def _short(version: str) -> str:
    return version[:8] + "…" if len(version) > 9 else version


def outline_text(outline: Outline) -> str:
    """A short description of an outline."""
    if isinstance(outline, Circle):
        return f"circle {outline.radius_m:,.0f} m around {outline.lat:.5f}, {outline.lon:.5f}"
    if isinstance(outline, Corridor):
        return f"corridor of {len(outline.path)} points, ±{outline.half_width_m:,.0f} m"
    holes = f", {len(outline.holes)} hole(s)" if outline.holes else ""
    return f"polygon of {len(outline.exterior)} vertices{holes}"


def _band(lower_m: float, upper_m: float) -> str:
    return f"{lower_m:,.0f}–{upper_m:,.0f} m"


def object_table(objects: Iterable[Zone | Operation], title: str) -> Table:
    """One row per zone or per operation (the columns follow the first object's kind)."""
    objs = list(objects)
    zones = not objs or isinstance(objs[0], Zone)
    table = Table(title=title)
    cols = ("allowed", "severity") if zones else ("participants", "kind", "state", "priority")
    table.add_column("id", no_wrap=True)
    for col in ("name", "owner", *cols, "buffer m", "volumes", "validity", "version"):
        table.add_column(col, overflow="fold")
    for obj in objs:
        if isinstance(obj, Zone):
            own = [", ".join(sorted(obj.allowed)), obj.severity]
        else:
            own = [", ".join(sorted(obj.participants)), obj.kind, obj.state.value,
                   str(obj.priority)]
        table.add_row(
            obj.id, obj.name, obj.owner, *own, f"{obj.buffer_m:,.0f}", str(len(obj.volumes)),
            window_text(obj.validity), _short(obj.version),
        )
    return table


def volume_table(volumes: Iterable[Volume4D]) -> Table:
    """One row per volume."""
    table = Table()
    for col in ("#", "outline", "altitude", "time"):
        table.add_column(col, overflow="fold")
    for i, v in enumerate(volumes):
        table.add_row(
            str(i), outline_text(v.outline), _band(v.alt_lower_m, v.alt_upper_m),
            window_text(v.time),
        )
    return table


_KIND = {"zone": "zone", "operation": "op"}


def conflict_table(conflicts: Iterable[Conflict], title: str = "conflicts") -> Table:
    """One row per conflicting pair of volumes."""
    table = Table(title=title)
    for col in ("a", "b", "reason", "parties", "time window", "alt band", "separation m",
                "witness lat, lon"):
        table.add_column(col, overflow="fold")
    for c in conflicts:
        table.add_row(
            f"{c.a_id} #{c.a_volume} ({_KIND[c.a_kind]})",
            f"{c.b_id} #{c.b_volume} ({_KIND[c.b_kind]})",
            c.reason,
            ", ".join(c.parties),
            window_text(c.time),
            _band(c.alt_lower_m, c.alt_upper_m),
            f"{c.separation_m:,.1f}",
            f"{c.witness[0]:.5f}, {c.witness[1]:.5f}",
        )
    return table
