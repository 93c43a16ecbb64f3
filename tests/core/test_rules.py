"""Who may come close to whom, independent of geometry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deconfliction.core.objects import Operation, Zone
from deconfliction.core.outline import Circle
from deconfliction.core.rules import Party, parties_of, rule_between, rule_for
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

VOL = Volume4D(
    Circle(33.5, 38.6, 1_000.0), 0.0, 100.0, TimeInterval(datetime(2018, 9, 7, tzinfo=UTC), None)
)

COALITION_ZONE: Party = ("zone", "coalition", frozenset({"coalition", "mat"}))


def op_party(owner: str, *others: str) -> Party:
    return ("operation", owner, frozenset({owner, *others}))


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (op_party("russia"), ("ZONE_ENTRY_NOT_ALLOWED", ("russia",))),
        (op_party("mat"), None),
        (op_party("coalition"), None),
        (op_party("coalition", "mat"), None),
        # the zone's owner may bring anyone into its own zone
        (op_party("coalition", "russia"), None),
        # a partly allowed operation: only the intruders are named
        (op_party("mat", "russia", "iran"), ("ZONE_ENTRY_NOT_ALLOWED", ("iran", "russia"))),
        (op_party("sdf", "mat"), ("ZONE_ENTRY_NOT_ALLOWED", ("sdf",))),
    ],
)
def test_operation_against_zone(op: Party, expected: tuple[str, tuple[str, ...]] | None) -> None:
    assert rule_for(op, COALITION_ZONE) == expected
    assert rule_for(COALITION_ZONE, op) == expected  # the order does not matter


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (
            op_party("russia"),
            op_party("coalition"),
            ("OPERATIONS_OVERLAP", ("coalition", "russia")),
        ),
        (op_party("russia"), op_party("russia"), None),
        (op_party("russia", "syria"), op_party("russia", "iran"), None),
        # participants do not matter between operations, only owners
        (
            op_party("mat", "coalition"),
            op_party("coalition"),
            ("OPERATIONS_OVERLAP", ("coalition", "mat")),
        ),
    ],
)
def test_operation_against_operation(
    a: Party, b: Party, expected: tuple[str, tuple[str, ...]] | None
) -> None:
    assert rule_for(a, b) == expected
    assert rule_for(b, a) == expected


def test_zones_never_conflict_with_zones() -> None:
    other = ("zone", "russia", frozenset({"russia"}))
    assert rule_for(COALITION_ZONE, other) is None
    assert rule_for(other, COALITION_ZONE) is None
    assert rule_for(COALITION_ZONE, COALITION_ZONE) is None


def test_parties_of_objects() -> None:
    zone = Zone(id="z", name="", owner="coalition", allowed=frozenset({"mat"}), volumes=(VOL,))
    op = Operation.new(owner="russia", participants={"syria"}, volumes=[VOL])
    assert parties_of(zone) == ("zone", "coalition", frozenset({"coalition", "mat"}))
    assert parties_of(op) == ("operation", "russia", frozenset({"russia", "syria"}))
    assert rule_between(op, zone) == ("ZONE_ENTRY_NOT_ALLOWED", ("russia", "syria"))
    assert rule_between(zone, op) == ("ZONE_ENTRY_NOT_ALLOWED", ("russia", "syria"))
    friendly = Operation.new(owner="mat", volumes=[VOL])
    assert rule_between(friendly, zone) is None
    assert rule_between(friendly, op) == ("OPERATIONS_OVERLAP", ("mat", "russia"))


def test_rules_ignore_lifecycle_state() -> None:
    # binding is the engine's business; the rule only looks at parties
    zone = Zone(id="z", name="", owner="coalition", volumes=(VOL,))
    for state in ("draft", "ended", "cancelled"):
        op = Operation.new(owner="russia", volumes=[VOL], state=state)  # type: ignore[arg-type]
        assert rule_between(op, zone) == ("ZONE_ENTRY_NOT_ALLOWED", ("russia",))


def test_rule_mask_agrees_with_rule_for() -> None:
    """The array form of the rules gives the same verdict as the one-by-one form."""
    import itertools

    import numpy as np

    from deconfliction.core.rules import PartyBits, rule_mask

    names = ["coalition", "mat", "russia", "syria", "ocha"]
    subsets = [frozenset(c) for r in range(1, 4) for c in itertools.combinations(names, r)]
    others = [
        (kind, owner, parties | {owner})
        for kind in ("zone", "operation")
        for owner in names
        for parties in subsets[:12]
    ]
    bits = PartyBits()
    kinds = np.array([0 if k == "zone" else 1 for k, _, _ in others], dtype=np.int8)
    owners = np.array([bits.bit(o) for _, o, _ in others], dtype=np.int64)
    masks = np.array([bits.mask(p) for _, _, p in others], dtype=np.int64)
    for me in others:
        got = rule_mask(me, bits, kinds, owners, masks)
        assert got is not None
        assert got.tolist() == [rule_for(me, o) is not None for o in others]


def test_rule_mask_gives_up_past_the_bit_limit() -> None:
    import numpy as np

    from deconfliction.core.rules import PartyBits, rule_mask

    bits = PartyBits()
    for i in range(PartyBits.LIMIT):
        assert bits.bit(f"p{i}") == i
    assert bits.bit("one-too-many") == -1
    me = ("operation", "one-too-many", frozenset({"one-too-many"}))
    empty = np.empty(0, dtype=np.int64)
    assert rule_mask(me, bits, np.empty(0, dtype=np.int8), empty, empty) is None
