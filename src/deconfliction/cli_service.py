"""The service's commands: ``serve``, ``party add``, ``token issue`` and ``ledger export``.

``serve`` takes its options from :data:`deconfliction.api.settings.SETTINGS` (each also read
from its ``DECONFLICTION_*`` variable). The others work on the database directly, as the
deployment's operator: the ledger records them as done by ``server``.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deconfliction.api.settings import SETTINGS, Settings
from deconfliction.channel import ledger as ledger_mod
from deconfliction.channel.service import SERVER, Service, hash_token
from deconfliction.core.errors import DeconflictionError
from deconfliction.core.parties import PartyProfile
from deconfliction.store import SqlStore, open_store

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "ADMIN",
    "local_delete",
    "local_write",
    "open_service",
    "party_app",
    "register",
    "serve",
    "token_app",
]

#: the admin party every deployment has
ADMIN = "admin"

party_app = typer.Typer(help="Parties of the service.", no_args_is_help=True)
token_app = typer.Typer(help="Credentials.", no_args_is_help=True)


def _fail(message: str) -> None:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    raise typer.Exit(2)


def open_service(db: str) -> Service:
    """The service over ``db``, with the admin party created if missing."""
    service = Service(open_store(db))
    if ADMIN not in service.parties_by_id():
        service.put_party(SERVER, PartyProfile(id=ADMIN, name="Administrator", role="admin"),
                          create=True)
    return service


#: the justification the ledger records for conflicts written with the local tool
LOCAL_OVERRIDE = "written with the local tool by the deployment's operator"


def _operator() -> Any:
    from deconfliction.channel.service import ALL_SCOPES, Principal

    return Principal(SERVER, ALL_SCOPES, admin=True)


def local_write(store: SqlStore, objects: list[Any], current: dict[str, str]) -> None:
    """Write ``objects`` as the deployment's operator, through the service (checked,
    ledgered, the parties concerned told). ``current``: id -> the stored version it
    replaces. Conflicts are written with :data:`LOCAL_OVERRIDE` (the caller refuses them
    first under ``--strict``)."""
    from deconfliction.channel.service import check_object_id

    for obj in objects:  # refuse before writing anything
        check_object_id(obj.id)
    service = Service(store)
    who = _operator()
    seen = service.versions()
    for obj in objects:
        old = current.get(obj.id)
        service.save(who, obj, expected_version=old, create=old is None, seen=seen,
                     override=LOCAL_OVERRIDE if service.check(obj) else None)
        seen[obj.id] = obj.version


def local_delete(store: SqlStore, kind: Any, obj_id: str) -> None:
    """Remove an object as the deployment's operator (ledgered)."""
    service = Service(store)
    who = _operator()
    current = service.get(who, obj_id, kind)["version"]
    service.delete(who, kind, obj_id, current)


def _db_option() -> Any:
    s = next(s for s in SETTINGS if s.name == "db")
    # inside Annotated[...] the first argument is a flag name, not the default: the default
    # is the parameter's own (``= "deconfliction.db"``)
    return typer.Option("--db", envvar=s.env, help=s.help)


def serve(**given: Any) -> None:
    """Run the HTTP API (options below; each also from its DECONFLICTION_* variable)."""
    import uvicorn

    from deconfliction.api import create_app

    try:
        settings = Settings.load(given)
        service = open_service(settings.db)
        if settings.admin_token:
            with service.store.write() as tx:
                if tx.token(hash_token(settings.admin_token)) is None:
                    tx.add_token(hash_token(settings.admin_token), ADMIN, ["admin", *sorted(
                        s for s in _all_scopes() if s != "admin")],
                        created_at=ledger_mod.utc_stamp(service.clock()))
        if settings.scenario:
            _load_scenario(service, settings)
    except DeconflictionError as err:
        _fail(f"{err} ({err.code})")
    print(f"deconfliction: http://{settings.host}:{settings.port}/docs "
          f"(store: {service.store.label})", file=sys.stderr, flush=True)
    if settings.workers > 1:
        # each worker process builds its own service from these settings (worker_app)
        service.store.close()
        for s in SETTINGS:
            os.environ[s.env] = str(getattr(settings, s.name))
        uvicorn.run("deconfliction.cli_service:worker_app", factory=True,
                    workers=settings.workers, host=settings.host, port=settings.port,
                    log_level=settings.log_level)
        return
    app = create_app(service, settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)


def worker_app() -> FastAPI:
    """The app of one ``serve --workers N`` process (settings from the environment the
    parent set; the parent loaded the scenario and the admin token)."""
    from deconfliction.api import create_app

    settings = Settings.load({})
    return create_app(open_service(settings.db), settings)


def _all_scopes() -> list[str]:
    from deconfliction.channel.service import ALL_SCOPES

    return sorted(ALL_SCOPES)


