"""Benchmark: the web map with 10,000 zones and 5,000 moving tracks (issue 5).

A real ``deconfliction serve`` over a SQLite store holding 10,000 zones (circles and
polygons of five parties over a 6°×8° box around At Tanf, each party allowed in every zone, so
that entering one is no alert), and Debian's Chromium (headless,
software rendering, through Playwright) with the page logged in as one party. A feeder posts
5,000 tracks (80 % ground 5–30 m/s, 20 % aircraft 80–250 m/s, five parties) to
``POST /reports`` once a second for ``--seconds``, each batch moving every track; the server
runs its monitor on them (default settings: predictions and proximity on) and streams the
tracks to the page.

Measured in the page:

* the time from login to the 10,000 zones drawn;
* frame intervals (``requestAnimationFrame``) while the tracks move: p50/p95/p99/max and the
  share of frames over 50 ms (a frame under 17 ms is 60 Hz);
* update latency: from the moment a batch is sent to the moment the page has drawn it
  (wall clocks of the same machine), p50/p95/max; this includes the server's monitoring of
  the batch (its answer time is reported too).

The alternative a page author would reach for first, Leaflet's default SVG renderer for the
track markers (``?tracks=svg``), runs in the same session for comparison.

Writes ``web.json`` and ``web.md`` into ``--out``.

Usage::

    .venv/bin/python bench/bench_web.py [--quick] [--out DIR] [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench_check import machine, source_state
from deconfliction.channel.service import ALL_SCOPES as _ALL
from deconfliction.channel.service import SERVER, Principal, Service
from deconfliction.core.objects import Zone
from deconfliction.core.outline import Circle, Polygon
from deconfliction.core.parties import PartyProfile
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.store import open_store
from deconfliction.testing.server import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from web.harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PARTIES = ("coalition", "mat", "russia", "syria", "ocha")
BOX = (31.0, 37.0, 35.0, 43.0)  # lat and lon ranges
SINCE = datetime(2020, 1, 1, tzinfo=UTC)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--zones", type=int, default=None, help="zones (10,000)")
    p.add_argument("--tracks", type=int, default=None, help="moving tracks (5,000)")
    p.add_argument("--seconds", type=float, default=None, help="seconds of movement (20)")
    p.add_argument("--quick", action="store_true", help="300 zones, 200 tracks, 4 s")
    p.add_argument("--seed", type=int, default=20250301)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    a = p.parse_args(argv)
    a.zones = a.zones or (300 if a.quick else 10_000)
    a.tracks = a.tracks or (200 if a.quick else 5_000)
    a.seconds = a.seconds or (4.0 if a.quick else 20.0)
    return a


def zones(n: int, rng: random.Random) -> list[Zone]:
    out = []
    for k in range(n):
        lat, lon = rng.uniform(BOX[0], BOX[1]), rng.uniform(BOX[2], BOX[3])
        r = rng.uniform(1_000.0, 10_000.0)
        if k % 3:
            outline: Circle | Polygon = Circle(lat, lon, r)
        else:
            m = rng.randint(3, 9)
            d = r / 111_000.0
            ring = tuple((lat + d * math.cos(2 * math.pi * i / m),
                          lon + d * math.sin(2 * math.pi * i / m) / math.cos(math.radians(lat)))
                         for i in range(m))
            outline = Polygon(ring)
        # every party may enter (the benchmark measures the page, not a flood of
        # incursion alerts: each would be a message and a ledger entry)
        out.append(Zone(id=f"z{k}", name=f"zone {k}", owner=PARTIES[k % 5],
                        allowed=frozenset(PARTIES),
                        volumes=(Volume4D(outline, 0.0, rng.choice([500.0, 5_000.0, 20_000.0]),
                                          TimeInterval(SINCE, None)),)))
    return out


def prepare_db(db: Path, n_zones: int, seed: int) -> dict[str, str]:
    """The store with the parties (a token each) and the zones."""
    service = Service(open_store(db))
    try:
        tokens = {}
        for p in PARTIES:
            service.put_party(SERVER, PartyProfile(id=p, name=p), create=True)
            tokens[p] = service.issue_token(SERVER, p)
        op = Principal(SERVER, _ALL, admin=True)
        for z in zones(n_zones, random.Random(seed)):
            service.save(op, z, expected_version=None, create=True)
        return tokens
    finally:
        service.store.close()


class Tracks:
    """Tracks moving on straight courses, a batch of JSON lines a second."""

    def __init__(self, n: int, seed: int) -> None:
        rng = random.Random(seed)
        self.rows = []
        for i in range(n):
            air = rng.random() < 0.2
            self.rows.append({
                "track": f"T{i:05d}", "party": PARTIES[i % 5],
                "lat": rng.uniform(BOX[0], BOX[1]), "lon": rng.uniform(BOX[2], BOX[3]),
                "alt_m": rng.uniform(1_000, 9_000) if air else rng.uniform(0, 50),
                "speed_mps": rng.uniform(80, 250) if air else rng.uniform(5, 30),
                "heading_deg": rng.uniform(0, 360)})

    def batch(self, t_s: float, dt_s: float, chunk: int = 1_000) -> list[bytes]:
        """Every track moved by ``dt_s``, as bodies of ``chunk`` reports (a feeder posts
        in pieces: the server refuses bodies over 1 MB)."""
        lines = []
        for r in self.rows:
            h = math.radians(r["heading_deg"])
            d = r["speed_mps"] * dt_s
            r["lat"] += d * math.cos(h) / 111_000.0
            r["lon"] += d * math.sin(h) / (111_000.0 * math.cos(math.radians(r["lat"])))
            lines.append(json.dumps({**r, "t_s": t_s}))
        return ["\n".join(lines[i:i + chunk]).encode() for i in range(0, len(lines), chunk)]


def pct(xs: Sequence[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(q / 100.0 * len(s)))]


_INSTRUMENT = """() => {
  window.__frames = []; window.__drawn = {}; window.__stop = false;
  let last = performance.now();
  const f = (t) => { window.__frames.push(t - last); last = t;
                     if (!window.__stop) requestAnimationFrame(f); };
  requestAnimationFrame(f);
  const tl = deconfliction.tracks;
  const draw = tl.draw.bind(tl);
  tl.draw = (arrived) => {
    const ts = new Set(); for (const r of tl.pending.values()) ts.add(r.t_s);
    draw(arrived);
    const now = Date.now();
    for (const t of ts) if (!(t in window.__drawn)) window.__drawn[t] = now;
  };
}"""


def run_page(browser: Any, url: str, token: str, tracks: Tracks, admin: str,
             seconds: float, n_zones: int, variant: str) -> dict[str, Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + ("/?tracks=svg" if variant == "svg" else "/"))
    t0 = time.perf_counter()
    page.fill("#token", token)
    page.click("#login")
    page.wait_for_function(f"() => deconfliction.state.zones.length === {n_zones} && "
                           "document.querySelectorAll('path.zone').length > 0", timeout=300_000)
    load_s = time.perf_counter() - t0
    page.evaluate("() => deconfliction.map.setView([34.0, 39.0], 7, {animate: false})")
    page.evaluate(_INSTRUMENT)
    sent: dict[float, float] = {}
    answer_s: list[float] = []
    t_s = time.time()
    with httpx.Client(base_url=url, timeout=120) as http:
        start = time.perf_counter()
        k = 0
        while time.perf_counter() - start < seconds:
            due = start + k
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            bodies = tracks.batch(t_s + k, 1.0 if k else 0.0)
            sent[t_s + k] = time.time()
            a = time.perf_counter()
            for body in bodies:
                r = http.post("/reports", content=body, headers={
                    "Authorization": f"Bearer {admin}", "Content-Type": "application/x-ndjson"})
                assert r.status_code == 200, r.text[:300]
            answer_s.append(time.perf_counter() - a)
            k += 1
    deadline = time.time() + 30
    while time.time() < deadline:
        drawn = page.evaluate("() => window.__drawn")
        if str(t_s + k - 1) in {str(float(x)) for x in drawn} or len(drawn) >= k:
            break
        time.sleep(0.2)
    page.evaluate("() => { window.__stop = true; }")
    frames = page.evaluate("() => window.__frames")[1:]
    drawn = {float(t): v / 1000.0 for t, v in page.evaluate("() => window.__drawn").items()}
    lat_ms = [1000.0 * (drawn[t] - sent[t]) for t in sent if t in drawn]
    shown = page.evaluate("() => deconfliction.tracks.tracks.size")
    ctx.close()
    return {
        "variant": variant, "zones": n_zones, "tracks": len(tracks.rows), "batches": k,
        "login_to_zones_drawn_s": round(load_s, 2),
        "frames": {"n": len(frames), "p50_ms": round(pct(frames, 50), 1),
                   "p95_ms": round(pct(frames, 95), 1), "p99_ms": round(pct(frames, 99), 1),
                   "max_ms": round(max(frames, default=float("nan")), 1),
                   "over_50ms_share": round(sum(f > 50 for f in frames) / max(len(frames), 1),
                                            3),
                   "fps": round(1000.0 * len(frames) / max(sum(frames), 1e-9), 1)},
        "update_latency": {"n": len(lat_ms), "p50_ms": round(pct(lat_ms, 50)),
                           "p95_ms": round(pct(lat_ms, 95)),
                           "max_ms": round(max(lat_ms, default=float("nan")))},
        "server_answer_s": {"p50": round(pct(answer_s, 50), 3),
                            "max": round(max(answer_s, default=float("nan")), 3)},
        "tracks_shown": shown, "batches_drawn": len(lat_ms), "page_errors": errors[:5],
    }


def markdown(res: dict[str, Any]) -> str:
    p = res["parameters"]
    lines = [
        "# Web map: 10,000 zones and 5,000 moving tracks", "",
        f"{p['zones']:,} zones, {p['tracks']:,} tracks posted to `POST /reports` once a second "
        f"for {p['seconds']:g} s (every track moves each second; the server's monitor runs its "
        "default settings on them); the page logged in as `coalition`, 1280×800, Debian's "
        "Chromium headless with software rendering, on the same 2 cores as the server and the "
        f"feeder. {res['date']}, commit {res['source'].get('commit', '?')}.", "",
        "| track renderer | login → zones drawn s | fps | frame p50 ms | p95 | p99 | max "
        "| frames > 50 ms | update latency p50 ms | p95 | max | server answer p50 s "
        "| tracks shown |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["results"]:
        f, u = r["frames"], r["update_latency"]
        lines.append(
            f"| {'canvas (the page)' if r['variant'] == 'canvas' else 'SVG (Leaflet default)'} "
            f"| {r['login_to_zones_drawn_s']} | {f['fps']} | {f['p50_ms']} | {f['p95_ms']} "
            f"| {f['p99_ms']} | {f['max_ms']} | {100 * f['over_50ms_share']:.1f} % "
            f"| {u['p50_ms']} | {u['p95_ms']} | {u['max_ms']} "
            f"| {r['server_answer_s']['p50']} | {r['tracks_shown']:,} |")
    lines += ["", f"The server's monitor built its grids over the zones in "
              f"{res['monitor_build_s']} s (at the first report, before the measurement).",
              "", "Update latency: from a batch sent by the feeder to the page having drawn it "
              "(the server's monitoring of the batch included; its answer time is the last "
              "column but one; a batch is posted as bodies of 1,000 reports). Frames: "
              "intervals between animation frames while the tracks move (a frame under "
              "17 ms is 60 Hz); the page draws all the tracks that moved "
              "in one frame, a few times a second (the stream coalesces them)."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "web.db"
        print(f"== web benchmark: {args.zones:,} zones, {args.tracks:,} tracks", flush=True)
        tokens = prepare_db(db, args.zones, args.seed)
        admin = "dcf_" + secrets.token_urlsafe(24)
        with ServerProcess(str(db), admin_token=admin, settings={"log_level": "warning"}
                           ) as srv, sync_playwright() as pw:
            # the server's monitor builds its grids over the zones at the first report: do
            # that before measuring (tens of seconds for 10,000 zones on this machine)
            t = time.perf_counter()
            with httpx.Client(base_url=srv.url, timeout=600) as http:
                r = http.post("/reports", content=json.dumps({
                    "track": "warm-up", "party": "coalition", "t_s": 1e9, "lat": 0.0,
                    "lon": 0.0}).encode(), headers={"Authorization": f"Bearer {admin}"})
                assert r.status_code == 200, r.text[:300]
            warm_s = time.perf_counter() - t
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
            try:
                for variant in ("canvas", "svg"):
                    tracks = Tracks(args.tracks, args.seed + 1)
                    r = run_page(browser, srv.url, tokens["coalition"], tracks, admin,
                                 args.seconds, args.zones, variant)
                    print(json.dumps(r), flush=True)
                    results.append(r)
            finally:
                browser.close()
    res = {"benchmark": "web", "issue": 5, "date": datetime.now(UTC).isoformat(),
           "machine": machine(), "source": source_state(),
           "parameters": {"zones": args.zones, "tracks": args.tracks, "seconds": args.seconds,
                          "quick": args.quick},
           "monitor_build_s": round(warm_s, 1), "results": results,
           "elapsed_s": round(time.perf_counter() - started, 1)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "web.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    (args.out / "web.md").write_text(markdown(res), encoding="utf-8")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
