"""File readers: CSV, JSON lines and Parquet, streamed in chunks of ``chunk_size`` reports.

Each reader yields :class:`~deconfliction.monitor.batch.TrackBatch` chunks and holds one
chunk of raw values at a time, so memory stays flat however big the file. Column names,
units and the altitude datum: :mod:`deconfliction.monitor.sources.options`. A bad row raises
:class:`~deconfliction.monitor.sources.options.RowError` naming its line (CSV, JSON lines) or
row (Parquet, 1-based) and column, with a stable code; with ``skip_bad=True`` it is dropped
and counted in ``stats.skipped`` by code instead.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.sources.convert import Column, build_batch
from deconfliction.monitor.sources.options import (
    KNOWN_NAMES,
    Plan,
    ReadOptions,
    ReadStats,
    RowError,
    resolve,
)

__all__ = ["read_csv", "read_jsonl", "read_parquet"]

Source = str | Path | IO[str]
_DEFAULT = ReadOptions()


def _open_text(source: Source) -> IO[str]:
    if isinstance(source, str | Path):
        return open(source, encoding="utf-8-sig", newline="")
    return source


def read_csv(source: Source, options: ReadOptions = _DEFAULT,
             stats: ReadStats | None = None) -> Iterator[TrackBatch]:
    """Chunks of the reports in a CSV file (header row first; comma-separated)."""
    f = _open_text(source)
    try:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        if not header:
            return
        plan = resolve(header, options)
        idx = [header.index(c) for c in plan.columns]
        width = len(header)
        cols: list[list[str]] = [[] for _ in idx]
        lines: list[int] = []
        for row in reader:
            if not row:
                continue
            if len(row) != width:
                err = RowError("BAD_ROW", f"{len(row)} fields, the header has {width}", "*",
                               reader.line_num)
                if not options.skip_bad:
                    raise err
                if stats is not None:
                    stats.rows += 1
                    stats.skipped[err.code] += 1
                continue
            for c, i in zip(cols, idx, strict=True):
                c.append(row[i])
            lines.append(reader.line_num)
            if len(lines) >= options.chunk_size:
                yield _chunk(plan, cols, lines, options, stats)
                cols, lines = [[] for _ in idx], []
        if lines:
            yield _chunk(plan, cols, lines, options, stats)
    finally:
        if f is not source:
            f.close()


def _chunk(plan: Plan, cols: list[list[str]] | list[list[object]], lines: list[int],
           options: ReadOptions, stats: ReadStats | None, where: str = "line") -> TrackBatch:
    named: dict[str, Column] = dict(zip(plan.columns, cols, strict=True))
    return build_batch(plan, named, lines, options, stats, where)


_CANDIDATES = KNOWN_NAMES


def read_jsonl(source: Source, options: ReadOptions = _DEFAULT,
               stats: ReadStats | None = None) -> Iterator[TrackBatch]:
    """Chunks of the reports in a JSON lines file (one object per line; null = unknown).

    Keys may differ from line to line (a missing key is a blank); the plan is made for each
    chunk from the keys its lines use.
    """
    f = _open_text(source)
    names = tuple(dict.fromkeys([*_CANDIDATES, *options.columns.values()]))
    try:
        rows: list[dict[str, object]] = []
        lines: list[int] = []
        for lineno, text in enumerate(f, 1):
            if not text.strip():
                continue
            err: RowError | None = None
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                err = RowError("BAD_JSON", f"not JSON: {exc.msg}", "*", lineno)
                obj = None
            else:
                err = None if isinstance(obj, dict) else RowError(
                    "NOT_AN_OBJECT", "a line must be a JSON object", "*", lineno)
            if err is not None:
                if not options.skip_bad:
                    raise err
                if stats is not None:
                    stats.rows += 1
                    stats.skipped[err.code] += 1
                continue
            rows.append(obj)
            lines.append(lineno)
            if len(rows) >= options.chunk_size:
                yield _json_chunk(rows, lines, names, options, stats)
                rows, lines = [], []
        if rows:
            yield _json_chunk(rows, lines, names, options, stats)
    finally:
        if f is not source:
            f.close()


def _json_chunk(rows: list[dict[str, object]], lines: list[int], names: tuple[str, ...],
                options: ReadOptions, stats: ReadStats | None) -> TrackBatch:
    present = {k for r in rows for k in r if k in names}
    try:
        plan = resolve(present, options)
    except ValidationError as exc:
        raise RowError(exc.code, exc.message, exc.field or "*", lines[0]) from None
    cols = [[r.get(c) for r in rows] for c in plan.columns]
    return _chunk(plan, cols, lines, options, stats)


def read_parquet(source: str | Path | IO[bytes], options: ReadOptions = _DEFAULT,
                 stats: ReadStats | None = None) -> Iterator[TrackBatch]:
    """Chunks of the reports in a Parquet file, read a row group (or ``chunk_size``) at a time.

    Numeric columns go to numpy without a Python loop; a ``timestamp`` column may be an
    Arrow timestamp (any unit; naive ones are taken as UTC, as Arrow does), numbers or
    ISO 8601 strings.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(source)
    plan = resolve(pf.schema_arrow.names, options)
    start = 0
    for rb in pf.iter_batches(batch_size=options.chunk_size, columns=plan.columns):
        cols: dict[str, Column] = {}
        for name in plan.columns:
            arr = rb.column(name)
            if pa.types.is_timestamp(arr.type):
                arr = pc.divide(pc.cast(arr.cast(pa.timestamp("us", arr.type.tz)), pa.int64()),
                                1e6)
            numeric = pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)
            if numeric and name not in plan.text_columns:
                cols[name] = arr.to_numpy(zero_copy_only=False).astype(np.float64)
            else:
                cols[name] = arr.to_pylist()
        n = rb.num_rows
        lines = np.arange(start + 1, start + n + 1)
        start += n
        yield build_batch(plan, cols, lines, options, stats, "row")


def open_text(data: str) -> IO[str]:
    """A text file over ``data`` (for tests and the HTTP layer)."""
    return io.StringIO(data, newline="")
