"""The two alternatives the check benchmark compares the engine with.

* :class:`PostgisChecker`: a real PostgreSQL + PostGIS (started through
  :class:`deconfliction.testing.PostgresServer`), one row per volume with a
  ``geography(Polygon, 4326)`` column, a GiST index on it and a btree on time; circles and
  corridors become polygons with ``ST_Buffer(geography, radius_m, 'quad_segs=16')``, the best
  PostGIS offers. One prepared query per check, timed end to end from Python.
* :class:`ShapelyLoop`: what a user writes without an index: a Python loop over every stored
  shapely geometry in lon/lat degrees, testing time, altitude, the rule and then
  ``distance <= metres / 111_320``.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator, Sequence

import psycopg
import shapely

from deconfliction.core.objects import Operation
from deconfliction.testing import PostgresServer
from workload import VolumeRow

__all__ = [
    "CHECK_SQL", "CHECK_SQL_DISTANCE", "METRES_PER_DEGREE", "VARIANTS", "PostgisChecker",
    "ShapelyLoop", "row_wkt",
]

METRES_PER_DEGREE = 111_320.0
#: settings that give PostGIS a fair chance: everything in memory, no JIT on short queries
PG_TUNING = {
    "shared_buffers": "1GB",
    "effective_cache_size": "8GB",
    "work_mem": "64MB",
    "random_page_cost": "1.1",
    "jit": "off",
}

_CONVERT = """
CASE WHEN {shape} = 'polygon' THEN {wkt}::geography
     ELSE ST_Buffer({wkt}::geography, {radius}, 'quad_segs=16') END
"""
_LOAD = f"""
CREATE TABLE vols AS
SELECT obj_id, vol, kind, owner, parties, buf, t0, t1, lo, hi,
       ({_CONVERT.format(shape="shape", wkt="wkt", radius="radius")})::geography(Polygon, 4326)
       AS geog
FROM stage
"""
#: one query per check: all the check's volumes at once (unnest), for each the stored volumes
#: within the required separation that overlap in time and altitude and that the rules make
#: a conflict. ``ST_DWithin`` cannot use the index when its distance depends on the stored row
#: (each row has its own buffer), so the index condition is spelled out with the largest
#: distance that can matter and ``ST_DWithin`` then decides with the row's own distance.
CHECK_SQL = """
SELECT q.k - 1, s.obj_id, s.vol
FROM unnest(%(g)s::text[]::geography[], %(t0)s::float8[], %(t1)s::float8[],
            %(lo)s::float8[], %(hi)s::float8[]) WITH ORDINALITY AS q(g, t0, t1, lo, hi, k)
JOIN vols s ON s.geog && _ST_Expand(q.g, %(reach)s)
WHERE s.t0 < q.t1 AND q.t0 < s.t1 AND s.lo <= q.hi AND q.lo <= s.hi
  AND s.owner <> %(owner)s
  AND (s.kind = 'operation' OR NOT (%(parties)s::text[] <@ s.parties))
  AND ST_DWithin(s.geog, q.g, greatest(s.buf, %(qbuf)s))
"""
#: the same query deciding with ``ST_Distance``: in PostGIS 3.3 ``ST_DWithin`` on two
#: geography polygons that do not meet can take ~10 ms (it runs a slow containment test)
#: where ``ST_Distance`` takes well under 1 ms, so this variant has a much shorter tail
CHECK_SQL_DISTANCE = CHECK_SQL.replace(
    "ST_DWithin(s.geog, q.g, greatest(s.buf, %(qbuf)s))",
    "ST_Distance(s.geog, q.g) <= greatest(s.buf, %(qbuf)s)",
)
#: name in the results → query
VARIANTS = {"postgis": CHECK_SQL, "postgis_distance": CHECK_SQL_DISTANCE}
_STAGE = """
CREATE TABLE stage (obj_id text, vol int, kind text, owner text, parties text[], buf float8,
                    t0 float8, t1 float8, lo float8, hi float8, shape text, wkt text,
                    radius float8)
