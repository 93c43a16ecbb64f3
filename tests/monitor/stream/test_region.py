"""Region partitioning in process: the partitioner (owner, ghosts, leave notices, the halo
bound, determinism), the v2 codec, and the ownership filter of the partitions' monitors,
whose events together are those of one monitor over the whole stream."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from regionhelp import (
    CELL_DEG,
    FRINGE_M,
    HALO_M,
    MAX_SPEED_MPS,
    MONITOR,
    event_keys,
    region_batches,
)

from deconfliction.channel.service import Service
from deconfliction.core.errors import ValidationError
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import DEFAULT_CONFIG
from deconfliction.monitor.events import Event, MonitorConfig
from deconfliction.monitor.live import LiveMonitor
from deconfliction.monitor.simulate import START
from deconfliction.monitor.stream import StreamConfig
from deconfliction.monitor.stream.codec import decode_batch, decode_message, encode_batch
from deconfliction.monitor.stream.region import (
    FAR,
    GHOST,
    LEAVE,
    NONE,
    OWNED,
    cell_partition,
    cells_of,
    min_fringe_m,
    min_halo_m,
    region_status,
)
from deconfliction.scenario.service_load import load_attanf
from deconfliction.store import open_store

GEOD = Geod(ellps="WGS84")
T0 = START.timestamp()
PARTITIONS = 6


# -- the partitioner -------------------------------------------------------------------------

def _distance_to_cells_m(lat: float, lon: float, cells: list[tuple[int, int]],
                         cell_deg: float) -> float:
    """The least geodesic distance from a point to the cells (sampled on a fine grid)."""
    best = np.inf
    for row, col in cells:
        s = np.linspace(0.0, cell_deg, 21)
        la, lo = np.meshgrid(row * cell_deg - 90.0 + s, col * cell_deg - 180.0 + s)
        _, _, d = GEOD.inv(np.full(la.size, lon), np.full(la.size, lat), lo.ravel(), la.ravel())
        best = min(best, float(d.min()))
    return best


def test_each_report_has_one_owner_the_partition_of_its_cell() -> None:
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(-89.9, 89.9, 5000), rng.uniform(-180.0, 180.0, 5000)
    status = region_status(lat, lon, PARTITIONS, CELL_DEG, HALO_M, FRINGE_M)
    assert ((status == OWNED).sum(axis=1) == 1).all()
    row, col = cells_of(lat, lon, CELL_DEG)
    assert (np.argmax(status == OWNED, axis=1) == cell_partition(row, col, PARTITIONS)).all()
    assert set(np.unique(status).tolist()) == {NONE, OWNED, GHOST, FAR, LEAVE}


def test_ghosts_cover_the_halo_and_leave_notices_the_fringe() -> None:
    """A partition with a cell within ``halo_m`` of a report gets it as a ghost (or owns it);
    one with a cell within ``halo_m + fringe_m`` gets at least a leave notice."""
    cell_deg = 0.5
    rng = np.random.default_rng(2)
    lat, lon = rng.uniform(-70.0, 70.0, 12), rng.uniform(-180.0, 180.0, 12)
    lat[:3], lon[:3] = [33.5, 0.01, -45.0], [179.99, 38.0, -179.99]  # and the antimeridian
    status = region_status(lat, lon, PARTITIONS, cell_deg, HALO_M, FRINGE_M)
    reach = int((HALO_M + FRINGE_M) / 40_000.0) + 2  # cells of >= 40 km, enough around
    for i in range(lat.size):
        r0, c0 = (int(a[0]) for a in cells_of(lat[i:i + 1], lon[i:i + 1], cell_deg))
        near = [(r, (c0 + dc) % 720) for r in range(r0 - reach, r0 + reach + 1)
                for dc in range(-reach * 3, reach * 3 + 1)]
        by_part: dict[int, list[tuple[int, int]]] = {}
        for r, c in near:
            p = int(cell_partition(np.array([r]), np.array([c]), PARTITIONS)[0])
            by_part.setdefault(p, []).append((r, c))
        for p, cells in by_part.items():
            d = _distance_to_cells_m(float(lat[i]), float(lon[i]), cells, cell_deg)
            if d <= min(HALO_M, FRINGE_M):
                assert status[i, p] in (OWNED, GHOST), (i, p, d)
            elif d <= HALO_M:
                assert status[i, p] in (OWNED, GHOST, FAR), (i, p, d)
            elif d <= HALO_M + FRINGE_M:
                assert status[i, p] != NONE, (i, p, d)


@settings(max_examples=50, deadline=None)
@given(st.floats(-89.0, 89.0), st.floats(-180.0, 180.0), st.floats(0.0, 359.0),
       st.floats(0.0, FRINGE_M))
def test_a_track_leaving_a_halo_meets_its_fringe(lat: float, lon: float, az: float,
                                                 step_m: float) -> None:
    """The next report of a track (at most ``fringe_m`` on) is seen by every partition that
    had the last one, as owned, ghost or leave notice: none loses sight of it silently."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, az, step_m)
    st0, st1 = region_status(np.array([lat, lat2]), np.array([lon, lon2]), PARTITIONS,
                             CELL_DEG, HALO_M, FRINGE_M)
    had = (st0 == OWNED) | (st0 == GHOST) | (st0 == FAR)
    assert (st1[had] != NONE).all()
    # a report a partition owns: the one before it was predicted there (owned or a near
    # ghost, never FAR), whichever way round the two come
    assert st0[st1 == OWNED].tolist() in ([OWNED], [GHOST])
    assert st1[st0 == OWNED].tolist() in ([OWNED], [GHOST])


