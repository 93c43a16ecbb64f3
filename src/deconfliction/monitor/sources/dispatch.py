"""Pick the reader for a file by its format or extension."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.sources.ais import read_ais
from deconfliction.monitor.sources.files import read_csv, read_jsonl, read_parquet
from deconfliction.monitor.sources.options import ReadOptions, ReadStats

__all__ = ["FORMATS", "detect_format", "read_file"]

Format = Literal["csv", "jsonl", "parquet", "ais"]
FORMATS: dict[str, Format] = {
    ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet", ".nmea": "ais", ".ais": "ais",
}


def detect_format(path: str | Path) -> Format:
    """The format of ``path`` from its extension; ``UNKNOWN_FORMAT`` if none fits.

    >>> detect_format("states_2024-05-01.csv"), detect_format("feed.nmea")
    ('csv', 'ais')
    """
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise ValidationError("UNKNOWN_FORMAT", f"cannot tell the format of {str(path)!r} "
                              f"(extensions: {known}); name it", "format")
    return fmt


def read_file(path: str | Path, fmt: Format | None = None, options: ReadOptions | None = None,
              stats: ReadStats | None = None, *,
              base_time_s: float | None = None) -> Iterator[TrackBatch]:
    """Chunks of the reports in ``path`` (format from the extension unless given).

    For AIS, ``options`` gives ``chunk_size`` and ``party``; ``base_time_s`` is the time of
    sentences without a receiver time.
    """
    options = options or ReadOptions()
    fmt = fmt or detect_format(path)
    if fmt == "csv":
        return read_csv(path, options, stats)
    if fmt == "jsonl":
        return read_jsonl(path, options, stats)
    if fmt == "parquet":
        return read_parquet(path, options, stats)
    return read_ais(path, base_time_s=base_time_s, party=options.party,
                    chunk_size=options.chunk_size, stats=stats)
