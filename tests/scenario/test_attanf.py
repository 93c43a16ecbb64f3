"""The At Tanf scenario end to end: every step of shared/SCENARIO.md gives the expected verdict."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from deconfliction.core.distance import separation
from deconfliction.core.engine import ConflictIndex
from deconfliction.scenario import attanf
from deconfliction.scenario.demo import run_demo


def _pairs(conflicts: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(c.b_id, c.reason) for c in conflicts}


def test_each_step_of_the_scenario() -> None:
    zone = attanf.at_tanf_zone()
    index = ConflictIndex([zone])

    exercise = attanf.exercise()
    assert index.check(exercise) == []  # inside its owners' own zone
    index.add(exercise)

    naval = attanf.naval_drills()
    assert index.check(naval) == []  # far from At Tanf
    index.add(naval)

    pursuit = attanf.pursuit()
    assert _pairs(index.check(pursuit)) == {
        ("at-tanf-zone", "ZONE_ENTRY_NOT_ALLOWED"),
        ("exercise", "OPERATIONS_OVERLAP"),
    }
    revised = attanf.pursuit_revised()
    assert revised.version != pursuit.version
    edge = separation(revised.volumes[0].outline, zone.volumes[0].outline)
    assert edge.separation_m >= 5_000.0  # at least 5 km outside the zone's edge
    assert index.check(revised) == []
    index.add(revised)

    convoy = attanf.convoy()
    conflicts = index.check(convoy)
    assert _pairs(conflicts) == {
        ("at-tanf-zone", "ZONE_ENTRY_NOT_ALLOWED"),
        ("exercise", "OPERATIONS_OVERLAP"),
    }
    for c in conflicts:
        assert c.parties == (("ocha",) if c.b_kind == "zone" else ("coalition", "ocha"))
        assert c.separation_m < 0

    window = (datetime(2018, 9, 12, 6, tzinfo=UTC), datetime(2018, 9, 12, 18, tzinfo=UTC))
    index.add(zone.revised(allowed=zone.allowed | {"ocha"}))
    index.add(attanf.exercise(paused=window))
    assert index.check(attanf.convoy(window)) == []
    # outside the pause the convoy would still meet the exercise
    late = attanf.convoy((window[1], datetime(2018, 9, 12, 20, tzinfo=UTC)))
    assert _pairs(index.check(late)) == {("exercise", "OPERATIONS_OVERLAP")}


def test_the_demo_tells_the_story() -> None:
    console = Console(record=True, width=160)
    index = run_demo(console)
    text = console.export_text()
    assert "pursuit: 2 conflict(s)" in text
    assert "convoy: 2 conflict(s)" in text
    assert "0 open conflicts" in text
    assert len(index) == 5
