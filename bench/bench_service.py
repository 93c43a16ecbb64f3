"""Benchmark: operation creations per second through the HTTP API, in one hot 10 km area.

Issue "the service under load". The floor: 500 creations per second with 32 concurrent
clients and p99 ≤ 50 ms, on SQLite and on PostgreSQL, on this 2-core machine. The reference
drone-traffic DSS (InterUSS) manages 6–8 writes per second in one hot cell.

One run, per backend:

* starts ``--servers`` real ``deconfliction serve`` processes on one fresh database (SQLite
  file, or a database on a throwaway PostgreSQL + PostGIS); clients are spread over them;
* creates 32 parties through ``POST /parties`` (one API token each);
* 32 clients, each with its own keep-alive HTTP/1.1 connection (one asyncio load generator
  speaking minimal HTTP, so that it leaves the cores to the server), create binding
  (``proposed``) operations: circles of 100–1,000 m centred within 4 km of one point (all
  inside one 10 km disc), each in its own 15-minute slot so that all are accepted. Every
  creation is still checked by the engine against every stored volume in the area (the
  spatial index returns all of them; time then rules them out), the proof-of-awareness runs,
  and each write is one transaction with a signed ledger entry;
* a warm-up of a few creations per client is not timed; then ``--ops`` creations are timed
  end to end at the client (request sent to answer read) in a closed loop: the maximum
  throughput;
* then a fixed load (open loop): ``--rate`` creations per second for ``--fixed-s`` seconds,
  each request sent at its due time and its latency measured from that time (queueing is
  not hidden: no coordinated omission). The floor is met only if this run sustains the rate
  with p99 within the floor and every creation accepted;
* CPU seconds of the server processes and of this load generator over the timed phase are
  read from ``/proc``: the load generator shares the same cores, and its share is reported.

Afterwards it checks that every creation got 201, that the store holds them all and that
the ledger verifies. It writes ``service.json`` and ``service.md`` into ``--out``
(``bench/results``).

Usage::

    .venv/bin/python bench/bench_service.py [--ops N] [--clients C] [--servers S]
        [--rate R] [--fixed-s S] [--backends sqlite,postgres] [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from deconfliction.testing import PostgresServer
from deconfliction.testing.server import ServerProcess
from loadgen import Driver

ROOT = Path(__file__).resolve().parent.parent
HOT = (33.5, 38.6)  # the hot area's centre (lat, lon); everything is within 5 km of it
SPREAD_M = 4_000.0
SLOT = timedelta(minutes=15)
T0 = datetime(2031, 1, 1, tzinfo=UTC)
FLOOR_RATE = 500.0
FLOOR_P99_MS = 50.0
REFERENCE_DSS = (6.0, 8.0)  # writes per second in one hot cell
ADMIN = "dcf_bench-admin-token"
WARMUP_PER_CLIENT = 3


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ops", type=int, default=None, help="timed creations per backend (8,000)")
    p.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    p.add_argument("--servers", type=int, default=1,
                   help="`deconfliction serve` commands per database, each on its port (1)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes of each `serve` (its --workers; 1)")
    p.add_argument("--backends", default="sqlite,postgres", help="sqlite,postgres")
    p.add_argument("--rate", type=float, default=FLOOR_RATE,
                   help="offered creations per second of the fixed-load run (500)")
    p.add_argument("--fixed-s", type=float, default=None,
                   help="seconds of the fixed-load run (16; quick: 2)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke test: 320 creations, then 2 s at the fixed load")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    a = p.parse_args(argv)
    if a.ops is None:
        a.ops = 320 if a.quick else 8_000
    if a.fixed_s is None:
        a.fixed_s = 2.0 if a.quick else 16.0
    return a


def percentile(xs: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``xs`` by nearest rank."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def latency(xs_s: Sequence[float]) -> dict[str, float]:
    ms = [x * 1000.0 for x in xs_s]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 0.5), 3),
            "p90_ms": round(percentile(ms, 0.9), 3), "p99_ms": round(percentile(ms, 0.99), 3),
            "max_ms": round(max(ms), 3), "mean_ms": round(sum(ms) / len(ms), 3)}


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its live descendants (from /proc):
    ``serve --workers N`` runs its workers as children."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int(_stat(int(d.name))[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += [c for c, pp in parent.items() if pp == p]
    total = 0.0
    for p in tree:
        try:
            f = _stat(p)
        except OSError:
            continue
        total += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    return total


def self_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def operation(k: int, rng: random.Random) -> dict[str, Any]:
    """The ``k``-th operation: a circle in the hot area, in its own time slot."""
    d = SPREAD_M * math.sqrt(rng.random())
    az = rng.uniform(0.0, 2.0 * math.pi)
    lat = HOT[0] + d * math.cos(az) / 111_000.0
    lon = HOT[1] + d * math.sin(az) / (111_000.0 * math.cos(math.radians(HOT[0])))
    start = T0 + k * SLOT
    return {
        "id": f"op-{k}", "name": f"sortie {k}", "kind": "flight", "state": "proposed",
        "volumes": [{
            "outline": {"type": "circle", "lat": round(lat, 6), "lon": round(lon, 6),
                        "radius_m": round(rng.uniform(100.0, 1_000.0), 1)},
            "alt_lower_m": 0.0, "alt_upper_m": 150.0,
            "time_start": start.isoformat().replace("+00:00", "Z"),
            "time_end": (start + SLOT).isoformat().replace("+00:00", "Z"),
        }],
        "seen": {},
    }


class Client:
    """One keep-alive HTTP/1.1 connection speaking just enough HTTP to post JSON: a load
    generator as light as it can be (it shares the two cores with the server)."""

    def __init__(self, url: str, token: str) -> None:
        u = httpx.URL(url)
        self.host, self.port = u.host, u.port or 80
        self.head = (f"POST /operations HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                     "Content-Length: ")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"{self.head}{len(body)}\r\n\r\n".encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        n = 0
        for line in raw.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                n = int(line[15:])
        return status, await self.reader.readexactly(n)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class Run(Driver):
    """Creations against running servers (see :mod:`loadgen`)."""

    def __init__(self, urls: list[str], tokens: list[str]) -> None:
        self.clients = [Client(urls[i % len(urls)], t) for i, t in enumerate(tokens)]
        self.rngs = [random.Random(i * 7919) for i in range(len(tokens))]
        super().__init__(len(tokens))  # operation numbers: ids and time slots never reused

    async def one(self, i: int, k: int) -> None:
        body = json.dumps(operation(k, self.rngs[i])).encode()
        self.record(*await self.clients[i].post(body))

    def close(self) -> None:
        for c in self.clients:
            c.close()
            c.reader = c.writer = None
        self.loop.close()


def _cpu(servers: list[ServerProcess], before: tuple[float, float], wall: float,
         ok: int) -> dict[str, float]:
    server_cpu = sum(cpu_s(s.pid) for s in servers) - before[0]
    gen_cpu = self_cpu_s() - before[1]
    total = server_cpu + gen_cpu
    return {
        "server_s": round(server_cpu, 2),
        "load_generator_s": round(gen_cpu, 2),
        "load_generator_share": round(gen_cpu / total, 3) if total else 0.0,
        "cores_busy": round(total / wall, 2),
        "server_cpu_ms_per_creation": round(1000 * server_cpu / max(ok, 1), 3),
    }


def _cpu_now(servers: list[ServerProcess]) -> tuple[float, float]:
    return sum(cpu_s(s.pid) for s in servers), self_cpu_s()


def run_backend(name: str, db: str, args: argparse.Namespace) -> dict[str, Any]:
    settings = {"log_level": "warning", "workers": args.workers}
    servers = [ServerProcess(db, admin_token=ADMIN, settings=settings)
               for _ in range(args.servers)]
    try:
        for s in servers:  # one after the other: the first creates the schema and the admin
            s.start()
        admin = httpx.Client(base_url=servers[0].url, timeout=60.0,
                             headers={"Authorization": f"Bearer {ADMIN}"})
        tokens = []
        for i in range(args.clients):
            r = admin.post("/parties", json={"id": f"party-{i:02d}", "name": f"Party {i}"})
            r.raise_for_status()
            tokens.append(r.json()["token"])
        run = Run([s.url for s in servers], tokens)
        warm = WARMUP_PER_CLIENT * args.clients
        run.closed(warm)
        before = _cpu_now(servers)
        wall = run.closed(args.ops)
        cpu = _cpu(servers, before, wall, run.statuses.get(201, 0))
        closed = (dict(run.statuses), list(run.latencies), list(run.errors))
        fixed_n = int(args.rate * args.fixed_s)
        before = _cpu_now(servers)
        fixed_wall = run.open(fixed_n, args.rate)
        fixed_cpu = _cpu(servers, before, fixed_wall, run.statuses.get(201, 0))
        run.close()
        health = admin.get("/healthz").json()
        verify = admin.get("/ledger/verify").json()
        stored = admin.get("/operations").json()["count"]
        admin.close()
    finally:
        for s in servers:
            s.stop()
    statuses, lats, errors = closed
    ok = statuses.get(201, 0)
    rate = ok / wall
    lat = latency(lats)
    fixed_ok = run.statuses.get(201, 0)
    fixed_lat = latency(run.latencies)
    fixed_rate = fixed_ok / fixed_wall
    return {
        "backend": name,
        "servers": args.servers,
        "workers": args.workers,
        "clients": args.clients,
        "timed_creations": args.ops,
        "warmup_creations": warm,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors,
        "wall_s": round(wall, 3),
        "creations_per_s": round(rate, 1),
        "latency": lat,
        "cpu": cpu,
        "fixed_load": {
            "offered_per_s": args.rate,
            "creations": fixed_n,
            "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
            "errors": run.errors,
            "wall_s": round(fixed_wall, 3),
            "achieved_per_s": round(fixed_rate, 1),
            "sent_late": run.late,
            "latency_from_due_time": fixed_lat,
            "cpu": fixed_cpu,
        },
        "stored_operations": stored,
        "ledger": {"ok": verify["ok"], "count": verify["count"],
                   "head_seq": health["ledger_seq"]},
        "ratio_to_reference_dss": [round(rate / REFERENCE_DSS[1], 1),
                                   round(rate / REFERENCE_DSS[0], 1)],
        # the rate: the closed loop reaches it, and the fixed load offered at least it is
        # sustained (98 % of the offered rate achieved)
        "floor": {"rate_met": (rate >= FLOOR_RATE and args.rate >= FLOOR_RATE
                               and fixed_rate >= 0.98 * args.rate),
                  "p99_met": fixed_lat["p99_ms"] <= FLOOR_P99_MS,
                  "all_accepted": ok == args.ops and fixed_ok == fixed_n,
                  "all_stored": stored == warm + args.ops + fixed_n,
                  "ledger_ok": bool(verify["ok"])},
    }


def machine() -> dict[str, object]:
    cpu = platform.processor()
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "cpus": os.cpu_count(), "platform": platform.platform(),
            "python": sys.version.split()[0], "load_average_at_start": list(os.getloadavg())}


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return out.stdout.strip() + (" (src modified)" if dirty else "")


def markdown(data: dict[str, Any]) -> str:
    p = data["parameters"]
    m = data["machine"]
    load = ", ".join(f"{x:.2f}" for x in m["load_average_at_start"])
    lines = [
        "# Service load: operation creations in one hot 10 km area",
        "",
        f"{p['clients']} concurrent clients (keep-alive HTTP/1.1 connections driven by one "
        f"asyncio load generator), {p['servers']} `deconfliction serve --workers "
        f"{p['workers']}` per database; {m['cpus']} cores ({m['cpu']}), shared by the "
        f"server and the load generator; load average at start {load}. "
        f"Commit {data['source']}, {data['date']}.",
        "",
        "**Floor (≥ 500 creations/s sustained, p99 ≤ 50 ms at 500/s) met: "
        + ("yes" if data["floor"]["met"] else "no") + "** — " + "; ".join(
            f"{r['backend']}: closed loop {r['creations_per_s']:.0f}/s, at 500/s offered "
            f"{r['fixed_load']['achieved_per_s']:.0f}/s achieved with p99 "
            f"{r['fixed_load']['latency_from_due_time']['p99_ms']:.0f} ms"
            for r in data["results"]) + ".",
        "",
        f"**Closed loop** (maximum throughput): {p['ops']} timed creations after "
        f"{WARMUP_PER_CLIENT} untimed ones per client; each client sends its next request as "
        f"soon as it has the answer, so the median latency is about clients / throughput.",
        "",
        "| backend | creations/s | p50 ms | p90 ms | p99 ms | max ms | × reference DSS "
        "(6–8/s) | server CPU ms/creation | load generator CPU share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["results"]:
        lat = r["latency"]
        lines.append(
            f"| {r['backend']} | {r['creations_per_s']:.0f} | {lat['p50_ms']:.1f} | "
            f"{lat['p90_ms']:.1f} | {lat['p99_ms']:.1f} | {lat['max_ms']:.1f} | "
            f"{r['ratio_to_reference_dss'][0]:.0f}–{r['ratio_to_reference_dss'][1]:.0f}× | "
            f"{r['cpu']['server_cpu_ms_per_creation']:.2f} | "
            f"{100 * r['cpu']['load_generator_share']:.0f}% |")
    lines += [
        "",
        f"**Fixed load** (open loop): {p['rate']:.0f} creations/s offered for "
        f"{p['fixed_s']:.0f} s, request *j* due at *j*/{p['rate']:.0f} s and sent by client "
        f"*j* mod {p['clients']}; latency is measured from the due time, so a request that "
        "waits for its client's previous answer counts its wait (no coordinated omission).",
        "",
        "| backend | offered/s | achieved/s | p50 ms | p90 ms | p99 ms | max ms | sent late | "
        "server CPU ms/creation | load generator CPU share | floor met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in data["results"]:
        fx, f = r["fixed_load"], r["floor"]
        lat = fx["latency_from_due_time"]
        lines.append(
            f"| {r['backend']} | {fx['offered_per_s']:.0f} | {fx['achieved_per_s']:.0f} | "
            f"{lat['p50_ms']:.1f} | {lat['p90_ms']:.1f} | {lat['p99_ms']:.1f} | "
            f"{lat['max_ms']:.1f} | {fx['sent_late']} | "
            f"{fx['cpu']['server_cpu_ms_per_creation']:.2f} | "
            f"{100 * fx['cpu']['load_generator_share']:.0f}% | "
            f"{'yes' if all(f.values()) else 'NO'} |")
    lines += [
        "",
        f"Floor: ≥ {FLOOR_RATE:.0f} creations/s in the closed loop and sustained at the fixed "
        f"load, with p99 ≤ {FLOOR_P99_MS:.0f} ms at the fixed load; every creation accepted "
        "(201), stored, and the ledger verifies. Latency is measured at the client, so it "
        "includes the load generator's own queueing for the CPU.",
        "",
        "CPU the server (all its processes) and the load generator got, in cores: " + "; ".join(
            f"{r['backend']}: {r['cpu']['cores_busy']:.2f} in the closed loop, "
            f"{r['fixed_load']['cpu']['cores_busy']:.2f} at the fixed load"
            for r in data["results"]) + f", of {m['cpus']}." + (
            f" The machine was shared with other jobs (load average {load} at the start): "
            "what the server got is what it could run on." if
            m["load_average_at_start"][0] > 0.5 * (m["cpus"] or 1) else ""),
        "",
        "Durability: PostgreSQL runs with fsync, synchronous_commit and full_page_writes on "
        "(a 201 is sent after the commit is on disk); SQLite runs in WAL mode with "
        "synchronous=NORMAL, the store's setting (a commit survives a crash of the process, "
        "not of the machine: the WAL is synced at checkpoints).",
        "",
        "Every creation is a binding operation checked exactly against every stored volume "
        "in the area (all share the same 10 km disc and altitude band; each has its own "
        "15-minute slot so that all are accepted), with the proof-of-awareness, committed "
        "before its answer with one signed, hash-chained ledger entry. Writes are decided in "
        "order in group commits: one transaction (one writer-lock acquisition, one commit) "
        "for all the creations that queued up while the previous one was committed.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    load_at_start = list(os.getloadavg())
    results = []
    print(f"== service benchmark: {args.ops} creations, {args.clients} clients, "
          f"{args.servers} server(s)", flush=True)
    for name in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
            if name == "sqlite":
                results.append(run_backend(name, f"sqlite:///{tmp}/bench.db", args))
            elif name == "postgres":
                with PostgresServer(durable=True) as pg:
                    import psycopg

                    db = f"bench_{uuid.uuid4().hex[:8]}"
                    with psycopg.connect(pg.dsn, autocommit=True) as conn:
                        conn.execute(f'CREATE DATABASE "{db}"')
                    results.append(run_backend(name, pg.dsn.rpartition("/")[0] + "/" + db,
                                               args))
            else:
                raise SystemExit(f"unknown backend {name!r}")
        r = results[-1]
        fx = r["fixed_load"]
        print(f"{name}: closed loop {r['creations_per_s']:.0f} creations/s, p50 "
              f"{r['latency']['p50_ms']} ms, p99 {r['latency']['p99_ms']} ms, statuses "
              f"{r['statuses']}, load generator {100 * r['cpu']['load_generator_share']:.0f}% "
              f"of CPU; fixed load {fx['offered_per_s']:.0f}/s: achieved "
              f"{fx['achieved_per_s']:.0f}/s, p50 {fx['latency_from_due_time']['p50_ms']} ms, "
              f"p99 {fx['latency_from_due_time']['p99_ms']} ms, statuses {fx['statuses']}, "
              f"{fx['sent_late']} sent late", flush=True)
    data = {
        "benchmark": "service",
        "issue": "operation creations per second in one hot 10 km area, 32 clients",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "load_average_at_start": load_at_start,
                    "load_average_at_end": list(os.getloadavg())},
        "source": commit(),
        "parameters": {"ops": args.ops, "clients": args.clients, "servers": args.servers,
                       "workers": args.workers,
                       "rate": args.rate, "fixed_s": args.fixed_s,
                       "quick": args.quick, "warmup_per_client": WARMUP_PER_CLIENT,
                       "area": {"centre": HOT, "spread_m": SPREAD_M}},
        "floor": {"creations_per_s": FLOOR_RATE, "p99_ms": FLOOR_P99_MS,
                  "reference_dss_writes_per_s": REFERENCE_DSS,
                  "met": all(all(r["floor"].values()) for r in results)},
        "results": results,
        "elapsed_s": round(time.perf_counter() - t_start, 1),
    }
    (args.out / "service.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (args.out / "service.md").write_text(markdown(data), encoding="utf-8")
    print(markdown(data))
    ok = all(r["floor"]["all_accepted"] and r["floor"]["ledger_ok"] and r["floor"]["all_stored"]
             for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
