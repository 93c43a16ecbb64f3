"""Benchmark: the monitor's events engine (issue 4, item 2) on 25,000 zones.

For 10,000 and 1,000,000 tracks, each case in its own process (so peak memory is that
case's): the seeded zones and operations of ``bench/workload.py``; tracks placed like the
classifier benchmark's reports (60 % around the hot spots), 80 % ground tracks (0-30 m/s)
and 20 % aircraft (50-250 m/s) on random courses, five parties. Every batch holds one
report per track, one second after the previous one. The first batch (new tracks, every
``enter``) is timed apart (the grids are built before); then ``--batches`` steady
batches. Reported: reports per second
(wall clock, one process), the time per phase, events per kind, and the peak resident set
size (``ru_maxrss``) of the process. Cases run with all events on, and for 1,000,000
tracks with proximity off (``proximity_m=0``), with and without predictions
(``lookahead_s`` 0), to show their shares.

Writes ``events.json`` and ``events.md`` into ``--out``.

Usage::

    .venv/bin/python bench/bench_events.py [--quick] [--out DIR] [--batches B]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench_check import machine, source_state
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.events import MonitorConfig
from workload import HOTSPOTS, LAT_RANGE, LON_RANGE, MONTH_S, MONTH_START, generate

ROOT = Path(__file__).resolve().parent.parent
PARTIES = np.array(["coalition", "mat", "russia", "syria", "ocha"], dtype=object)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1,000 zones, 10,000 tracks")
    p.add_argument("--batches", type=int, default=3)
    p.add_argument("--seed", type=int, default=20250301)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--case", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def tracks(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    hs = np.array(HOTSPOTS)
    pick = rng.integers(len(hs), size=n)
    dense = rng.random(n) < 0.6
    lat = np.where(dense, hs[pick, 0] + rng.normal(0.0, 0.6, n), rng.uniform(*LAT_RANGE, n))
    lon = np.where(dense, hs[pick, 1] + rng.normal(0.0, 0.7, n), rng.uniform(*LON_RANGE, n))
    air = rng.random(n) < 0.2
    return {"name": np.array([f"T{i:07d}" for i in range(n)], dtype=object),
            "party": PARTIES[rng.integers(0, 5, n)],
            "lat": np.clip(lat, -89, 89), "lon": lon,
            "alt": np.where(air, rng.uniform(500, 10_000, n), rng.uniform(0, 100, n)),
            "speed": np.where(air, rng.uniform(50, 250, n), rng.uniform(0, 30, n)),
            "heading": rng.uniform(0, 360, n)}


def batch_at(tr: dict[str, np.ndarray], k: int, t0: float) -> TrackBatch:
    d = tr["speed"] * k
    h = np.radians(tr["heading"])
    lat = np.clip(tr["lat"] + d * np.cos(h) / 111_000.0, -89.9, 89.9)
    lon = (tr["lon"] + d * np.sin(h) / (111_000.0 * np.cos(np.radians(lat))) + 180) % 360 - 180
    n = lat.size
    return TrackBatch(tr["name"], tr["party"], np.full(n, t0 + k), lat, lon, tr["alt"],
                      tr["speed"], tr["heading"], np.full(n, "", dtype=object))


def run_case(zones: int, n: int, proximity: bool, lookahead_s: float, batches: int,
             seed: int) -> dict[str, Any]:
    w = generate(zones, 1, seed=seed, warmup=1)
    cfg = MonitorConfig(lookahead_s=lookahead_s, proximity_m=5_000.0 if proximity else 0.0)
    t = time.perf_counter()
    m = Monitor(w.objects, cfg)
    m.ingest_table(batch_at(tracks(1_000, seed), 0, MONTH_START.timestamp()))  # compile
    m = Monitor(w.objects, cfg)
    m.build()
    setup_s = time.perf_counter() - t
    tr = tracks(n, seed + 1)
    t0 = MONTH_START.timestamp() + MONTH_S / 2
    first = batch_at(tr, 0, t0)
    t = time.perf_counter()
    ev0 = m.ingest_table(first)
    first_s = time.perf_counter() - t
    before = m.stats
    steady, counts = [], {}
    for k in range(1, batches + 1):
        b = batch_at(tr, k, t0)
        t = time.perf_counter()
        e = m.ingest_table(b)
        steady.append(time.perf_counter() - t)
        for kind, c in e.counts().items():
            counts[kind] = counts.get(kind, 0) + c
    after = m.stats
    phase = {k: (after.phase_s[k] - before.phase_s.get(k, 0.0)) / batches
             for k in after.phase_s}
    t = time.perf_counter()
    objs = m.ingest(batch_at(tr, batches + 1, t0))
    list_s = time.perf_counter() - t
    return {
        "zones": zones, "volumes": len(w.rows), "tracks": n, "proximity": proximity,
        "lookahead_s": lookahead_s,
        "setup_s": setup_s,
        "first_batch": {"s": first_s, "reports_per_s": n / first_s, "events": ev0.counts()},
        "steady": {"batches": batches, "best_s": min(steady), "mean_s": float(np.mean(steady)),
                   "reports_per_s": n / min(steady), "events_per_batch":
                   {k: v / batches for k, v in counts.items()}, "phase_s": phase},
        "with_event_objects": {"s": list_s, "reports_per_s": n / list_s, "events": len(objs)},
        "fence_pairs": after.fence_pairs,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def markdown(res: dict[str, Any]) -> str:
    lines = [f"# Monitor events engine ({res['date']})", "",
             f"Machine: {res['machine'].get('cpu', '?')}, {res['machine'].get('cores', '?')} "
             "cores. One process, one report per track per batch, 25,000 zones unless noted.",
             "", "| zones | tracks | proximity | lookahead s | first batch reports/s "
             "| steady reports/s | steady batch s | peak RSS MB | with `Event` objects reports/s |",
             "|---:|---:|:--|---:|---:|---:|---:|---:|---:|"]
    for c in res["cases"]:
        lines.append(
            f"| {c['zones']:,} | {c['tracks']:,} | {'on' if c['proximity'] else 'off'} | "
            f"{c['lookahead_s']:g} | {c['first_batch']['reports_per_s']:,.0f} | "
            f"{c['steady']['reports_per_s']:,.0f} | "
            f"{c['steady']['best_s']:.3f} | {c['peak_rss_mb']:,.0f} | "
            f"{c['with_event_objects']['reports_per_s']:,.0f} |")
    lines += ["", "Seconds per steady batch, by phase:", "",
              "| tracks | proximity | lookahead s | " + " | ".join(res["phases"]) + " |",
              "|---:|:--|---:|" + "---:|" * len(res["phases"])]
    for c in res["cases"]:
        ph = c["steady"]["phase_s"]
        lines.append(f"| {c['tracks']:,} | {'on' if c['proximity'] else 'off'} | "
                     f"{c['lookahead_s']:g} | "
                     + " | ".join(f"{ph.get(p, 0.0):.3f}" for p in res["phases"]) + " |")
    lines += ["", "Events per steady batch:", ""]
    for c in res["cases"]:
        on = "on" if c["proximity"] else "off"
        lines.append(f"* {c['tracks']:,} tracks, proximity {on}: "
                     f"{c['steady']['events_per_batch']}; first batch "
                     f"{c['first_batch']['events']}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.case:
        zones, n, prox, look = args.case.split(",")
        print(json.dumps(run_case(int(zones), int(n), prox == "1", float(look), args.batches,
                                  args.seed)))
        return 0
    zones = 1_000 if args.quick else 25_000
    # proximity at 1,000,000 tracks in these hot spots (thousands of aircraft within reach
    # of each other) is not a meaningful load; it is measured at 10,000 and 100,000
    cases = [(zones, 10_000, 1, 300.0)] if args.quick else [
        (zones, 10_000, 1, 300.0), (zones, 100_000, 1, 300.0), (zones, 1_000_000, 0, 300.0),
        (zones, 1_000_000, 0, 0.0)]
    res: dict[str, Any] = {"benchmark": "events", "issue": 4,
                           "date": datetime.now(UTC).isoformat(timespec="seconds"),
                           "machine": machine(), "source": source_state(), "cases": [],
                           "phases": ["prepare", "classify", "fences", "nonconforming",
                                      "predicted", "proximity", "events"]}
    for z, n, prox, look in cases:
        out = subprocess.run([sys.executable, __file__, "--case", f"{z},{n},{prox},{look}",
                              "--batches", str(args.batches), "--seed", str(args.seed)],
                             capture_output=True, text=True, check=True)
        case = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"zones {z:,} tracks {n:,} proximity {prox} lookahead {look:g}: steady "
              f"{case['steady']['reports_per_s']:,.0f} reports/s, first batch "
              f"{case['first_batch']['reports_per_s']:,.0f}/s, peak RSS "
              f"{case['peak_rss_mb']:,.0f} MB", flush=True)
        res["cases"].append(case)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "events.json").write_text(json.dumps(res, indent=2, default=float) + "\n")
    (args.out / "events.md").write_text(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