"""


def row_wkt(r: VolumeRow) -> str:
    """EWKT of a row's core: the centre point, the polygon or the corridor's path."""
    pts = r.points
    if r.shape == "circle":
        return f"SRID=4326;POINT({pts[0][1]!r} {pts[0][0]!r})"
    xy = ", ".join(f"{lon!r} {lat!r}" for lat, lon in pts)
    if r.shape == "polygon":
        return f"SRID=4326;POLYGON(({xy}, {pts[0][1]!r} {pts[0][0]!r}))"
    return f"SRID=4326;LINESTRING({xy})"


def _stage_tuple(r: VolumeRow) -> tuple[object, ...]:
    return (
        r.obj_id, r.vol, r.kind, r.owner, sorted(r.parties), r.buffer_m, r.t0, r.t1,
        r.alt_lower_m, r.alt_upper_m, r.shape, row_wkt(r), r.radius_m,
    )


class PostgisChecker:
    """Stored volumes in PostGIS and the prepared conflict query."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self.timings: dict[str, float] = {}
        self.settings: dict[str, str] = {}
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.max_buffer_m = 0.0

    @classmethod
    @contextlib.contextmanager
    def started(cls) -> Iterator[PostgisChecker]:
        """A fresh server, tuned, and a checker connected to it."""
        t = time.perf_counter()
        with PostgresServer() as server:
            checker = cls(server)
            checker.timings["server_start_s"] = time.perf_counter() - t
            checker._tune()
            checker.conn = psycopg.connect(server.dsn, autocommit=True)
            try:
                yield checker
            finally:
                checker.conn.close()

    def _tune(self) -> None:
        """Apply :data:`PG_TUNING` (restarting for ``shared_buffers``); record what holds."""
        with psycopg.connect(self.server.dsn, autocommit=True) as conn:
            for name, value in PG_TUNING.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            conn.execute("SELECT pg_reload_conf()")
        base = self.server.base_dir
        assert base is not None
        # The harness has no restart; pg_ctl's own restart, as the harness runs it.
        restart = self.server._pg_ctl(
            "restart", "-w", "-t", "60", "-l", str(base / "server.log"),
            "-o", f"-p {self.server.port}",
        )
        with contextlib.suppress(RuntimeError):
            self.server._run(restart, as_service=True)
        for _ in range(100):
            try:
                with psycopg.connect(self.server.dsn, autocommit=True) as conn:
                    for name in PG_TUNING:
                        row = conn.execute(f"SHOW {name}").fetchone()
                        self.settings[name] = str(row[0]) if row else "?"
                    row = conn.execute("SELECT postgis_lib_version(), version()").fetchone()
                    assert row is not None
                    self.settings["postgis"] = str(row[0])
                    self.settings["postgresql"] = str(row[1]).split(" on ")[0]
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not come back after the restart")

    def load(self, rows: Sequence[VolumeRow]) -> None:
        """Copy the rows in, convert them to geography, index and analyse."""
        assert self.conn is not None
        c = self.conn
        t = time.perf_counter()
        c.execute(_STAGE)
        with c.cursor() as cur, cur.copy("COPY stage FROM STDIN") as copy:
            for r in rows:
                copy.write_row(_stage_tuple(r))
        self.timings["copy_s"] = time.perf_counter() - t
        t = time.perf_counter()
        c.execute(_LOAD)
        c.execute("DROP TABLE stage")
        self.timings["convert_s"] = time.perf_counter() - t
        t = time.perf_counter()
        c.execute("CREATE INDEX vols_geog ON vols USING gist (geog)")
        c.execute("CREATE INDEX vols_time ON vols (t0, t1)")
        c.execute("VACUUM ANALYZE vols")
        self.timings["index_s"] = time.perf_counter() - t
        with contextlib.suppress(psycopg.Error):
            c.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            c.execute("SELECT pg_prewarm('vols'), pg_prewarm('vols_geog'), pg_prewarm('vols_time')")
        row = c.execute("SELECT coalesce(max(buf), 0) FROM vols").fetchone()
        self.max_buffer_m = float(row[0]) if row else 0.0
        row = c.execute("SELECT pg_total_relation_size('vols')").fetchone()
        self.settings["table_bytes"] = str(row[0]) if row else "?"

    def geographies(self, rows: Sequence[VolumeRow]) -> list[str]:
        """Hex EWKB of each row converted as the stored ones are (done before timing)."""
        assert self.conn is not None
        sql = "SELECT (" + _CONVERT.format(shape="%s", wkt="%s", radius="%s") + ")::text"
        out = []
        for r in rows:
            row = self.conn.execute(sql, (r.shape, row_wkt(r), row_wkt(r), r.radius_m)).fetchone()
            assert row is not None
            out.append(str(row[0]))
        return out

    def params(self, op: Operation, rows: Sequence[VolumeRow]) -> dict[str, object]:
        """The check query's parameters for ``op``."""
        return {
            "g": self.geographies(rows),
            "t0": [r.t0 for r in rows],
            "t1": [r.t1 for r in rows],
            "lo": [r.alt_lower_m for r in rows],
            "hi": [r.alt_upper_m for r in rows],
            "reach": max(op.buffer_m, self.max_buffer_m) + 1.0,
            "qbuf": op.buffer_m,
            "owner": op.owner,
            "parties": sorted(op.participants),
        }

    def check(self, params: dict[str, object], sql: str = CHECK_SQL) -> list[tuple[int, str, int]]:
        """``(query volume, stored id, stored volume)`` of every conflict."""
        assert self.conn is not None
        rows = self.conn.execute(sql, params, prepare=True).fetchall()
        return [(int(k), str(i), int(v)) for k, i, v in rows]

    def distance_m(self, geography: str, obj_id: str, vol: int) -> float:
        """PostGIS's own distance between a query geography and a stored volume."""
        assert self.conn is not None
        row = self.conn.execute(
            "SELECT ST_Distance(geog, %s::geography) FROM vols WHERE obj_id = %s AND vol = %s",
            (geography, obj_id, vol),
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else math.nan

    def plan(self, params: dict[str, object], sql: str = CHECK_SQL) -> str:
        """``EXPLAIN ANALYZE`` of one check, for the report."""
        assert self.conn is not None
        rows = self.conn.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params).fetchall()
        return "\n".join(str(r[0]) for r in rows)


