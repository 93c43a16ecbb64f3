"""Zones and operations: validation, the operation lifecycle and version tokens."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from deconfliction.core.errors import ConflictStateError, ValidationError
from deconfliction.core.objects import (
    BINDING_STATES,
    OPERATION_KINDS,
    Operation,
    OperationState,
    Zone,
    new_version,
)
from deconfliction.core.outline import Circle
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

S = OperationState


def t(day: int) -> datetime:
    return datetime(2018, 9, day, tzinfo=UTC)


def vol(start: datetime | None = None, end: datetime | None = None) -> Volume4D:
    return Volume4D(Circle(33.5, 38.6, 1_000.0), 0.0, 1_000.0, TimeInterval(start, end))


VOL = vol(t(7), t(15))


def op(**kw: object) -> Operation:
    args: dict[str, object] = {"owner": "russia", "volumes": [VOL]}
    args.update(kw)
    return Operation.new(**args)  # type: ignore[arg-type]


def zone(**kw: object) -> Zone:
    args: dict[str, object] = {"id": "z", "name": "Z", "owner": "coalition", "volumes": (VOL,)}
    args.update(kw)
    return Zone(**args)  # type: ignore[arg-type]


def code_and_field(make: object) -> tuple[str, str | None]:
    assert callable(make)
    with pytest.raises(ValidationError) as info:
        make()
    return info.value.code, info.value.field


# --- the lifecycle ------------------------------------------------------------------------

LEGAL = {
    (S.DRAFT, S.PROPOSED),
    (S.PROPOSED, S.ACCEPTED),
    (S.ACCEPTED, S.ACTIVE),
    (S.ACTIVE, S.ENDED),
    (S.DRAFT, S.CANCELLED),
    (S.PROPOSED, S.CANCELLED),
    (S.ACCEPTED, S.CANCELLED),
    (S.ACTIVE, S.CANCELLED),
}
ILLEGAL = sorted(set(itertools.product(S, S)) - LEGAL)


@pytest.mark.parametrize(("src", "dst"), sorted(LEGAL), ids=lambda s: s.value)
def test_legal_transitions(src: OperationState, dst: OperationState) -> None:
    before = op(state=src)
    after = before.transition(dst)
    assert after.state is dst
    assert after.version != before.version
    assert before.state is src  # frozen: transition returns a new object
    assert (after.id, after.owner, after.volumes) == (before.id, before.owner, before.volumes)


@pytest.mark.parametrize(("src", "dst"), ILLEGAL, ids=lambda s: s.value)
def test_illegal_transitions(src: OperationState, dst: OperationState) -> None:
    with pytest.raises(ConflictStateError) as info:
        op(state=src).transition(dst)
    assert (info.value.code, info.value.field) == ("ILLEGAL_TRANSITION", "state")
    assert src.value in info.value.message and dst.value in info.value.message


def test_there_are_36_pairs_8_legal() -> None:
    assert len(LEGAL) == 8 and len(ILLEGAL) == 28


def test_the_whole_happy_path_changes_the_version_every_time() -> None:
    o = op()
    versions = [o.version]
    for state in ("proposed", "accepted", "active", "ended"):
        o = o.transition(state)
        versions.append(o.version)
    assert o.state is S.ENDED
    assert len(set(versions)) == 5


def test_final_states_allow_nothing() -> None:
    for final in (S.ENDED, S.CANCELLED):
        o = op(state=final)
        for dst in S:
            with pytest.raises(ConflictStateError):
                o.transition(dst)


def test_transition_accepts_state_names() -> None:
    assert op().transition("proposed").state is S.PROPOSED


def test_transition_to_an_unknown_state() -> None:
    """BUG: an unknown state name raises ``ValueError`` from the enum, not a
    ``DeconflictionError`` with a stable code."""
    with pytest.raises(ValidationError) as info:
        op().transition("flying")
    assert info.value.field == "state"


def test_unknown_initial_state() -> None:
    """BUG: as above, ``Operation(state="flying")`` raises a bare ``ValueError``."""
    assert code_and_field(lambda: op(state="flying"))[1] == "state"


def test_binding_states() -> None:
    assert {S.PROPOSED, S.ACCEPTED, S.ACTIVE} == BINDING_STATES
    for state in S:
        assert op(state=state).binding is (state in BINDING_STATES)


def test_revised_changes_the_version_and_keeps_the_rest() -> None:
    o = op(name="pursuit")
    r = o.revised(name="pursuit 2")
    assert r.name == "pursuit 2"
    assert r.version != o.version
    assert (r.id, r.state, r.volumes) == (o.id, o.state, o.volumes)
    z = zone()
    zr = z.revised(buffer_m=500.0)
    assert zr.buffer_m == 500.0 and zr.version != z.version


def test_revised_revalidates() -> None:
    with pytest.raises(ValidationError) as info:
        op().revised(volumes=())
    assert info.value.code == "NO_VOLUMES"


def test_version_tokens_are_fresh() -> None:
    tokens = {new_version() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(tok) == 24 and int(tok, 16) >= 0 for tok in tokens)
    assert op().version != op().version
    assert zone().version != zone().version


# --- operation validation ---------------------------------------------------------------


def test_a_new_operation() -> None:
    o = op(participants={"mat"}, kind="exercise", priority=3, buffer_m=250)
    assert o.state is S.DRAFT
    assert o.participants == frozenset({"russia", "mat"})  # the owner always takes part
    assert (o.kind, o.priority, o.buffer_m) == ("exercise", 3, 250)
    assert isinstance(o.volumes, tuple)
    assert len(o.id) == 36  # a uuid
    assert op(id="pursuit").id == "pursuit"


def test_every_kind_is_accepted() -> None:
    for kind in OPERATION_KINDS:
        assert op(kind=kind).kind == kind


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({"kind": "picnic"}, "BAD_KIND", "kind"),
        ({"kind": "Exercise"}, "BAD_KIND", "kind"),
        ({"volumes": []}, "NO_VOLUMES", "volumes"),
        ({"volumes": ["a volume"]}, "BAD_VOLUME", "volumes"),
        ({"owner": "Russia"}, "BAD_PARTY", "owner"),
        ({"owner": ""}, "BAD_PARTY", "owner"),
        ({"owner": "a" * 65}, "BAD_PARTY", "owner"),
        ({"owner": "-russia"}, "BAD_PARTY", "owner"),
        ({"owner": 7}, "BAD_PARTY", "owner"),
        ({"participants": {"mat", "Bad Party"}}, "BAD_PARTY", "participants"),
        ({"participants": {"sdf", None}}, "BAD_PARTY", "participants"),
        ({"priority": 1.5}, "BAD_PRIORITY", "priority"),
        ({"priority": True}, "BAD_PRIORITY", "priority"),
        ({"buffer_m": -1.0}, "BAD_BUFFER", "buffer_m"),
        ({"buffer_m": float("nan")}, "BAD_BUFFER", "buffer_m"),
        ({"buffer_m": float("inf")}, "BAD_BUFFER", "buffer_m"),
        ({"buffer_m": "100"}, "BAD_BUFFER", "buffer_m"),
        ({"id": "x" * 129}, "BAD_ID", "id"),
        ({"id": 12}, "BAD_ID", "id"),
    ],
)
def test_operation_rules(kw: dict[str, object], code: str, field: str) -> None:
    assert code_and_field(lambda: op(**kw)) == (code, field)


def test_an_empty_id_is_refused_on_the_class() -> None:
    # Operation.new treats "" as "give me a random id"; the class itself refuses it
    with pytest.raises(ValidationError) as info:
        Operation(id="", name="", owner="russia", volumes=(VOL,))
    assert (info.value.code, info.value.field) == ("BAD_ID", "id")


def test_party_ids_at_the_edges_of_the_pattern() -> None:
    assert op(owner="a" * 64).owner == "a" * 64
    assert op(owner="0sdf_2.x-y").owner == "0sdf_2.x-y"


def test_too_many_volumes() -> None:
    with pytest.raises(ValidationError) as info:
        op(volumes=[VOL] * 1_001)
    assert (info.value.code, info.value.field) == ("TOO_MANY_VOLUMES", "volumes")
    assert len(op(volumes=[VOL] * 1_000).volumes) == 1_000


def test_a_string_of_participants_is_refused() -> None:
    """BUG: ``participants="mat"`` is turned into the parties {'m', 'a', 't'} (``list("mat")``
    runs before ``party_set`` can refuse a string), so the operation silently gets three
    made-up participants. ``Zone(allowed="mat")`` does the same."""
    with pytest.raises(ValidationError) as info:
        op(participants="mat")
    assert (info.value.code, info.value.field) == ("BAD_PARTY", "participants")


def test_a_string_of_allowed_parties_is_refused() -> None:
    """BUG: see ``test_a_string_of_participants_is_refused``."""
    with pytest.raises(ValidationError) as info:
        zone(allowed="mat")
    assert (info.value.code, info.value.field) == ("BAD_PARTY", "allowed")


def test_a_boolean_buffer_is_refused() -> None:
    """BUG (minor): ``buffer_m=True`` is accepted as 1 m, unlike every other number field,
    which refuses bools."""
    assert code_and_field(lambda: op(buffer_m=True)) == ("BAD_BUFFER", "buffer_m")


def test_validity_is_the_hull_of_the_volumes() -> None:
    o = op(volumes=[vol(t(10), t(12)), vol(t(7), t(8)), vol(t(14), t(15))])
    assert o.validity == TimeInterval(t(7), t(15))
    assert op(volumes=[vol(t(10), None), vol(t(7), t(8))]).validity == TimeInterval(t(7), None)
    assert op(volumes=[vol(None, t(9)), vol(t(7), t(8))]).validity == TimeInterval(None, t(9))


# --- zone validation --------------------------------------------------------------------


def test_a_zone_always_allows_its_owner() -> None:
    z = zone(allowed=frozenset({"mat"}))
    assert z.allowed == frozenset({"coalition", "mat"})
    assert zone().allowed == frozenset({"coalition"})
    assert (z.kind, z.severity, z.buffer_m) == ("zone", "keep_out", 0.0)


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({"owner": "Coalition"}, "BAD_PARTY", "owner"),
        ({"allowed": frozenset({"MAT"})}, "BAD_PARTY", "allowed"),
        ({"volumes": ()}, "NO_VOLUMES", "volumes"),
        ({"volumes": (VOL,) * 1_001}, "TOO_MANY_VOLUMES", "volumes"),
        ({"volumes": (VOL, "x")}, "BAD_VOLUME", "volumes"),
        ({"buffer_m": -0.5}, "BAD_BUFFER", "buffer_m"),
        ({"severity": "forbidden"}, "BAD_SEVERITY", "severity"),
        ({"id": ""}, "BAD_ID", "id"),
        ({"id": None}, "BAD_ID", "id"),
    ],
)
def test_zone_rules(kw: dict[str, object], code: str, field: str) -> None:
    assert code_and_field(lambda: zone(**kw)) == (code, field)


def test_zone_severities_and_validity() -> None:
    for severity in ("keep_out", "protected", "notify"):
        assert zone(severity=severity).severity == severity
    z = zone(volumes=(vol(t(1), None),))
    assert z.validity == TimeInterval(t(1), None)