def _load_scenario(service: Service, settings: Settings) -> None:
    if settings.scenario != "attanf":
        _fail(f"scenario: unknown scenario {settings.scenario!r} (BAD_SCENARIO)")
    from deconfliction.scenario.service_load import load_attanf

    if len(service.parties_by_id()) > 1:
        print("deconfliction: the store has parties already; the scenario is not loaded again",
              file=sys.stderr)
        return
    tokens = load_attanf(service)
    tokens[ADMIN] = service.issue_token(SERVER, ADMIN)
    path = Path(settings.db + ".tokens.json") if "://" not in settings.db else Path(
        "deconfliction.tokens.json")
    path.write_text(json.dumps(tokens, indent=2) + "\n")
    os.chmod(path, 0o600)
    print("deconfliction: At Tanf scenario loaded; log in as a party with its token "
          f"(also in {path}):", file=sys.stderr)
    for party, tok in tokens.items():
        print(f"  {party:10s} {tok}", file=sys.stderr)


def _serve_signature() -> inspect.Signature:
    params = []
    for s in SETTINGS:
        params.append(inspect.Parameter(
            s.name, inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, s.flag, envvar=s.env,
                                 help=f"{s.help} [default: {s.default}]"),
            annotation=s.type | None,
        ))
    return inspect.Signature(params)


serve.__signature__ = _serve_signature()  # type: ignore[attr-defined]


@party_app.command("add")
def party_add(
    party: Annotated[str, typer.Argument(help="the party id (lower case)")],
    name: Annotated[str, typer.Option(help="full name")] = "",
    contact: Annotated[str, typer.Option(help="how to reach its operations desk")] = "",
    role: Annotated[str, typer.Option(help="party or admin")] = "party",
    escalation_to: Annotated[str | None, typer.Option(help="told of its overdue answers")]
    = None,
    ack_window_s: Annotated[float, typer.Option(help="time it has to answer")] = 3600.0,
    webhook_url: Annotated[str | None, typer.Option(help="where messages are pushed")] = None,
    db: Annotated[str, _db_option()] = "deconfliction.db",
) -> None:
    """Create a party and print its credentials (an API token, shown once)."""
    try:
        service = open_service(db)
        profile = PartyProfile(id=party, name=name, role=role, contact=contact,
                               escalation_to=escalation_to, ack_window_s=ack_window_s,
                               webhook_url=webhook_url)
        service.put_party(SERVER, profile, create=True)
        token = service.issue_token(SERVER, party)
    except DeconflictionError as err:
        _fail(f"{err} ({err.code})")
    print(json.dumps({"party": party, "token": token}))


@token_app.command("issue")
def token_issue(
    party: Annotated[str, typer.Argument(help="the party")],
    scopes: Annotated[str | None, typer.Option(help="space-separated scopes")] = None,
    ttl_s: Annotated[float | None, typer.Option(help="lifetime (default: none)")] = None,
    jwt: Annotated[bool, typer.Option("--jwt", help="a signed JWT instead")] = False,
    db: Annotated[str, _db_option()] = "deconfliction.db",
) -> None:
    """Issue another API token (or a JWT) for a party."""
    try:
        service = open_service(db)
        wanted = scopes.split() if scopes is not None else None
        if jwt:
            from deconfliction.api.auth import issue_jwt
            from deconfliction.channel.service import ALL_SCOPES, PARTY_SCOPES

            profile = service.party(party)
            default = ALL_SCOPES if profile.admin else PARTY_SCOPES
            print(issue_jwt(service, party, wanted or default, int(ttl_s or 3600)))
        else:
            print(service.issue_token(SERVER, party, wanted, ttl_s=ttl_s))
    except DeconflictionError as err:
        _fail(f"{err} ({err.code})")


def ledger_export(
    out: Annotated[Path | None, typer.Option("--out", help="file (default: stdout)")] = None,
    keys: Annotated[Path | None, typer.Option("--keys", help="also write the public keys")]
    = None,
    db: Annotated[str, _db_option()] = "deconfliction.db",
) -> None:
    """Write the whole ledger as JSON lines (and the keys that verify it)."""
    try:
        service = open_service(db)
        with service.store.read() as tx:
            entries = [ledger_mod.entry_from_dict(d) for d in tx.ledger_entries()]
        text = ledger_mod.to_jsonl(entries)
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text)
        if keys is not None:
            keys.write_text(ledger_mod.keys_to_json(
                {SERVER: ledger_mod.public_key_from_text(service.public_key)}))
    except DeconflictionError as err:
        _fail(f"{err} ({err.code})")
    except OSError as err:
        _fail(f"{err.filename or ''}: {err.strerror or err}")


def register(app: typer.Typer, ledger_app: typer.Typer) -> None:
    """Mount the service's commands on the main CLI."""
    app.command("serve")(serve)
    app.add_typer(party_app, name="party")
    app.add_typer(token_app, name="token")
    ledger_app.command("export")(ledger_export)
    app.add_typer(ledger_app, name="ledger")
