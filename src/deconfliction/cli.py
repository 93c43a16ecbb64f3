"""The ``deconfliction`` command: a party's local tool for zones, operations and checks.

Input files may be native JSON, GeoJSON or ASTM F3548 volume lists (see
:mod:`deconfliction.formats`). Bad input of any kind prints one line to stderr,
``error: <field>: <message> (<CODE>)``, and exits with status 2. Adding an object that
conflicts with stored ones stores it and prints the conflicts as a warning; ``--strict``
refuses instead (status 1, nothing written).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import typer
from rich.console import Console

from deconfliction.borders import load_atlas
from deconfliction.cli_borders import register as register_borders_commands
from deconfliction.cli_ledger import ledger_app
from deconfliction.cli_monitor import register as register_monitor_commands
from deconfliction.cli_render import conflict_table, object_table, volume_table, window_text
from deconfliction.cli_service import local_delete, local_write
from deconfliction.cli_service import register as register_service_commands
from deconfliction.cli_sources import register as register_source_commands
from deconfliction.core.clip import clip_zone
from deconfliction.core.conflict import Conflict
from deconfliction.core.errors import DeconflictionError, ValidationError
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.formats import load_objects
from deconfliction.formats._fields import state as parse_state
from deconfliction.formats.native import object_to_dict
from deconfliction.store import ObjectKind, SqlStore, Store, open_store

__all__ = ["app", "main"]

Obj = Zone | Operation

app = typer.Typer(
    name="deconfliction",
    help="Keep parties who share a space, but not a chain of command, from colliding.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
zone_app = typer.Typer(help="Zones: areas only the owner and allowed parties may enter.",
                       no_args_is_help=True)
op_app = typer.Typer(help="Operations: planned activities in space and time.",
                     no_args_is_help=True)
app.add_typer(zone_app, name="zone")
app.add_typer(op_app, name="op")
register_service_commands(app, ledger_app)
register_source_commands(app)
register_monitor_commands(app)
register_borders_commands(app)


@dataclass(frozen=True)
class _Settings:
    db: Path


# -- plumbing -------------------------------------------------------------------------------


def _fail(message: str, status: int = 2) -> NoReturn:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    raise typer.Exit(status)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn domain and I/O errors into one line on stderr and exit status 2."""
    try:
        yield
    except DeconflictionError as err:
        _fail(f"{err} ({err.code})")
    except OSError as err:
        _fail(f"{err.filename or ''}: {err.strerror or err}")


def _console() -> Console:
    return Console(highlight=False)


def _settings(ctx: typer.Context) -> _Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, _Settings)
    return obj


@contextmanager
def _store(ctx: typer.Context, create: bool) -> Iterator[SqlStore | None]:
    """The store, or ``None`` when the database does not exist and ``create`` is false."""
    db = _settings(ctx).db
    if not create and not db.exists():
        yield None
        return
    with open_store(db) as store:
        yield store


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _stored(store: Store | None) -> list[Obj]:
    if store is None:
        return []
    return [*store.list_zones(), *store.list_operations()]


def _conflicts(new: Sequence[Obj], base: Sequence[Obj]) -> list[Conflict]:
    """Conflicts of each new object with ``base`` and with the new objects before it."""
    from deconfliction.core.engine import ConflictIndex  # the engine is slow to import

    index = ConflictIndex(base)
    out: list[Conflict] = []
    for obj in new:
        out.extend(index.check(obj))
        index.add(obj)
    return out


def _owned(objects: list[Obj], owner: str | None) -> None:
    for obj in objects:
        if owner is not None and obj.owner != owner:
            raise ValidationError(
                "OWNER_MISMATCH", f"{obj.id} belongs to {obj.owner}, not {owner}", "owner"
            )


def _write(
    ctx: typer.Context, objects: list[Obj], strict: bool, console: Console
) -> None:
    """Store ``objects`` (atomically), after warning about or refusing conflicts."""
    if not objects:
        _fail("the file holds no zones or operations (NO_OBJECTS)")
    with _store(ctx, create=True) as store:
        assert store is not None
        stored = {o.id: o for o in _stored(store)}
        ready: list[Obj] = []
        for obj in objects:
            old = stored.get(obj.id)
            if old is not None and old.owner != obj.owner:
                raise ValidationError(
                    "OWNER_MISMATCH", f"{obj.id} is stored as {old.owner}'s, not {obj.owner}'s",
                    "owner",
                )
            ready.append(obj.revised() if old is not None and old.version == obj.version else obj)
        conflicts = _conflicts(ready, list(stored.values()))
        if conflicts and strict:
            console.print(conflict_table(conflicts, "conflicts (nothing written)"))
            _fail(f"{len(conflicts)} conflict(s); nothing written (--strict)", status=1)
        local_write(store, ready, {o.id: o.version for o in stored.values()})
    for obj in ready:
        verb = "replaced" if obj.id in stored else "added"
        kind = "zone" if isinstance(obj, Zone) else "operation"
        console.print(f"{verb} {kind} {obj.id} (version {obj.version})")
    if conflicts:
        print(f"warning: {len(conflicts)} conflict(s) with stored objects", file=sys.stderr)
        console.print(conflict_table(conflicts))