def shapely_geometry(r: VolumeRow) -> shapely.Geometry:
    """The naive planar geometry: lon/lat degrees, metres turned into degrees at the equator."""
    xy = [(lon, lat) for lat, lon in r.points]
    if r.shape == "circle":
        return shapely.Point(xy[0]).buffer(r.radius_m / METRES_PER_DEGREE)
    if r.shape == "polygon":
        return shapely.Polygon(xy)
    return shapely.LineString(xy).buffer(r.radius_m / METRES_PER_DEGREE)


class ShapelyLoop:
    """A Python loop over every stored volume: no index, planar degrees."""

    def __init__(self, rows: Sequence[VolumeRow]) -> None:
        self.stored = [
            (
                r.t0, r.t1, r.alt_lower_m, r.alt_upper_m, r.owner, r.kind == "zone", r.parties,
                r.buffer_m, shapely_geometry(r), r.obj_id, r.vol,
            )
            for r in rows
        ]

    def check(
        self, op: Operation, rows: Sequence[VolumeRow], geoms: Sequence[shapely.Geometry]
    ) -> list[tuple[int, str, int]]:
        """``(query volume, stored id, stored volume)`` of every conflict."""
        out = []
        owner, parties, qbuf = op.owner, op.participants, op.buffer_m
        for k, (q, g) in enumerate(zip(rows, geoms, strict=True)):
            for t0, t1, lo, hi, s_owner, is_zone, allowed, buf, geom, oid, vol in self.stored:
                if not (t0 < q.t1 and q.t0 < t1 and lo <= q.alt_upper_m and q.alt_lower_m <= hi):
                    continue
                if s_owner == owner or (is_zone and parties <= allowed):
                    continue
                if geom.distance(g) <= max(buf, qbuf) / METRES_PER_DEGREE:
                    out.append((k, oid, vol))
        return out