def test_the_partitioner_is_deterministic_and_ignores_the_workers() -> None:
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(30, 36, 1000), rng.uniform(35, 41, 1000)
    a = region_status(lat, lon, 12, 1.0, 100_000.0, 20_000.0)
    order = rng.permutation(1000)
    b = region_status(lat[order], lon[order], 12, 1.0, 100_000.0, 20_000.0)
    assert (a[order] == b).all()
    # a regional stream spreads: every partition owns some of a 6 x 6 degree area
    assert set(np.argmax(a == OWNED, axis=1).tolist()) == set(range(12))


def test_the_halo_bound() -> None:
    c = MonitorConfig(proximity_m=5_000.0, lookahead_s=300.0, stale_s=120.0)
    # proximity reach: 5 km + 100 m + 2 x 300 m/s x (300 s + 120 s); plus one step
    assert min_halo_m(c, 300.0) == pytest.approx(5_100.0 + 252_000.0 + 36_000.0)
    assert min_fringe_m(c, 300.0) == 36_000.0
    slow = MonitorConfig(proximity_m=0.0, dwell_enter_s=30.0, dwell_exit_m=500.0,
                         stale_s=120.0)
    assert min_halo_m(slow, 100.0) == pytest.approx(100.0 * 150.0 + 500.0 + 12_000.0)
    cfg = StreamConfig(max_speed_mps=300.0)
    assert cfg.halo() == min_halo_m(DEFAULT_CONFIG, 300.0)
    cfg.check_monitor(DEFAULT_CONFIG)
    with pytest.raises(ValidationError, match="halo"):
        cfg.check_monitor(MonitorConfig(lookahead_s=600.0))
    StreamConfig(partition_by="track").check_monitor(MonitorConfig(lookahead_s=600.0))
    with pytest.raises(ValidationError, match="partition_by"):
        StreamConfig(partition_by="country")
    for bad in (0.0, 0.7, 100.0, float("nan")):
        with pytest.raises(ValidationError, match="cell_deg"):
            StreamConfig(cell_deg=bad)
    assert StreamConfig(cell_deg=0.25).cell_deg == 0.25


# -- the codec -------------------------------------------------------------------------------

def _batch() -> TrackBatch:
    return TrackBatch.of(track=["a", "b", "c"], party=["p", "q", ""], t_s=[1.0, 2.0, 3.0],
                         lat=[33.0, 34.0, 35.0], lon=[38.0, 39.0, 40.0])


def test_codec_v2_round_trips_the_status() -> None:
    status = np.array([OWNED, GHOST, LEAVE], dtype=np.int8)
    b, got = decode_message(encode_batch(_batch(), status))
    assert got.tolist() == [0, 1, 2] and got.dtype == np.int8
    assert b.track.tolist() == ["a", "b", "c"] and b.lat.tolist() == [33.0, 34.0, 35.0]
    assert msgpack.unpackb(encode_batch(_batch(), status))["v"] == 2
    # all owned: no status column on the wire
    assert "status" not in msgpack.unpackb(encode_batch(_batch(), np.zeros(3, np.int8)))