def _load(file: Path, kind: ObjectKind, owner: str | None, state: str | None,
          clip_to: str | None = None) -> list[Obj]:
    default_state = None if kind == "zone" else (state or OperationState.PROPOSED)
    objects = load_objects(file, default_object=kind, owner=owner, default_state=default_state,
                           borders=load_atlas)
    if clip_to is not None:
        country = load_atlas().country(clip_to)
        objects = [clip_zone(o, country) if isinstance(o, Zone) else o for o in objects]
    _owned(objects, owner)
    wanted = Zone if kind == "zone" else Operation
    for i, obj in enumerate(objects):
        if not isinstance(obj, wanted):
            raise ValidationError(
                "WRONG_OBJECT", f"{obj.id} is not a {kind}; use the other command", f"[{i}]"
            )
    if state is not None:
        target = parse_state(state, "state")
        objects = [o.revised(state=target) if isinstance(o, Operation) else o for o in objects]
    return objects


def _show(console: Console, obj: Obj, as_json: bool) -> None:
    if as_json:
        _print_json(object_to_dict(obj))
        return
    console.print(object_table([obj], obj.name or obj.id))
    console.print(f"version {obj.version}")
    console.print(volume_table(obj.volumes))


# -- global options -------------------------------------------------------------------------

DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="DECONFLICTION_DB", help="SQLite database file.",
                 show_default=True),
]
OwnerOption = Annotated[
    str | None, typer.Option("--owner", help="The owner, where the file names none.")
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Refuse (exit 1, write nothing) on any conflict.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.callback()
def _root(ctx: typer.Context, db: DbOption = Path("deconfliction.db")) -> None:
    ctx.obj = _Settings(db)


# -- zones ----------------------------------------------------------------------------------


@zone_app.command("add")
def zone_add(
    ctx: typer.Context, file: Path, owner: OwnerOption = None, strict: StrictOption = False,
    clip_to: Annotated[
        str | None,
        typer.Option("--clip-to", help="Keep only the part of each zone inside this country "
                     "(name or numeric code; see `deconfliction borders list`)."),
    ] = None,
) -> None:
    """Add (or replace) the zones in FILE."""
    with _errors():
        _write(ctx, _load(file, "zone", owner, None, clip_to), strict, _console())


@zone_app.command("list")
def zone_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the stored zones."""
    _list(ctx, "zone", as_json)


@zone_app.command("show")
def zone_show(ctx: typer.Context, zone_id: str, as_json: JsonOption = False) -> None:
    """Show one zone."""
    _show_one(ctx, "zone", zone_id, as_json)


@zone_app.command("rm")
def zone_rm(ctx: typer.Context, zone_id: str) -> None:
    """Remove a zone."""
    _remove(ctx, "zone", zone_id)


def _list(ctx: typer.Context, kind: Literal["zone", "operation"], as_json: bool) -> None:
    with _errors(), _store(ctx, create=False) as store:
        objs: list[Zone] | list[Operation] = []
        if store is not None:
            objs = store.list_zones() if kind == "zone" else store.list_operations()
        if as_json:
            _print_json([object_to_dict(o) for o in objs])
        else:
            _console().print(object_table(objs, f"{len(objs)} {kind}(s)"))


def _show_one(
    ctx: typer.Context, kind: Literal["zone", "operation"], obj_id: str, as_json: bool
) -> None:
    with _errors(), _store(ctx, create=False) as store:
        if store is None:
            _fail(f"id: no {kind} with id {obj_id!r} (NOT_FOUND)")
        obj = store.get_zone(obj_id) if kind == "zone" else store.get_operation(obj_id)
        _show(_console(), obj, as_json)


def _remove(ctx: typer.Context, kind: Literal["zone", "operation"], obj_id: str) -> None:
    with _errors(), _store(ctx, create=False) as store:
        if store is None:
            _fail(f"id: no {kind} with id {obj_id!r} (NOT_FOUND)")
        local_delete(store, kind, obj_id)
        _console().print(f"removed {kind} {obj_id}")


# -- operations -----------------------------------------------------------------------------


@op_app.command("add")
def op_add(
    ctx: typer.Context,
    file: Path,
    owner: OwnerOption = None,
    state: Annotated[
        str | None,
        typer.Option("--state", help="Set every operation to this state "
                     "(default: the file's state, else proposed)."),
    ] = None,
    strict: StrictOption = False,
) -> None:
    """Add (or replace) the operations in FILE."""
    with _errors():
        _write(ctx, _load(file, "operation", owner, state), strict, _console())


@op_app.command("list")
def op_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the stored operations."""
    _list(ctx, "operation", as_json)


@op_app.command("show")
def op_show(ctx: typer.Context, op_id: str, as_json: JsonOption = False) -> None:
    """Show one operation."""
    _show_one(ctx, "operation", op_id, as_json)


@op_app.command("rm")
def op_rm(ctx: typer.Context, op_id: str) -> None:
    """Remove an operation."""
    _remove(ctx, "operation", op_id)


@op_app.command("state")
def op_state(
    ctx: typer.Context, op_id: str, new_state: str, strict: StrictOption = False
) -> None:
    """Move an operation to NEW_STATE (draft, proposed, accepted, active, ended, cancelled)."""
    console = _console()
    with _errors(), _store(ctx, create=False) as store:
        if store is None:
            _fail(f"id: no operation with id {op_id!r} (NOT_FOUND)")
        op = store.get_operation(op_id)
        moved = op.transition(parse_state(new_state, "state"))
        conflicts = _conflicts([moved], _stored(store)) if moved.binding else []
        if conflicts and strict:
            console.print(conflict_table(conflicts, "conflicts (nothing written)"))
            _fail(f"{len(conflicts)} conflict(s); state not changed (--strict)", status=1)
        local_write(store, [moved], {op.id: op.version})
    console.print(f"operation {op_id}: {op.state.value} → {moved.state.value} "
                  f"(version {moved.version})")
    if conflicts:
        print(f"warning: {len(conflicts)} conflict(s) with stored objects", file=sys.stderr)
        console.print(conflict_table(conflicts))


# -- checks and the demo --------------------------------------------------------------------


@app.command("check")
def check(
    ctx: typer.Context,
    file: Path,
    against: Annotated[
        list[Path] | None,
        typer.Option("--against", help="Also check against the objects in this file "
                     "(repeatable)."),
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Ignore the stored objects.")
    ] = False,
    owner: OwnerOption = None,
    as_json: JsonOption = False,
    fail_on_conflict: Annotated[
        bool, typer.Option("--fail-on-conflict", help="Exit with status 1 on any conflict.")
    ] = False,
) -> None:
    """Check the plans in FILE against the stored objects and/or other files."""
    with _errors():
        plans = load_objects(file, owner=owner, default_state=OperationState.PROPOSED,
                             borders=load_atlas)
        others: dict[str, Obj] = {}
        if not no_store:
            with _store(ctx, create=False) as store:
                others.update((o.id, o) for o in _stored(store))
        for path in against or []:
            loaded = load_objects(path, owner=owner, default_state=OperationState.PROPOSED,
                                  borders=load_atlas)
            others.update((o.id, o) for o in loaded)
        conflicts = _conflicts(plans, list(others.values()))
    if as_json:
        _print_json([c.to_dict() for c in conflicts])
    else:
        console = _console()
        names = ", ".join(p.id for p in plans)
        if conflicts:
            console.print(conflict_table(conflicts, f"{len(conflicts)} conflict(s): {names}"))
        else:
            console.print(f"no conflicts: {names} against {len(others)} object(s)")
        for p in plans:
            console.print(f"  {p.id}: {window_text(p.validity)}", style="dim")
    if conflicts and fail_on_conflict:
        raise typer.Exit(1)


@app.command("demo")
def demo() -> None:
    """Play the At Tanf scenario (September 2018)."""
    try:
        module = importlib.import_module("deconfliction.scenario.demo")
    except ModuleNotFoundError as err:
        if not (err.name or "").startswith("deconfliction.scenario"):
            raise
        _fail("the demo is not installed (NO_DEMO)")
    module.run_demo(_console())


def main() -> None:
    """Entry point of the ``deconfliction`` console script."""
    app(prog_name="deconfliction")
