"""Properties of the conflict check, explored with hypothesis.

* symmetry: ``check_volumes(a, b, r)`` and ``check_volumes(b, a, r)`` agree, and so do
  ``ConflictIndex([A]).check(B)`` and ``ConflictIndex([B]).check(A)`` when the rules are
  symmetric;
* moving both volumes in time by the same amount changes nothing;
* a bigger required separation never removes a conflict, and a conflict appears exactly
  when the required separation reaches the separation;
* a volume never conflicts with a copy of itself that is disjoint in time or altitude;
* the index (``ConflictIndex.check``) finds exactly what a brute-force loop over
  ``check_volumes`` and ``rules.rule_between`` finds, through removals, re-additions and the
  tree rebuilds after many additions, and misses nothing at the edge of a buffer.

Objects are drawn around one site (mid or high latitude, or on the antimeridian) so that
they interact; times are whole hours and altitudes whole hundreds of metres, so touching
ends and touching bands are common.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconfliction.core.conflict import Conflict
from deconfliction.core.distance import separation
from deconfliction.core.engine import ConflictIndex, check_volumes
from deconfliction.core.errors import ValidationError
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Polygon
from deconfliction.core.rules import rule_between
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

Outline = Circle | Polygon | Corridor
Obj = Zone | Operation
LatLon = tuple[float, float]

GEOD = Geod(ellps="WGS84")
T0 = datetime(2030, 1, 1, tzinfo=UTC)
PARTIES = ("red", "blue", "green", "white")
BINDING = (OperationState.PROPOSED, OperationState.ACCEPTED, OperationState.ACTIVE)
SEP_TOL_M = 1e-6

SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=SLOW_OK,
)
WORLD = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=SLOW_OK,
)


def _fwd(lat: float, lon: float, az: float, dist: float) -> LatLon:
    lon2, lat2, _ = GEOD.fwd(lon, lat, az, dist)
    return float(lat2), float(lon2)


# --------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------


@st.composite
def sites(draw: st.DrawFn, max_lat: float = 75.0) -> LatLon:
    """Where a cluster of objects is: mid latitudes, high latitudes or the antimeridian."""
    where = draw(st.sampled_from(["mid", "high", "antimeridian"]))
    if where == "mid":
        return draw(st.floats(-60, 60)), draw(st.floats(-180, 180))
    if where == "high":
        lat = draw(st.floats(60, max_lat))
        return (lat if draw(st.booleans()) else -lat), draw(st.floats(-180, 180))
    side = draw(st.floats(178.5, 180.0))
    return draw(st.floats(-70, 70)), (side if draw(st.booleans()) else -side)


@st.composite
def outlines(draw: st.DrawFn, site: LatLon, spread_m: float = 150_000.0,
             max_size_m: float = 200_000.0) -> Outline:
    """A circle, star-shaped polygon (sometimes with a hole) or corridor near ``site``."""
    centre = _fwd(*site, draw(st.floats(0, 360)), draw(st.floats(0, spread_m)))
    size = math.exp(draw(st.floats(math.log(50.0), math.log(max_size_m))))
    kind = draw(st.sampled_from(["circle", "polygon", "corridor"]))
    if kind == "circle":
        return Circle(*centre, size / 2)
    if kind == "corridor":
        pts = [centre]
        heading = draw(st.floats(0, 360))
        for _ in range(draw(st.integers(1, 3))):
            pts.append(_fwd(*pts[-1], heading, size * draw(st.floats(0.3, 1.5))))
            heading += draw(st.floats(-150, 150))
        return Corridor(tuple(pts), size * draw(st.floats(0.0001, 0.3)))
    n = draw(st.integers(3, 8))
    step = 360.0 / n
    jitter = 0.2 if n == 3 else 0.3
    rot = draw(st.floats(0, 360))
    ring = tuple(
        _fwd(*centre, rot + step * (k + draw(st.floats(-jitter, jitter))),
             size / 2 * draw(st.floats(0.45, 1.0)))
        for k in range(n)
    )
    holes: tuple[tuple[LatLon, ...], ...] = ()
    if n >= 5 and draw(st.integers(0, 3)) == 0:
        holes = (tuple(_fwd(*centre, rot + 120.0 * k, size * 0.08) for k in range(3)),)
    try:
        return Polygon(ring, holes=holes)
    except ValidationError:
        assume(False)
        raise


@st.composite
def times(draw: st.DrawFn) -> TimeInterval:
    """Whole hours in the first days of 2030; now and then an open end."""
    start = draw(st.integers(0, 48))
    end = start + draw(st.integers(1, 24))
    open_start = draw(st.integers(0, 9)) == 0
    open_end = draw(st.integers(0, 9)) == 0
    return TimeInterval(
        None if open_start else T0 + timedelta(hours=start),
        None if open_end else T0 + timedelta(hours=end),
    )


@st.composite
def volumes(draw: st.DrawFn, site: LatLon) -> Volume4D:
    """An outline near ``site``, a band of whole hundreds of metres and whole hours."""
    lo = 100.0 * draw(st.integers(0, 40))
    hi = lo + 100.0 * draw(st.integers(0, 30))
    return Volume4D(draw(outlines(site)), lo, hi, draw(times()))


buffers = st.one_of(st.just(0.0), st.floats(0.0, 5_000.0), st.floats(0.0, 100_000.0))


@st.composite
def objects(draw: st.DrawFn, site: LatLon, obj_id: str, max_volumes: int = 3) -> Obj:
    """A zone or an operation (any state) with 1-3 volumes near ``site``."""
    vols = draw(st.lists(volumes(site), min_size=1, max_size=max_volumes))
    owner = draw(st.sampled_from(PARTIES))
    others = st.frozensets(st.sampled_from(PARTIES), max_size=3)
    if draw(st.integers(0, 2)) == 0:
        return Zone(id=obj_id, name=obj_id, owner=owner, volumes=tuple(vols),
                    allowed=draw(others), buffer_m=draw(buffers))
    return Operation(
        id=obj_id, name=obj_id, owner=owner, volumes=tuple(vols), participants=draw(others),
        state=draw(st.sampled_from(list(OperationState))), buffer_m=draw(buffers),
    )


@st.composite
def worlds(draw: st.DrawFn, max_objects: int = 30) -> tuple[LatLon, list[Obj]]:
    """A site and 5 to ``max_objects`` objects around it."""
    site = draw(sites())
    n = draw(st.integers(5, max_objects))
    return site, [draw(objects(site, f"o{k}", max_volumes=2)) for k in range(n)]


@st.composite
def volume_pairs(draw: st.DrawFn) -> tuple[Volume4D, Volume4D]:
    """Two volumes near the same site."""
    site = draw(sites())
    return draw(volumes(site)), draw(volumes(site))


# --------------------------------------------------------------------------------------------
# brute force
# --------------------------------------------------------------------------------------------

Key = tuple[int, str, int]


def brute_force(subject: Obj, stored: Iterable[Obj]) -> dict[Key, tuple[object, ...]]:
    """Every conflict of ``subject`` with ``stored``, pair by pair, with the public rules."""
    out: dict[Key, tuple[object, ...]] = {}
    for obj in stored:
        if obj.id == subject.id:
            continue
        if isinstance(obj, Operation) and not obj.binding:
            continue
        rule = rule_between(subject, obj)
        if rule is None:
            continue
        required = max(subject.buffer_m, obj.buffer_m)
        for k, v in enumerate(subject.volumes):
            for j, w in enumerate(obj.volumes):
                hit = check_volumes(v, w, required)
                if hit is not None:
                    out[(k, obj.id, j)] = (
                        hit[0], rule[0], rule[1], v.time.intersection(w.time), v.alt_overlap(w),
                        required,
                    )
    return out


def found(conflicts: list[Conflict]) -> dict[Key, tuple[object, ...]]:
    """The engine's conflicts in :func:`brute_force`'s shape."""
    out: dict[Key, tuple[object, ...]] = {}
    for c in conflicts:
        key = (c.a_volume, c.b_id, c.b_volume)
        assert key not in out, f"conflict {key} reported twice"
        out[key] = (
            c.separation_m, c.reason, c.parties, c.time, (c.alt_lower_m, c.alt_upper_m),
            c.required_separation_m,
        )
    return out


def assert_same(got: dict[Key, tuple[object, ...]], want: dict[Key, tuple[object, ...]]) -> None:
    """The same conflicts, with the same data (separations to :data:`SEP_TOL_M`)."""
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing and not extra, f"missed {missing} ({[want[k] for k in missing]}), " \
        f"extra {extra} ({[got[k] for k in extra]})"
    for key, w in want.items():
        g = got[key]
        assert abs(float(g[0]) - float(w[0])) <= SEP_TOL_M, (key, g, w)  # type: ignore[arg-type]
        assert g[1:] == w[1:], (key, g, w)


def swapped(conflicts: list[Conflict]) -> dict[tuple[int, int], tuple[object, ...]]:
    """Conflicts keyed by (stored volume, subject volume)."""
    return {(c.b_volume, c.a_volume): (c.separation_m, c.reason, c.parties, c.time,
                                       c.alt_lower_m, c.alt_upper_m) for c in conflicts}


def direct(conflicts: list[Conflict]) -> dict[tuple[int, int], tuple[object, ...]]:
    """Conflicts keyed by (subject volume, stored volume)."""
    return {(c.a_volume, c.b_volume): (c.separation_m, c.reason, c.parties, c.time,
                                       c.alt_lower_m, c.alt_upper_m) for c in conflicts}


def assert_mirror(ab: list[Conflict], ba: list[Conflict]) -> None:
    """``ab`` (B checked against stored A) mirrors ``ba`` (A checked against stored B)."""
    x, y = direct(ab), swapped(ba)
    assert set(x) == set(y), (sorted(x), sorted(y))
    for key in x:
        assert abs(float(x[key][0]) - float(y[key][0])) <= SEP_TOL_M  # type: ignore[arg-type]
        assert x[key][1:] == y[key][1:]


# --------------------------------------------------------------------------------------------
# symmetry
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(volume_pairs(), st.one_of(st.just(0.0), st.floats(0.0, 50_000.0)))
def test_check_volumes_is_symmetric(pair: tuple[Volume4D, Volume4D], required: float) -> None:
    a, b = pair
    ab, ba = check_volumes(a, b, required), check_volumes(b, a, required)
    assert (ab is None) == (ba is None), (ab, ba)
    if ab is not None and ba is not None:
        assert abs(ab[0] - ba[0]) <= SEP_TOL_M


@PROPERTY
@given(st.data())
def test_index_check_is_symmetric(data: st.DataObject) -> None:
    site = data.draw(sites())
    vols_a = data.draw(st.lists(volumes(site), min_size=1, max_size=3))
    vols_b = data.draw(st.lists(volumes(site), min_size=1, max_size=3))
    owner_a, owner_b = data.draw(st.permutations(PARTIES))[:2]
    a: Obj = Operation(id="a", name="a", owner=owner_a, volumes=tuple(vols_a),
                       state=data.draw(st.sampled_from(BINDING)), buffer_m=data.draw(buffers))
    b: Obj = Operation(id="b", name="b", owner=owner_b, volumes=tuple(vols_b),
                       state=data.draw(st.sampled_from(BINDING)), buffer_m=data.draw(buffers))
    if data.draw(st.booleans()):  # a zone that b's parties may not enter
        a = Zone(id="a", name="a", owner=owner_a, volumes=tuple(vols_a),
                 buffer_m=data.draw(buffers))
    assert rule_between(a, b) is not None
    assert_mirror(ConflictIndex([a]).check(b), ConflictIndex([b]).check(a))


# --------------------------------------------------------------------------------------------
# time shifts
# --------------------------------------------------------------------------------------------

shifts = st.integers(-(10**9), 10**9)


@PROPERTY
@given(volume_pairs(), buffers, shifts)
def test_shifting_both_in_time_changes_nothing(
    pair: tuple[Volume4D, Volume4D], required: float, seconds: int
) -> None:
    a, b = pair
    assert check_volumes(a.shifted(seconds), b.shifted(seconds), required) == check_volumes(
        a, b, required
    )


def _shift(obj: Obj, seconds: float) -> Obj:
    return obj.revised(volumes=tuple(v.shifted(seconds) for v in obj.volumes))


@WORLD
@given(worlds(max_objects=12), shifts)
def test_shifting_a_world_in_time_changes_nothing(
    site_world: tuple[LatLon, list[Obj]], seconds: int
) -> None:
    _, world = site_world
    moved = [_shift(o, seconds) for o in world]
    index, moved_index = ConflictIndex(world[1:]), ConflictIndex(moved[1:])
    before = found(index.check(world[0]))
    after = found(moved_index.check(moved[0]))
    shifted_before = {
        k: (v[0], v[1], v[2], v[3].shifted(seconds), *v[4:])  # type: ignore[attr-defined]
        for k, v in before.items()
    }
    assert_same(after, shifted_before)


# --------------------------------------------------------------------------------------------
# buffers
# --------------------------------------------------------------------------------------------


def _same_time_and_band(a: Volume4D, b: Volume4D) -> Volume4D:
    return Volume4D(b.outline, a.alt_lower_m, a.alt_upper_m, a.time)


@PROPERTY
@given(volume_pairs(), st.lists(st.floats(0.0, 300_000.0), min_size=2, max_size=6))
def test_conflicts_appear_exactly_at_the_separation(
    pair: tuple[Volume4D, Volume4D], required: list[float]
) -> None:
    a, b = pair[0], _same_time_and_band(*pair)
    s = separation(a.outline, b.outline).separation_m
    cases = sorted({*required, max(s, 0.0), max(math.nextafter(s, -math.inf), 0.0)})
    event("overlapping" if s <= 0 else "apart")
    hits = [check_volumes(a, b, r) is not None for r in cases]
    assert hits == [s <= r for r in cases], (s, cases, hits)
    # monotone: once a conflict, always a conflict
    assert hits == sorted(hits)
    for r, hit in zip(cases, hits, strict=True):
        if hit:
            got = check_volumes(a, b, r)
            assert got is not None and abs(got[0] - s) <= SEP_TOL_M


@PROPERTY
@given(volume_pairs(), buffers, buffers, buffers)
def test_bigger_buffers_never_remove_a_conflict(
    pair: tuple[Volume4D, Volume4D], buf_a: float, buf_b: float, more: float
) -> None:
    a_vol, b_vol = pair
    a = Operation(id="a", name="a", owner="red", volumes=(a_vol,), state="active",
                  buffer_m=buf_a)
    b = Operation(id="b", name="b", owner="blue", volumes=(b_vol,), state="active",
                  buffer_m=buf_b)
    small = direct(ConflictIndex([a]).check(b))
    for bigger_a, bigger_b in ((buf_a + more, buf_b), (buf_a, buf_b + more)):
        big = direct(ConflictIndex([a.revised(buffer_m=bigger_a)]).check(
            b.revised(buffer_m=bigger_b)))
        assert set(small) <= set(big)


# --------------------------------------------------------------------------------------------
# disjoint copies
# --------------------------------------------------------------------------------------------


def _later_copy(v: Volume4D) -> Volume4D:
    """``v`` in a time just after it (or just before, when it is open-ended)."""
    start, end = v.time.start, v.time.end
    if start is not None and end is not None:
        return v.shifted((end - start).total_seconds())
    if start is not None:  # open-ended: the copy ends where v starts
        time = TimeInterval(start - timedelta(hours=5), start)
    else:
        assert end is not None
        time = TimeInterval(end, end + timedelta(hours=5))
    return Volume4D(v.outline, v.alt_lower_m, v.alt_upper_m, time)


@PROPERTY
@given(st.data(), st.floats(0.0, 1e7), st.floats(0.01, 5_000.0))
def test_a_disjoint_copy_never_conflicts(data: st.DataObject, required: float,
                                         gap: float) -> None:
    v = data.draw(volumes(data.draw(sites())))
    if v.time.start is None and v.time.end is None:
        v = Volume4D(v.outline, v.alt_lower_m, v.alt_upper_m,
                     TimeInterval(T0, T0 + timedelta(hours=1)))
    above = Volume4D(v.outline, v.alt_upper_m + gap, v.alt_upper_m + gap + 100.0, v.time)
    for copy in (_later_copy(v), above):
        assert check_volumes(v, copy, required) is None
        assert check_volumes(copy, v, required) is None
        a = Operation(id="a", name="a", owner="red", volumes=(v,), state="active",
                      buffer_m=required)
        b = Operation(id="b", name="b", owner="blue", volumes=(copy,), state="active",
                      buffer_m=required)
        assert ConflictIndex([a]).check(b) == []
        assert ConflictIndex([b]).check(a) == []
    # and the copy itself, in the same time and band, always conflicts
    assert check_volumes(v, v, 0.0) is not None


# --------------------------------------------------------------------------------------------
# the index against brute force
# --------------------------------------------------------------------------------------------


def _assert_index_agrees(index: ConflictIndex, stored: dict[str, Obj],
                         subjects: Iterable[Obj]) -> None:
    assert len(index) == len(stored)
    total = 0
    for subject in subjects:
        want = brute_force(subject, stored.values())
        assert_same(found(index.check(subject)), want)
        total += len(want)
    event(f"conflicts found: {'none' if total == 0 else '1-9' if total < 10 else '10+'}")


def _variant(obj: Obj, k: int) -> Obj:
    """A revised copy: another state, buffer or party mix, by ``k``."""
    if isinstance(obj, Operation):
        states = list(OperationState)
        return obj.revised(state=states[(states.index(obj.state) + k) % len(states)],
                           buffer_m=obj.buffer_m * (k % 3))
    return obj.revised(buffer_m=obj.buffer_m + 100.0 * k,
                       allowed=frozenset(PARTIES[: k % len(PARTIES)]))


@WORLD
@given(worlds(), st.lists(st.tuples(st.sampled_from(["remove", "add", "revise"]),
                                    st.integers(0, 10**6)), max_size=40), st.data())
def test_index_agrees_with_brute_force(
    site_world: tuple[LatLon, list[Obj]], churn: list[tuple[str, int]], data: st.DataObject
) -> None:
    site, world = site_world
    index = ConflictIndex(world)
    stored = {o.id: o for o in world}
    by_id = dict(stored)
    for k, (action, n) in enumerate(churn):
        obj = world[n % len(world)]
        if action == "remove":
            index.remove(obj.id)
            stored.pop(obj.id, None)
        elif action == "add":
            index.add(by_id[obj.id])
            stored[obj.id] = by_id[obj.id]
        else:
            by_id[obj.id] = _variant(by_id[obj.id], k + 1)
            index.add(by_id[obj.id])
            stored[obj.id] = by_id[obj.id]
    subjects = [data.draw(objects(site, "subject")), *world[:3], *by_id.values()]
    _assert_index_agrees(index, stored, subjects[:8])


@pytest.mark.parametrize("time_index_max", [None, 4, 2048], ids=["tree", "both", "time"])
@settings(max_examples=12, deadline=None, suppress_health_check=SLOW_OK)
@given(worlds(max_objects=12), st.integers(0, 2**32 - 1))
def test_index_agrees_through_rebuilds(time_index_max: int | None,
                                       site_world: tuple[LatLon, list[Obj]], seed: int) -> None:
    """More than 512 additions (the tree is rebuilt), with removals and re-additions, and
    checks both while additions are pending and right after a rebuild; rows found by the
    tree only, by the time index only, or by either as their numbers say."""
    _, world = site_world
    rnd = random.Random(seed)
    index = ConflictIndex(time_index_max=time_index_max)
    stored: dict[str, Obj] = {}
    additions = 0
    checks = 0
    k = 0
    while additions < 700:
        k += 1
        obj = rnd.choice(world)
        if obj.id in stored and rnd.random() < 0.3:
            index.remove(obj.id)
            del stored[obj.id]
            continue
        obj = _variant(obj, k) if rnd.random() < 0.5 else obj
        index.add(obj)
        stored[obj.id] = obj
        additions += len(obj.volumes)
        if k % 97 == 0 or additions in range(510, 520):
            _assert_index_agrees(index, stored, rnd.sample(world, 3))
            checks += 1
    _assert_index_agrees(index, stored, world)
    assert checks >= 1


@pytest.mark.parametrize("time_index_max", [None, 2048], ids=["tree", "time"])
def test_index_rebuild_keeps_removed_objects_out(time_index_max: int | None) -> None:
    """A fixed run through two rebuilds and the growth of the row arrays past 1,024:
    1,100 additions of the same few objects, with removals."""
    site = (69.0, 179.9)
    zones = [
        Zone(id=f"z{k}", name="", owner="red",
             volumes=(Volume4D(Circle(*_fwd(*site, 36.0 * k, 20_000.0), 15_000.0), 0.0, 1e3,
                               TimeInterval(T0, None)),))
        for k in range(10)
    ]
    probe = Operation(id="p", name="", owner="blue", state="proposed", volumes=(
        Volume4D(Circle(*site, 10_000.0), 0.0, 1e3, TimeInterval(T0, T0 + timedelta(1))),))
    index = ConflictIndex(time_index_max=time_index_max)
    for k in range(1_100):
        z = zones[k % 10]
        index.add(z.revised(buffer_m=float(k)))
        if k % 10 == 3:
            index.remove(z.id)
        if k % 100 == 50:  # the tree is built early; later additions pile up and rebuild it
            stored = {o.id: o for o in index.objects()}
            assert_same(found(index.check(probe)), brute_force(probe, stored.values()))
    stored = {o.id: o for o in index.objects()}
    assert "z3" not in stored and len(stored) == 9
    got = found(index.check(probe))
    assert_same(got, brute_force(probe, stored.values()))
    assert {k[1] for k in got} == set(stored)  # the buffers have grown over the probe


# --------------------------------------------------------------------------------------------
# the edge of the buffer
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(st.data(), st.sampled_from([-0.5, 0.5]), st.booleans())
def test_index_finds_pairs_at_the_edge_of_the_buffer(
    data: st.DataObject, inside: float, buffer_on_zone: bool
) -> None:
    """A small circle ``buffer ± 0.5 m`` from a zone, anywhere around it (high latitudes up
    to 85°, the antimeridian, buffers up to 500 km): found exactly when within the buffer."""
    site = data.draw(sites(max_lat=85.0))
    outline = data.draw(outlines(site, spread_m=0.0, max_size_m=300_000.0))
    buffer = data.draw(st.one_of(st.floats(0.0, 2_000.0), st.floats(0.0, 500_000.0)))
    probe = _fwd(*site, data.draw(st.floats(0, 360)), data.draw(st.floats(0, 800_000.0)))
    point = Circle(*probe, 0.001)
    gap = separation(outline, point).separation_m + 0.001  # from the probe to the outline
    radius = gap - buffer + inside  # leaves separation = buffer - inside
    assume(radius > 0.01)
    band = (0.0, 1_000.0)
    always = TimeInterval(T0, None)
    zone = Zone(id="z", name="", owner="red", buffer_m=buffer if buffer_on_zone else 0.0,
                volumes=(Volume4D(outline, *band, always),))
    op = Operation(id="o", name="", owner="blue", state="accepted",
                   buffer_m=0.0 if buffer_on_zone else buffer,
                   volumes=(Volume4D(Circle(*probe, radius), *band, always),))
    expected = inside > 0
    assert (check_volumes(zone.volumes[0], op.volumes[0], buffer) is not None) == expected
    for got in (ConflictIndex([zone]).check(op), ConflictIndex([op]).check(zone)):
        assert bool(got) == expected, (outline, probe, radius, buffer)
        if got:
            assert got[0].separation_m == pytest.approx(buffer - inside, abs=1e-3)



@pytest.mark.parametrize("time_index_max", [None, 2048], ids=["tree", "time"])
def test_index_agrees_in_a_crowded_area_booked_in_slots(time_index_max: int | None) -> None:
    """Operations of four parties in one 10 km area, each in its own 15-minute slot (some
    over several hours, some open-ended, some replaced again and again, some removed): the
    case the time index is for. Every check agrees with brute force."""
    rnd = random.Random(7)
    site = (33.5, 38.6)
    index = ConflictIndex(time_index_max=time_index_max)
    stored: dict[str, Obj] = {}
    slot = timedelta(minutes=15)
    for k in range(900):
        start = T0 + k * slot
        length = (None if k % 97 == 0 else 12 * slot if k % 23 == 0 else slot)
        window = TimeInterval(start, None if length is None else start + length)
        centre = _fwd(*site, rnd.uniform(0.0, 360.0), 5_000.0 * math.sqrt(rnd.random()))
        op = Operation(id=f"op{k % 700}", name="", owner=PARTIES[k % 4], state="accepted",
                       buffer_m=rnd.choice([0.0, 300.0]), volumes=(
                           Volume4D(Circle(*centre, rnd.uniform(100.0, 1_000.0)), 0.0, 150.0,
                                    window),))
        index.add(op)  # ids repeat from 700 on: replacements
        stored[op.id] = op
        if k % 11 == 5:
            index.remove(f"op{(k * 7) % 700}")
            stored.pop(f"op{(k * 7) % 700}", None)
        if k % 50 == 49:
            probe_start = T0 + rnd.randrange(k + 1) * slot
            probe = Operation(id="probe", name="", owner=PARTIES[k % 3], state="proposed",
                              volumes=(Volume4D(Circle(*site, 2_000.0), 0.0, 100.0,
                                                TimeInterval(probe_start,
                                                             probe_start + 3 * slot)),))
            assert_same(found(index.check(probe)), brute_force(probe, stored.values()))
