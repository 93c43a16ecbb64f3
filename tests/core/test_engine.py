"""The conflict engine: rules, binding states, time and altitude cuts, buffers, the index
(add, remove, replace, rebuild) and the data each conflict carries."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.core.conflict import Conflict
from deconfliction.core.engine import ConflictIndex, check, check_volumes
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.core.outline import Circle, Corridor, Outline, Polygon
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

GEOD = Geod(ellps="WGS84")
AT_TANF = (33.50583, 38.61778)
SEPT = TimeInterval(datetime(2018, 9, 7, tzinfo=UTC), datetime(2018, 9, 15, tzinfo=UTC))


def t(day: int) -> datetime:
    return datetime(2018, 9, day, tzinfo=UTC)


def at(distance_m: float, azimuth: float, origin: tuple[float, float] = AT_TANF) -> tuple[
    float, float
]:
    lon, lat, _ = GEOD.fwd(origin[1], origin[0], azimuth, distance_m)
    return float(lat), float(lon)


def operation(
    outline: Outline,
    owner: str = "russia",
    *,
    id: str | None = None,
    lo: float = 0.0,
    hi: float = 5_000.0,
    time: TimeInterval = SEPT,
    state: str = "proposed",
    buffer_m: float = 0.0,
    participants: tuple[str, ...] = (),
) -> Operation:
    return Operation.new(
        id=id, owner=owner, participants=participants, buffer_m=buffer_m,
        state=OperationState(state), volumes=[Volume4D(outline, lo, hi, time)],
    )


def distance_m(p: tuple[float, float], q: tuple[float, float]) -> float:
    return float(GEOD.inv(p[1], p[0], q[1], q[0])[2])


# --- At Tanf --------------------------------------------------------------------------------


@pytest.mark.parametrize("azimuth", range(0, 360, 10))
def test_at_tanf_boundary_in_36_directions(at_tanf_zone: Zone, azimuth: int) -> None:
    """A 0.5 m russia operation whose nearest point is 54,999 m from the centre conflicts;
    one whose nearest point is 55,001 m away does not."""
    index = ConflictIndex([at_tanf_zone])
    inside = operation(Circle(*at(54_999.5, azimuth), 0.5))
    outside = operation(Circle(*at(55_001.5, azimuth), 0.5))
    found = index.check(inside)
    assert [(c.b_id, c.reason, c.parties) for c in found] == [
        ("at-tanf", "ZONE_ENTRY_NOT_ALLOWED", ("russia",))
    ]
    assert found[0].separation_m == pytest.approx(-1.0, abs=1e-3)
    assert index.check(outside) == []


@pytest.mark.parametrize("azimuth", [0, 135, 270])
def test_at_tanf_boundary_with_the_zone_as_subject(at_tanf_zone: Zone, azimuth: int) -> None:
    inside = operation(Circle(*at(54_999.5, azimuth), 0.5), id="in")
    outside = operation(Circle(*at(55_001.5, azimuth), 0.5), id="out")
    found = ConflictIndex([inside, outside]).check(at_tanf_zone)
    assert [(c.a_id, c.a_kind, c.b_id, c.b_kind) for c in found] == [
        ("at-tanf", "zone", "in", "operation")
    ]


@pytest.mark.parametrize(
    ("owner", "participants", "expected"),
    [
        ("mat", (), []),
        ("coalition", (), []),
        ("coalition", ("mat",), []),
        ("coalition", ("russia",), []),  # the owner may bring anyone into its own zone
        ("mat", ("russia",), [("russia",)]),
        ("russia", ("syria",), [("russia", "syria")]),
    ],
)
def test_who_may_enter_at_tanf(
    at_tanf_zone: Zone, owner: str, participants: tuple[str, ...], expected: list[tuple[str, ...]]
) -> None:
    op = operation(Circle(*AT_TANF, 5_000.0), owner, participants=participants)
    assert [c.parties for c in ConflictIndex([at_tanf_zone]).check(op)] == expected


def test_at_tanf_is_open_ended(at_tanf_zone: Zone) -> None:
    years_later = TimeInterval(datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC))
    before = TimeInterval(datetime(2016, 1, 1, tzinfo=UTC), datetime(2016, 3, 3, tzinfo=UTC))
    index = ConflictIndex([at_tanf_zone])
    assert len(index.check(operation(Circle(*AT_TANF, 10.0), time=years_later))) == 1
    assert index.check(operation(Circle(*AT_TANF, 10.0), time=before)) == []  # touching


def test_above_the_zone_does_not_conflict(at_tanf_zone: Zone) -> None:
    index = ConflictIndex([at_tanf_zone])
    assert index.check(operation(Circle(*AT_TANF, 10.0), lo=20_000.001, hi=30_000.0)) == []
    touching = index.check(operation(Circle(*AT_TANF, 10.0), lo=20_000.0, hi=30_000.0))
    assert [(c.alt_lower_m, c.alt_upper_m) for c in touching] == [(20_000.0, 20_000.0)]


# --- owners, zones and states -----------------------------------------------------------------


def test_operations_of_different_owners_conflict_same_owner_does_not() -> None:
    a = operation(Circle(0.0, 0.0, 1_000.0), "coalition", id="a")
    b = operation(Circle(0.0, 0.01, 1_000.0), "russia", id="b")
    c = operation(Circle(0.0, 0.01, 1_000.0), "coalition", id="c")
    index = ConflictIndex([b, c])
    found = index.check(a)
    assert [(x.b_id, x.reason, x.parties) for x in found] == [
        ("b", "OPERATIONS_OVERLAP", ("coalition", "russia"))
    ]


def test_zones_do_not_conflict_with_zones(at_tanf_zone: Zone) -> None:
    other = Zone(
        id="other", name="", owner="russia", volumes=at_tanf_zone.volumes,
    )
    assert ConflictIndex([at_tanf_zone]).check(other) == []


@pytest.mark.parametrize("state", ["draft", "ended", "cancelled"])
def test_stored_non_binding_operations_take_no_space(state: str) -> None:
    stored = operation(Circle(0.0, 0.0, 1_000.0), "coalition", id="stored", state=state)
    subject = operation(Circle(0.0, 0.0, 1_000.0), "russia", id="subject")
    assert ConflictIndex([stored]).check(subject) == []
    assert "stored" in ConflictIndex([stored])


@pytest.mark.parametrize("state", ["proposed", "accepted", "active"])
def test_stored_binding_operations_take_space(state: str) -> None:
    stored = operation(Circle(0.0, 0.0, 1_000.0), "coalition", id="stored", state=state)
    subject = operation(Circle(0.0, 0.0, 1_000.0), "russia", id="subject")
    assert len(ConflictIndex([stored]).check(subject)) == 1


def test_a_draft_being_checked_is_checked(at_tanf_zone: Zone) -> None:
    draft = operation(Circle(*AT_TANF, 1_000.0), state="draft")
    assert len(ConflictIndex([at_tanf_zone]).check(draft)) == 1


def test_an_object_never_conflicts_with_itself(at_tanf_zone: Zone) -> None:
    op = operation(Circle(*AT_TANF, 1_000.0), id="pursuit")
    index = ConflictIndex([at_tanf_zone, op])
    assert [c.b_id for c in index.check(op)] == ["at-tanf"]
    # a revised copy with the same id is the same object, wherever it moves
    moved = op.revised(volumes=(Volume4D(Circle(*AT_TANF, 2_000.0), 0.0, 5_000.0, SEPT),))
    assert [c.b_id for c in index.check(moved)] == ["at-tanf"]
    # even when it is stored under a different owner
    assert index.check(moved.revised(owner="coalition")) == []


def test_transition_to_ended_frees_the_space() -> None:
    stored = operation(Circle(0.0, 0.0, 1_000.0), "coalition", id="s", state="active")
    subject = operation(Circle(0.0, 0.0, 1_000.0), "russia", id="q")
    index = ConflictIndex([stored])
    assert len(index.check(subject)) == 1
    index.add(stored.transition("ended"))
    assert index.check(subject) == []


# --- add, remove, replace ----------------------------------------------------------------------


def test_add_remove_replace_by_id() -> None:
    index = ConflictIndex()
    subject = operation(Circle(10.0, 10.0, 1_000.0), "russia", id="subject")
    assert len(index) == 0 and index.check(subject) == []
    near = operation(Circle(10.0, 10.0, 500.0), "coalition", id="x")
    index.add(near)
    assert len(index) == 1 and "x" in index and index.get("x") is near
    assert [c.b_id for c in index.check(subject)] == ["x"]
    # replace with the same id somewhere else: the old volume is forgotten
    far = operation(Circle(20.0, 20.0, 500.0), "coalition", id="x")
    index.add(far)
    assert len(index) == 1 and index.get("x") is far
    assert index.check(subject) == []
    # and back again
    index.add(near)
    assert [c.b_id for c in index.check(subject)] == ["x"]
    index.remove("x")
    assert len(index) == 0 and "x" not in index and index.get("x") is None
    assert index.check(subject) == []
    index.remove("x")  # removing what is not there is fine
    index.remove("never-stored")
    assert index.objects() == []


def test_objects_lists_what_is_stored(at_tanf_zone: Zone) -> None:
    op = operation(Circle(0.0, 0.0, 1.0), id="o")
    index = ConflictIndex([at_tanf_zone, op])
    assert {o.id for o in index.objects()} == {"at-tanf", "o"}


def test_rebuild_after_many_additions_and_pending_ones_found() -> None:
    # a row of 600 small coalition operations along the equator, 0.01° apart
    index = ConflictIndex()
    ops = [
        operation(Circle(0.0, 0.01 * i, 200.0), "coalition", id=f"op{i}") for i in range(600)
    ]
    for o in ops[:550]:
        index.add(o)

    def hits(lon: float) -> list[str]:
        return sorted(c.b_id for c in index.check(operation(Circle(0.0, lon, 100.0), id="q")))

    assert hits(0.5) == ["op50"]  # the first check builds the tree over 550 entries
    for o in ops[550:]:
        index.add(o)  # pending, not in the tree yet
    assert hits(5.7) == ["op570"]
    assert hits(6.5) == []  # beyond the last one
    index.remove("op570")
    assert hits(5.7) == []
    index.remove("op50")
    assert hits(0.5) == []
    # enough new ones to force another rebuild; removed ones stay removed
    for i in range(600, 1_200):
        index.add(operation(Circle(1.0, 0.01 * (i - 600), 200.0), "coalition", id=f"op{i}"))
    assert hits(0.5) == []
    assert hits(5.7) == []
    assert hits(3.0) == ["op300"]
    assert sorted(c.b_id for c in index.check(operation(Circle(1.0, 2.0, 100.0), id="q"))) == [
        "op800"
    ]
    assert len(index) == 1_198


def test_replace_after_rebuild() -> None:
    index = ConflictIndex(
        operation(Circle(0.0, 0.01 * i, 200.0), "coalition", id=f"op{i}") for i in range(520)
    )
    probe = operation(Circle(0.0, 1.0, 100.0), id="q")
    assert [c.b_id for c in index.check(probe)] == ["op100"]
    index.add(operation(Circle(5.0, 5.0, 200.0), "coalition", id="op100"))
    assert index.check(probe) == []
    index.add(operation(Circle(0.0, 1.0, 200.0), "coalition", id="op100", state="draft"))
    assert index.check(probe) == []


# --- time and altitude -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (TimeInterval(t(1), t(7)), TimeInterval(t(7), t(9)), None),  # touching: apart
        (TimeInterval(t(1), t(5)), TimeInterval(t(6), t(9)), None),
        (TimeInterval(t(1), t(8)), TimeInterval(t(7), t(9)), TimeInterval(t(7), t(8))),
        (TimeInterval(None, t(8)), TimeInterval(t(7), None), TimeInterval(t(7), t(8))),
        (TimeInterval(None, None), TimeInterval(t(7), t(9)), TimeInterval(t(7), t(9))),
    ],
)
def test_time(a: TimeInterval, b: TimeInterval, expected: TimeInterval | None) -> None:
    stored = operation(Circle(0.0, 0.0, 1_000.0), "coalition", id="s", time=a)
    subject = operation(Circle(0.0, 0.0, 1_000.0), "russia", id="q", time=b)
    found = ConflictIndex([stored]).check(subject)
    assert [c.time for c in found] == ([] if expected is None else [expected])


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0.0, 1_000.0), (1_000.5, 2_000.0), None),
        ((0.0, 1_000.0), (1_000.0, 2_000.0), (1_000.0, 1_000.0)),  # closed band: touching meets
        ((0.0, 1_000.0), (500.0, 2_000.0), (500.0, 1_000.0)),
        ((-500.0, 10_000.0), (100.0, 200.0), (100.0, 200.0)),
    ],
)
def test_altitude(
    a: tuple[float, float], b: tuple[float, float], expected: tuple[float, float] | None
) -> None:
    stored = operation(Circle(0.0, 0.0, 1_000.0), "coalition", id="s", lo=a[0], hi=a[1])
    subject = operation(Circle(0.0, 0.0, 1_000.0), "russia", id="q", lo=b[0], hi=b[1])
    found = ConflictIndex([stored]).check(subject)
    bands = [(c.alt_lower_m, c.alt_upper_m) for c in found]
    assert bands == ([] if expected is None else [expected])


# --- buffers ----------------------------------------------------------------------------------


def pair_1500_m_apart(stored_buffer: float, subject_buffer: float) -> list[Conflict]:
    # two 1 km circles whose centres are 3,500 m apart: 1,500 m between their edges
    a = Circle(10.0, 20.0, 1_000.0)
    b = Circle(*at(3_500.0, 60.0, (10.0, 20.0)), 1_000.0)
    stored = operation(a, "coalition", id="s", buffer_m=stored_buffer)
    subject = operation(b, "russia", id="q", buffer_m=subject_buffer)
    return ConflictIndex([stored]).check(subject)


@pytest.mark.parametrize(
    ("stored_buffer", "subject_buffer", "required"),
    [
        (2_000.0, 0.0, 2_000.0),
        (0.0, 2_000.0, 2_000.0),
        (1_000.0, 2_000.0, 2_000.0),
        (2_000.0, 1_000.0, 2_000.0),
        (1_500.0, 0.0, 1_500.0),  # exactly the separation: still too close
        (1_000.0, 1_000.0, None),  # the larger counts, not the sum
        (1_000.0, 0.0, None),
        (0.0, 0.0, None),
    ],
)
def test_buffers_the_larger_of_the_two_counts(
    stored_buffer: float, subject_buffer: float, required: float | None
) -> None:
    found = pair_1500_m_apart(stored_buffer, subject_buffer)
    if required is None:
        assert found == []
        return
    assert len(found) == 1
    c = found[0]
    assert c.required_separation_m == required
    assert c.separation_m == pytest.approx(1_500.0, abs=1e-3)
    # apart: the witness is half-way across the gap
    assert distance_m(c.witness, (10.0, 20.0)) == pytest.approx(1_750.0, abs=1e-3)


def test_zone_buffer_grows_the_zone(at_tanf_zone: Zone) -> None:
    buffered = at_tanf_zone.revised(buffer_m=5_000.0)
    op = operation(Circle(*at(58_000.0, 200.0), 10.0))
    assert ConflictIndex([at_tanf_zone]).check(op) == []
    found = ConflictIndex([buffered]).check(op)
    assert len(found) == 1
    assert found[0].separation_m == pytest.approx(2_990.0, abs=1e-3)
    assert found[0].required_separation_m == 5_000.0


# --- the data in a conflict --------------------------------------------------------------------


def test_conflict_fields_for_overlapping_volumes(at_tanf_zone: Zone) -> None:
    window = TimeInterval(t(10), t(12))
    square = Polygon(((33.6, 38.5), (33.6, 38.9), (33.9, 38.9), (33.9, 38.5)))
    pursuit = Operation.new(
        id="pursuit", owner="russia", participants={"syria"}, state=OperationState.PROPOSED,
        volumes=[
            Volume4D(Circle(36.0, 40.0, 1_000.0), 0.0, 100.0, window),  # far away
            Volume4D(square, 15_000.0, 25_000.0, window),
        ],
    )
    (c,) = ConflictIndex([at_tanf_zone]).check(pursuit)
    assert (c.a_id, c.a_kind, c.a_volume) == ("pursuit", "operation", 1)
    assert (c.b_id, c.b_kind, c.b_volume) == ("at-tanf", "zone", 0)
    assert (c.reason, c.parties) == ("ZONE_ENTRY_NOT_ALLOWED", ("russia", "syria"))
    assert c.time == window
    assert (c.alt_lower_m, c.alt_upper_m) == (15_000.0, 20_000.0)
    assert c.required_separation_m == 0.0
    # At Tanf's centre is south of the square: the separation is the distance from the centre
    # to the square's southern edge (sampled densely here) minus the zone's radius
    pts = GEOD.npts(38.5, 33.6, 38.9, 33.6, 2_000, initial_idx=0, terminus_idx=0)
    nearest = min(distance_m(AT_TANF, (la, lo)) for lo, la in pts)
    assert c.separation_m == pytest.approx(nearest - 55_000.0, abs=0.05)
    # the witness lies inside both outlines
    assert distance_m(AT_TANF, c.witness) <= 55_000.0 + 1e-3
    assert 33.6 - 1e-9 <= c.witness[0] <= 33.9 + 1e-6 and 38.5 <= c.witness[1] <= 38.9


def test_conflict_witness_inside_both_circles() -> None:
    a = operation(Circle(0.0, 0.0, 10_000.0), "coalition", id="a")
    b = operation(Circle(0.0, 0.15, 8_000.0), "russia", id="b")
    (c,) = ConflictIndex([a]).check(b)
    gap = distance_m((0.0, 0.0), (0.0, 0.15))
    assert c.separation_m == pytest.approx(gap - 18_000.0, abs=1e-3)
    assert distance_m((0.0, 0.0), c.witness) <= 10_000.0 + 1e-3
    assert distance_m((0.0, 0.15), c.witness) <= 8_000.0 + 1e-3
    assert c.parties == ("coalition", "russia")


def test_every_volume_pair_is_reported() -> None:
    two = [
        Volume4D(Circle(0.0, 0.0, 1_000.0), 0.0, 100.0, SEPT),
        Volume4D(Circle(0.0, 0.001, 1_000.0), 0.0, 100.0, SEPT),
    ]
    stored = Operation.new(id="s", owner="coalition", volumes=two, state=OperationState.ACTIVE)
    subject = Operation.new(id="q", owner="russia", volumes=two, state=OperationState.DRAFT)
    found = ConflictIndex([stored]).check(subject)
    assert sorted((c.a_volume, c.b_volume) for c in found) == [(0, 0), (0, 1), (1, 0), (1, 1)]


# --- geometry the index must not lose ---------------------------------------------------------


def test_antimeridian_polygon_vs_circle_beyond_180(antimeridian_polygon: Polygon) -> None:
    zone = Zone(id="z", name="", owner="coalition",
                volumes=(Volume4D(antimeridian_polygon, 0.0, 1_000.0, SEPT),))
    index = ConflictIndex([zone])
    assert len(index.check(operation(Circle(10.5, -178.5, 60_000.0)))) == 1
    assert index.check(operation(Circle(10.5, -178.5, 50_000.0))) == []
    assert len(index.check(operation(Circle(10.5, 179.9, 10.0)))) == 1
    assert len(index.check(operation(Circle(10.5, -179.9, 10.0)))) == 1


def test_polygon_with_hole_zone(polygon_with_hole: Polygon) -> None:
    zone = Zone(id="z", name="", owner="coalition",
                volumes=(Volume4D(polygon_with_hole, 0.0, 1_000.0, SEPT),))
    index = ConflictIndex([zone])
    assert index.check(operation(Circle(0.5, 0.5, 1_000.0))) == []  # in the hole
    assert len(index.check(operation(Circle(0.2, 0.2, 1_000.0)))) == 1
    assert len(index.check(operation(Circle(0.5, 0.5, 12_000.0)))) == 1  # reaches out of it


@pytest.mark.parametrize(
    "inner",
    [
        Polygon(((33.9, 38.9), (33.9, 39.1), (34.1, 39.1), (34.1, 38.9))),
        Corridor(((33.9, 38.9), (34.1, 39.1)), 100.0),
        Circle(34.0, 39.0, 100.0),
    ],
    ids=["polygon", "corridor", "circle"],
)
def test_operation_deep_inside_a_polygon_zone(inner: Outline) -> None:
    """BUG (for the polygon and the corridor): an operation well inside a polygon zone is not
    reported, either way round, because ``distance._edges_edges`` prunes on vertex–edge
    distances before testing containment (see ``test_distance``)."""
    square = Polygon(((33.0, 38.0), (33.0, 40.0), (35.0, 40.0), (35.0, 38.0)))
    zone = Zone(id="z", name="", owner="coalition", volumes=(Volume4D(square, 0.0, 1e4, SEPT),))
    op = operation(inner, id="inside")
    assert [c.b_id for c in ConflictIndex([zone]).check(op)] == ["z"]
    assert [c.b_id for c in ConflictIndex([op]).check(zone)] == ["inside"]


def test_crossing_routes_of_different_owners() -> None:
    """BUG: two convoy routes crossing at right angles are not reported (see
    ``test_distance.test_crossing_edges_with_a_limit``)."""
    a = operation(Corridor(((33.0, 38.0), (34.0, 39.0)), 100.0), "coalition", id="a")
    b = operation(Corridor(((33.0, 39.0), (34.0, 38.0)), 100.0), "russia", id="b")
    (c,) = ConflictIndex([a]).check(b)
    assert c.separation_m == pytest.approx(-200.0, abs=1e-3)
    assert distance_m(c.witness, (33.5, 38.5)) < 1_000.0


def test_high_latitude_bulge_is_found(high_latitude_polygon: Polygon) -> None:
    zone = Zone(id="z", name="", owner="coalition",
                volumes=(Volume4D(high_latitude_polygon, 0.0, 1_000.0, SEPT),))
    index = ConflictIndex([zone])
    assert index.check(operation(Circle(72.0, 30.0, 10.0))) == []  # under the bulging edge
    assert len(index.check(operation(Circle(73.0, 30.0, 10.0)))) == 1


def test_corridor_spanning_more_than_180_degrees_of_longitude() -> None:
    """BUG: the index box of this corridor (see ``test_bounds``) misses its leg over 180°, so
    a circle sitting on that leg is not reported although ``check_volumes`` says the two
    volumes overlap by 1,500 m."""
    route = Corridor(((0.0, 0.0), (0.0, 90.0), (0.0, 170.0), (0.0, -100.0)), 1_000.0)
    convoy = operation(route, "coalition", id="convoy")
    boat = operation(Circle(0.0, 175.0, 500.0), "russia", id="boat")
    assert check_volumes(convoy.volumes[0], boat.volumes[0]) is not None
    assert len(ConflictIndex([convoy]).check(boat)) == 1
    assert len(ConflictIndex([boat]).check(convoy)) == 1


# --- helpers ------------------------------------------------------------------------------------


def test_check_volumes() -> None:
    a = Volume4D(Circle(0.0, 0.0, 1_000.0), 0.0, 100.0, SEPT)
    b = Volume4D(Circle(0.0, 0.02, 1_000.0), 50.0, 150.0, SEPT)
    gap = distance_m((0.0, 0.0), (0.0, 0.02)) - 2_000.0
    assert check_volumes(a, b) is None
    result = check_volumes(a, b, required_m=gap + 1.0)
    assert result is not None
    assert result[0] == pytest.approx(gap, abs=1e-3)
    assert check_volumes(a, b.shifted(8 * 86_400.0), required_m=1e6) is None
    high = Volume4D(b.outline, 101.0, 150.0, SEPT)
    assert check_volumes(a, high, required_m=1e6) is None


def test_check_function(at_tanf_zone: Zone) -> None:
    op = operation(Circle(*AT_TANF, 1_000.0))
    assert [c.b_id for c in check(op, [at_tanf_zone])] == ["at-tanf"]
    assert check(op, []) == []


def test_many_random_operations_agree_with_pairwise_checks() -> None:
    rng = np.random.default_rng(8)
    stored = [
        operation(
            Circle(
                float(rng.uniform(30, 31)), float(rng.uniform(40, 41)), float(rng.uniform(100, 5e3))
            ),
            str(rng.choice(["coalition", "russia"])), id=f"s{i}",
            buffer_m=float(rng.choice([0.0, 1_000.0])),
        )
        for i in range(200)
    ]
    index = ConflictIndex(stored)
    for k in range(20):
        q = operation(
            Circle(float(rng.uniform(30, 31)), float(rng.uniform(40, 41)), 2_000.0),
            "coalition", id=f"q{k}",
        )
        expected = sorted(
            s.id for s in stored
            if s.owner != "coalition"
            and check_volumes(q.volumes[0], s.volumes[0], s.buffer_m) is not None
        )
        assert sorted(c.b_id for c in index.check(q)) == expected


def test_more_parties_than_rule_bits_falls_back_one_by_one() -> None:
    """Past 62 distinct parties the array form of the rules gives way to the exact loop."""
    from deconfliction.core.rules import PartyBits

    window = TimeInterval(datetime(2018, 9, 1, tzinfo=UTC), datetime(2018, 9, 2, tzinfo=UTC))
    zones = [
        Zone(id=f"z{i}", name="", owner=f"owner{i}", allowed=frozenset({"friend"}) if i % 2 else
             frozenset(), volumes=(Volume4D(Circle(33.5, 38.6, 10_000.0), 0.0, 100.0, window),))
        for i in range(PartyBits.LIMIT + 10)
    ]
    index = ConflictIndex(zones)
    friend = Operation.new(owner="friend", state="proposed",
                           volumes=[Volume4D(Circle(33.5, 38.6, 100.0), 0.0, 50.0, window)])
    found = {c.b_id for c in index.check(friend)}
    assert found == {f"z{i}" for i in range(PartyBits.LIMIT + 10) if i % 2 == 0}
