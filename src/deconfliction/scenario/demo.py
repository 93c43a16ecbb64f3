"""``deconfliction demo``: the At Tanf scenario, deconflicted step by step."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from deconfliction.core.conflict import Conflict
from deconfliction.core.distance import separation
from deconfliction.core.engine import ConflictIndex
from deconfliction.core.objects import Operation, Zone
from deconfliction.scenario import attanf

__all__ = ["run_demo"]


def conflict_table(conflicts: list[Conflict], title: str) -> Table:
    """Conflicts as a rich table."""
    table = Table(title=title, title_justify="left")
    for col in ("with", "reason", "parties", "when (UTC)", "altitude m", "separation m", "witness"):
        table.add_column(col)
    for c in conflicts:
        table.add_row(
            f"{c.b_kind} {c.b_id}",
            c.reason,
            ", ".join(c.parties),
            f"{_fmt(c.time.start)} → {_fmt(c.time.end)}",
            f"{c.alt_lower_m:,.0f}–{c.alt_upper_m:,.0f}",
            f"{c.separation_m:,.1f}",
            f"{c.witness[0]:.5f}, {c.witness[1]:.5f}",
        )
    return table


def _fmt(t: datetime | None) -> str:
    return "open" if t is None else t.strftime("%Y-%m-%d %H:%M")


def _submit(console: Console, index: ConflictIndex, obj: Zone | Operation) -> list[Conflict]:
    conflicts = index.check(obj)
    if conflicts:
        console.print(conflict_table(conflicts, f"{obj.id}: {len(conflicts)} conflict(s)"))
    else:
        console.print(f"  [green]{obj.id}: no conflicts[/green]")
    index.add(obj)
    return conflicts


def run_demo(console: Console | None = None) -> ConflictIndex:
    """Play the scenario: declare, check, object, revise, reschedule. Returns the index."""
    console = console or Console(width=140)
    if not console.is_terminal:
        console.width = max(console.width, 140)
    index = ConflictIndex()
    console.rule("At Tanf, September 2018")
    zone = attanf.at_tanf_zone()
    console.print(
        "[bold]coalition[/bold] declares the 55 km At Tanf deconfliction zone "
        "(allowed: coalition, mat; surface to 20,000 m; from 2016-03-03)"
    )
    _submit(console, index, zone)

    console.print("\n[bold]1. coalition + mat[/bold]: live-fire exercise, 25 km, 7–15 Sept")
    _submit(console, index, attanf.exercise())
    console.print("  inside its owners' own zone; russia asked to be told of live fire near it")

    console.print("\n[bold]2. russia[/bold]: naval drills off Tartus and Latakia, 1–8 Sept")
    _submit(console, index, attanf.naval_drills())

    console.print("\n[bold]3. russia[/bold]: pursuit of militants from Palmyra south, 10–12 Sept")
    first = _submit(console, index, attanf.pursuit())
    if first:
        console.print("  [yellow]coalition objects over the channel[/yellow]")
        revised = attanf.pursuit_revised()
        edge = separation(revised.volumes[0].outline, zone.volumes[0].outline)
        console.print(
            f"  russia revises the polygon: {edge.separation_m / 1000:,.2f} km outside the "
            "zone's edge"
        )
        _submit(console, index, revised)
        console.print("  coalition acknowledges: conflict closed")

    console.print("\n[bold]4. ocha[/bold]: humanitarian convoy to Rukban, 12 Sept")
    conflicts = _submit(console, index, attanf.convoy())
    if conflicts:
        window = (datetime(2018, 9, 12, 6, tzinfo=UTC), datetime(2018, 9, 12, 18, tzinfo=UTC))
        console.print(
            "  decisions: coalition clears ocha into the zone; the exercise pauses "
            "06:00–18:00 on 12 Sept; the convoy runs in that window"
        )
        index.add(zone.revised(allowed=zone.allowed | {"ocha"}))
        index.add(attanf.exercise(paused=window))
        _submit(console, index, attanf.convoy(window))
    total = sum(len(index.check(o)) for o in index.objects())
    console.rule(f"final picture: {len(index)} objects, {total} open conflicts")
    return index
