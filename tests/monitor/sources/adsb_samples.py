"""ADS-B style sample rows, written in each format the readers take."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

Rows = list[dict[str, object]]
Writer = Callable[[Rows, Path], Path]


def opensky_rows(n: int = 10) -> Rows:
    """OpenSky state-vector style rows: metres, m/s, epoch seconds."""
    return [{"time": 1_714_564_800 + i, "icao24": f"4ca{i % 3:03x}", "callsign": f"RFF0{i % 3} ",
             "lat": 33.3 + i * 0.01, "lon": 38.6 - i * 0.01, "velocity": 100.0 + i,
             "heading": 90.0 + i, "baroaltitude": 3000.0 + i, "geoaltitude": 3050.0 + i,
             "onground": False}
            for i in range(n)]


def write_csv(rows: Rows, path: Path) -> Path:
    path = path.with_suffix(".csv")
    names = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, names)
        w.writeheader()
        w.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    return path


def write_jsonl(rows: Rows, path: Path) -> Path:
    path = path.with_suffix(".jsonl")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_parquet(rows: Rows, path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = path.with_suffix(".parquet")
    names = list(dict.fromkeys(k for r in rows for k in r))
    table = pa.table({k: [r.get(k) for r in rows] for k in names})
    pq.write_table(table, path, row_group_size=4)
    return path