def test_codec_still_reads_version_1_as_all_owned() -> None:
    doc = msgpack.unpackb(encode_batch(_batch()))
    doc["v"] = 1
    b, status = decode_message(msgpack.packb(doc, use_bin_type=True))
    assert status.tolist() == [0, 0, 0] and b.track.tolist() == ["a", "b", "c"]
    assert decode_batch(msgpack.packb(doc)).track.size == 3
    doc["v"] = 3
    with pytest.raises(ValidationError, match="track message"):
        decode_message(msgpack.packb(doc, use_bin_type=True))


# -- the ownership filter --------------------------------------------------------------------

@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Service:
    path: Path = tmp_path_factory.mktemp("region") / "d.db"
    s = Service(open_store(path))
    load_attanf(s)
    return s


def _live(service: Service) -> LiveMonitor:
    live = LiveMonitor(config=MONITOR)
    live.follow(service, 0.0)
    return live


def _step(live: LiveMonitor, service: Service, b: TrackBatch, status: list[int]) -> list[Event]:
    return live.step(service, b, np.array(status, dtype=np.int8))


def _one(t: float, lon: float, track: str = "rf") -> TrackBatch:
    # At Tanf's zone reaches from about 38.02 E to 39.21 E at 33.5 N
    return TrackBatch.of(track=[track], party=["russia"], t_s=[t], lat=[33.5], lon=[lon],
                         alt_m=[3_000.0], speed_mps=[0.0], heading_deg=[0.0])


def test_a_ghost_only_track_raises_nothing(service: Service) -> None:
    live = _live(service)
    got = [e for t, lon in enumerate([37.9, 38.2, 38.5, 37.9]) for e in
           _step(live, service, _one(T0 + 10 * t, lon), [GHOST])]
    assert got == [] and live.owned == set()
    assert live.monitor is not None and live.monitor.tracks == 1  # followed all the same
    # the same reports, owned: enters and exits
    own = _live(service)
    kinds = [e.kind for t, lon in enumerate([37.9, 38.2, 38.5, 37.9]) for e in
             _step(own, service, _one(T0 + 10 * t, lon), [OWNED])]
    assert kinds.count("enter") >= 1 and kinds.count("enter") == kinds.count("exit")


def test_a_handover_raises_each_event_once(service: Service) -> None:
    """Two partitions follow a track that enters the zone owned by one, crosses to the
    other inside the zone, and leaves: the enters and exits of one monitor, once each."""
    a, b, one = _live(service), _live(service), _live(service)
    steps = [(37.9, OWNED, GHOST), (38.1, OWNED, GHOST), (38.3, GHOST, OWNED),
             (38.6, GHOST, OWNED), (39.5, GHOST, OWNED)]
    got: list[Event] = []
    want: list[Event] = []
    for t, (lon, sa, sb) in enumerate(steps):
        ea = _step(a, service, _one(T0 + 10 * t, lon), [sa])
        eb = _step(b, service, _one(T0 + 10 * t, lon), [sb])
        assert not (ea and eb)
        got += ea + eb
        want += one.step(service, _one(T0 + 10 * t, lon))
    kinds = Counter(e.kind for e in got)
    assert kinds["enter"] >= 1 and kinds["enter"] == kinds["exit"]
    assert event_keys(got) == event_keys(want)
    assert a.owned == set() and b.owned == {"rf"}


def test_a_leave_notice_forgets_the_track(service: Service) -> None:
    live = _live(service)
    _step(live, service, _one(T0, 38.3), [GHOST])
    assert live.monitor is not None and live.monitor.tracks == 1
    assert _step(live, service, _one(T0 + 10, 38.4), [LEAVE]) == []
    assert live.monitor.tracks == 0
    # back in the halo, then owned: it starts afresh, and its first owned report tells
    _step(live, service, _one(T0 + 20, 38.5), [GHOST])
    assert [e.kind for e in _step(live, service, _one(T0 + 30, 38.5), [OWNED])] == []


def test_reports_after_a_leave_notice_in_the_same_batch_start_afresh(service: Service) -> None:
    live = _live(service)
    assert [e.kind for e in _step(live, service, _one(T0, 38.3), [OWNED])] == ["enter"]
    both = TrackBatch.concat([_one(T0 + 20, 38.3), _one(T0 + 10, 38.3)])
    # the notice forgets the track; the report after it is a new track's first, inside
    assert [e.kind for e in _step(live, service, both, [OWNED, LEAVE])] == ["enter"]
    # a notice after the last report: forgotten, nothing ingested
    again = TrackBatch.concat([_one(T0 + 30, 38.3), _one(T0 + 40, 38.3)])
    assert _step(live, service, again, [OWNED, LEAVE]) == []
    assert live.monitor is not None and live.monitor.tracks == 0 and live.owned == set()


