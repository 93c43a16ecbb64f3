"""Replaying recorded tracks against stored zones and operations: events, a summary, a map.

:func:`replay` feeds every batch of a source through a :class:`~deconfliction.monitor.Monitor`
and collects what it raises; :func:`summarise` counts alerts by kind, object and party;
:func:`plot` draws the tracks, the outlines and the alert points on a map image, with country
borders when the `world-atlas` data of the web map is at hand.

>>> from deconfliction.monitor.simulate import attanf_objects, attanf_tracks
>>> result = replay(attanf_objects(), attanf_tracks())
>>> result.reports, sorted(summarise(result.alerts)["by_kind"].items())
(324, [('enter', 1), ('nonconforming', 1), ('predicted', 1), ('proximity', 2)])
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deconfliction.core.geodesy import forward
from deconfliction.core.objects import Operation, Zone
from deconfliction.core.outline import Circle, Corridor, Polygon
from deconfliction.monitor.alerting import alerts as alerts_of
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import Event, MonitorConfig

__all__ = ["ReplayResult", "plot", "replay", "summarise", "world_borders"]


@dataclass(slots=True)
class ReplayResult:
    """What a replay saw and raised."""

    reports: int = 0
    events: list[Event] = field(default_factory=list)
    alerts: list[Event] = field(default_factory=list)
    tracks: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def replay(
    objects: Iterable[Zone | Operation],
    batches: Iterable[TrackBatch],
    *,
    config: MonitorConfig | None = None,
    keep_tracks: bool = True,
    progress: Callable[[int], None] | None = None,
    slice_s: float = 10.0,
) -> ReplayResult:
    """Every batch through one monitor, in time slices of ``slice_s`` seconds (as a live feed
    would deliver them: proximity and staleness are judged at each slice's end), flushing
    after each. A file should be in time order: a report older than its track's last one is
    ignored, as live."""
    monitor = Monitor(objects, config or MonitorConfig())
    out = ReplayResult()
    for batch in batches:
        if len(batch) == 0:
            continue
        order = np.argsort(batch.t_s, kind="stable")
        t = batch.t_s[order]
        edges = np.flatnonzero(np.diff(np.floor((t - t[0]) / slice_s))) + 1
        for part in np.split(order, edges):
            piece = batch.take(part)
            events = monitor.ingest(piece)
            events += monitor.flush(float(np.max(piece.t_s)))
            out.events += events
        out.reports += len(batch)
        if keep_tracks:
            for t, lat, lon in zip(batch.track.tolist(), batch.lat.tolist(), batch.lon.tolist(),
                                   strict=True):
                out.tracks.setdefault(str(t), []).append((lat, lon))
        if progress is not None:
            progress(len(batch))
    out.alerts = alerts_of(out.events)
    return out


def summarise(alerts: Iterable[Event]) -> dict[str, dict[str, int]]:
    """Alerts counted by kind, by zone or operation, and by party (the track's)."""
    by_kind: Counter[str] = Counter()
    by_object: Counter[str] = Counter()
    by_party: Counter[str] = Counter()
    for e in alerts:
        by_kind[e.kind] += 1
        by_object[e.object_id or f"track {e.other_track}"] += 1
        by_party[e.party or "(unknown)"] += 1
    return {"by_kind": dict(by_kind), "by_object": dict(by_object), "by_party": dict(by_party)}


def _outline_points(outline: Any) -> list[list[tuple[float, float]]]:
    """Rings of (lat, lon) to draw (circles and corridors sampled along geodesics)."""
    if isinstance(outline, Circle):
        az = np.linspace(0.0, 360.0, 181)
        lat, lon, _ = forward(np.full(az.size, outline.lat), np.full(az.size, outline.lon),
                              az, np.full(az.size, outline.radius_m))
        return [list(zip(np.asarray(lat).tolist(), np.asarray(lon).tolist(), strict=True))]
    if isinstance(outline, Polygon):
        rings = [outline.exterior, *outline.holes]
        return [[*r, r[0]] for r in rings]
    if isinstance(outline, Corridor):
        return [list(outline.path)]
    return []


def world_borders(path: Path) -> list[list[tuple[float, float]]]:
    """Country borders as (lat, lon) polylines from a `world-atlas` TopoJSON file."""
    topo = json.loads(path.read_text())
    scale = topo.get("transform", {}).get("scale", [1.0, 1.0])
    translate = topo.get("transform", {}).get("translate", [0.0, 0.0])
    lines = []
    for arc in topo["arcs"]:
        x = y = 0.0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((y * scale[1] + translate[1], x * scale[0] + translate[0]))
        lines.append(pts)
    return lines


def plot(result: ReplayResult, objects: Iterable[Zone | Operation], out: Path, *,
         borders: Path | None = None, title: str = "") -> None:
    """Draw tracks, outlines and alert points into a PNG at ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 8), dpi=100)
    lats: list[float] = []
    lons: list[float] = []
    for pts in result.tracks.values():
        lats += [p[0] for p in pts]
        lons += [p[1] for p in pts]
    for obj in objects:
        colour = "tab:red" if isinstance(obj, Zone) else "tab:blue"
        for vol in obj.volumes:
            for ring in _outline_points(vol.outline):
                ax.plot([p[1] for p in ring], [p[0] for p in ring], color=colour, lw=1)
                lats += [p[0] for p in ring]
                lons += [p[1] for p in ring]
    for track, pts in result.tracks.items():
        ax.plot([p[1] for p in pts], [p[0] for p in pts], lw=0.8, label=track)
    marks = {"enter": "o", "exit": "s", "predicted": "^", "nonconforming": "x",
             "proximity": "*", "inside": ".", "stale": "v"}
    for kind, marker in marks.items():
        pts2 = [(e.lat, e.lon) for e in result.alerts if e.kind == kind]
        if pts2:
            ax.scatter([p[1] for p in pts2], [p[0] for p in pts2], marker=marker, s=60,
                       color="black", zorder=5, label=f"{kind} ({len(pts2)})")
    if lats:
        pad = 0.3
        ax.set_xlim(min(lons) - pad, max(lons) + pad)
        ax.set_ylim(min(lats) - pad, max(lats) + pad)
    if borders is not None and borders.exists():
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        for line in world_borders(borders):
            ax.plot([p[1] for p in line], [p[0] for p in line], color="0.6", lw=0.6, zorder=0)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
    mid = math.radians(sum(lats) / len(lats)) if lats else 0.0
    ax.set_aspect(1.0 / max(0.1, math.cos(mid)))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title(title or f"{result.reports} reports, {len(result.alerts)} alerts")
    ax.legend(loc="best", fontsize=7)
    fig.savefig(out)
    plt.close(fig)
