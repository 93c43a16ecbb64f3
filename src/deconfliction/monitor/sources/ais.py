"""Raw AIS: NMEA 0183 ``!AIVDM`` / ``!AIVDO`` sentences decoded with ``pyais``.

Position reports (message types 1, 2, 3, 18, 19 and 27; multi-part messages are assembled)
become reports with ``track`` = the MMSI, ``speed_mps`` = SOG (knots × 1852/3600),
``heading_deg`` = COG, or the true heading when COG is not available, and ``alt_m`` = 0:
vessels are taken to be at sea level, i.e. on the ellipsoid. (Mean sea level lies within
about ±100 m of the ellipsoid, +20 m around At Tanf; pass ``alt_m`` to use another height.)

Time: a tag block's receiver timestamp (``\\c:1714564800*hh\\!AIVDM,...``, seconds or
milliseconds) or a receiver timestamp after the checksum (``!AIVDM,...*hh,1714564800``) when
the sentence has one, else ``base_time_s``; without either, ``AIS_NO_TIME`` is raised.

Skipped and counted in ``stats.skipped``: other message types (``AIS_NOT_POSITION``),
positions flagged as not available, lat 91 / lon 181 (``AIS_NO_POSITION``), messages
``pyais`` cannot decode or whose checksum fails (``AIS_UNDECODABLE``) and lines that are
not NMEA (``AIS_NOT_NMEA``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from functools import reduce
from pathlib import Path

import numpy as np

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.sources.options import KT_MPS, ReadStats

__all__ = ["read_ais"]

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
_TRAILING_TIME = re.compile(rb"^(![A-Z]{2}VD[MO],.*\*[0-9A-Fa-f]{2}),(\d+(?:\.\d+)?)\s*$")


def _tagged(line: bytes, stats: ReadStats | None) -> bytes | None:
    """The line with a trailing receiver time moved into a tag block; None if not NMEA."""
    line = line.strip()
    if not line.startswith((b"!", b"\\")):
        if line and stats is not None:
            stats.skipped["AIS_NOT_NMEA"] += 1
        return None
    m = _TRAILING_TIME.match(line)
    if m is None:
        return line
    body = b"c:%d" % int(float(m.group(2)))
    checksum = reduce(lambda a, b: a ^ b, body, 0)
    return b"\\%s*%02X\\%s" % (body, checksum, m.group(1))


def _knots(v: object, unavailable: float) -> float:
    if not isinstance(v, int | float) or v >= unavailable:
        return math.nan
    return float(v) * KT_MPS


def _course(msg: object) -> float:
    course = getattr(msg, "course", None)
    limit = 511.0 if getattr(msg, "msg_type", 0) == 27 else 360.0
    if isinstance(course, int | float) and 0 <= course < limit and course < 360:
        return float(course)
    heading = getattr(msg, "heading", None)
    if isinstance(heading, int | float) and 0 <= heading < 360:
        return float(heading)
    return math.nan


def read_ais(source: str | Path | Iterable[bytes] | Iterable[str], *,
             base_time_s: float | None = None, party: str = "", alt_m: float = 0.0,
             chunk_size: int = 65_536, stats: ReadStats | None = None) -> Iterator[TrackBatch]:
    """Chunks of position reports from AIS sentences (a file path or an iterable of lines)."""
    from pyais.stream import IterMessages

    if isinstance(source, str | Path):
        with open(source, "rb") as f:
            yield from read_ais(f, base_time_s=base_time_s, party=party, alt_m=alt_m,
                                chunk_size=chunk_size, stats=stats)
        return
    lines = (x.encode() if isinstance(x, str) else x for x in source)
    tagged = (t for t in (_tagged(x, stats) for x in lines) if t is not None)
    cols: dict[str, list[float]] = {k: [] for k in ("t_s", "lat", "lon", "speed", "heading")}
    tracks: list[str] = []

    def skip(code: str) -> None:
        if stats is not None:
            stats.skipped[code] += 1

    for nmea in IterMessages(tagged):
        if stats is not None:
            stats.rows += 1
        try:
            if not nmea.is_valid:
                raise ValueError("checksum")
            msg = nmea.decode()
        except Exception:  # pyais raises many kinds for garbled payloads
            skip("AIS_UNDECODABLE")
            continue
        if msg.msg_type not in POSITION_TYPES:
            skip("AIS_NOT_POSITION")
            continue
        lat, lon = getattr(msg, "lat", None), getattr(msg, "lon", None)
        if not isinstance(lat, int | float) or not isinstance(lon, int | float) \
                or not (abs(lat) <= 90 and abs(lon) <= 180):
            skip("AIS_NO_POSITION")
            continue
        t = base_time_s
        if nmea.tag_block is not None:
            nmea.tag_block.init()
            ts = nmea.tag_block.receiver_timestamp
            if ts:
                t = float(ts) / 1000.0 if float(ts) > 1e11 else float(ts)
        if t is None:
            raise ValidationError("AIS_NO_TIME", "a sentence has no receiver time; give "
                                  "base_time_s", "base_time_s")
        tracks.append(str(msg.mmsi))
        cols["t_s"].append(t)
        cols["lat"].append(float(lat))
        cols["lon"].append(float(lon))
        cols["speed"].append(_knots(getattr(msg, "speed", None),
                                    63.0 if msg.msg_type == 27 else 102.3))
        cols["heading"].append(_course(msg))
        if len(tracks) >= chunk_size:
            yield _batch(tracks, cols, party, alt_m, stats)
            tracks, cols = [], {k: [] for k in cols}
    if tracks:
        yield _batch(tracks, cols, party, alt_m, stats)


def _batch(tracks: list[str], cols: dict[str, list[float]], party: str, alt_m: float,
           stats: ReadStats | None) -> TrackBatch:
    n = len(tracks)
    if stats is not None:
        stats.reports += n
    return TrackBatch.of(track=tracks, party=[party] * n, t_s=cols["t_s"], lat=cols["lat"],
                         lon=cols["lon"], alt_m=np.full(n, alt_m), speed_mps=cols["speed"],
                         heading_deg=cols["heading"])