def _partitioned(service: Service, batches: list[TrackBatch], partitions: int,
                 cell_deg: float = CELL_DEG) -> tuple[list[Event], dict[int, int]]:
    """Every partition's events, each partition fed its share of every batch; and how many
    reports each partition got."""
    base = _live(service)
    parts = [base.fork() for _ in range(partitions)]
    events: list[Event] = []
    got = dict.fromkeys(range(partitions), 0)
    for b in batches:
        status = region_status(b.lat, b.lon, partitions, cell_deg, HALO_M, FRINGE_M)
        for p, live in enumerate(parts):
            idx = np.nonzero(status[:, p] != NONE)[0]
            if idx.size:
                events += live.step(service, b.take(idx), status[idx, p])
                got[p] += idx.size
    return events, got


def test_partitions_by_region_raise_what_one_monitor_raises(service: Service) -> None:
    batches = region_batches()
    one = _live(service)
    want = [e for b in batches for e in one.step(service, b)]
    kinds = Counter(e.kind for e in want if e.kind in ("enter", "exit", "proximity"))
    assert kinds["enter"] >= 8 and kinds["exit"] >= 8 and kinds["proximity"] >= 6, kinds
    reports = sum(len(b) for b in batches)
    for partitions in (1, 3, PARTITIONS, 17):
        got, share = _partitioned(service, batches, partitions)
        assert event_keys(got) == event_keys(want), partitions
        copies = sum(share.values()) / reports
        assert partitions < PARTITIONS or 1.0 < copies < 0.8 * partitions, (partitions, copies)


def test_close_pairs_span_partitions(service: Service) -> None:
    """Some pairs found in proximity are owned by different partitions when found (the case
    partitioning by track missed), and each partition raises its own track's event."""
    batches = region_batches()
    one = _live(service)
    split = set()
    for b in batches:
        owner = np.argmax(region_status(b.lat, b.lon, PARTITIONS, CELL_DEG, HALO_M, FRINGE_M)
                          == OWNED, axis=1)
        where = dict(zip(b.track.tolist(), owner.tolist(), strict=True))
        for e in one.step(service, b):
            if e.kind == "proximity" and where[e.track] != where[e.other_track]:
                split.add(e.track)
    assert {"co-f15.1", "rf-su35.1"} <= split
    assert MAX_SPEED_MPS >= 220.0  # the scenario's fastest


def test_predictions_hand_over_once_across_partitions(service: Service) -> None:
    """Tracks predicting their entry into At Tanf's zone (its rim near 38.02 E) cross the
    38 E cell border, from one partition to another, while they predict it: the new owner
    knows what the report before predicted (that report was a near ghost there, never a
    ``FAR`` one), so ``predicted`` is raised once per track, as by one monitor."""
    v, step_s = 250.0, 10.0
    lats = [33.40, 33.45, 33.50, 33.55, 33.60]
    batches = []
    for k in range(16):
        lon0 = [37.62 + 0.005 * i for i in range(len(lats))]  # phases across the border
        lon = [x + v * step_s * k / (111_320.0 * np.cos(np.radians(la)))
               for x, la in zip(lon0, lats, strict=True)]
        batches.append(TrackBatch.of(
            track=[f"h{i}" for i in range(len(lats))], party=["russia"] * len(lats),
            t_s=[T0 + step_s * k] * len(lats), lat=lats, lon=lon, alt_m=[3_000.0] * len(lats),
            speed_mps=[v] * len(lats), heading_deg=[90.0] * len(lats)))
    row, col = cells_of(np.array([33.5, 33.5]), np.array([37.9, 38.1]), CELL_DEG)
    for partitions in (3, PARTITIONS, 17):
        owners = cell_partition(row, col, partitions)
        assert owners[0] != owners[1], partitions
    one = _live(service)
    want = [e for b in batches for e in one.step(service, b)]
    assert Counter(e.kind for e in want)["predicted"] == len(lats)
    for partitions in (3, PARTITIONS, 17):
        got, _ = _partitioned(service, batches, partitions)
        assert event_keys(got) == event_keys(want), partitions
        status = np.concatenate([region_status(b.lat, b.lon, partitions, CELL_DEG, HALO_M,
                                               FRINGE_M) for b in batches])
        assert (status == FAR).any()  # the far ghosts were not predicted
