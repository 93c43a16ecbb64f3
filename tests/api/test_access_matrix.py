"""Who sees and changes what: every route of the app × every kind of caller.

The table below has one row per route (a test fails if the app has a route the table does
not name, or the other way round). Each row says how to make the request, which scope it
needs, the status each caller gets and, where it matters, what the caller may see in the
answer. Every cell runs on its own copy of the populated world (see ``world.populate``),
and a refused request must leave the ledger as it was: it wrote nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from api.world import FAR, HERE, World, circle
from deconfliction.api import create_app
from deconfliction.api.auth import JWT_AUDIENCE, JWT_ISSUER
from deconfliction.api.routes.dss import PREFIX as DSS_PREFIX
from deconfliction.api.settings import Settings
from deconfliction.channel.service import PARTY_SCOPES, SERVER
from deconfliction.channel.views import HIDDEN_FIELDS

#: the caller behind each role, relative to alpha's objects (see world.py)
PARTY_OF = {"owner": "alpha", "other": "delta", "involved": "charlie", "admin": "admin"}
NO_CREDENTIALS = ("anonymous", "bad_token", "forged_jwt", "expired_token", "expired_jwt")
ROLES = (*PARTY_OF, "wrong_scope", *NO_CREDENTIALS)

Check = Callable[[str, Any], None]
Request = tuple[str, dict[str, Any] | None, dict[str, str]]  # path, JSON body, headers


@dataclass(frozen=True)
class Row:
    """One route: the request, the scope it needs and what each role gets."""

    method: str
    path: str
    #: the scope it needs; "" when any valid token will do, None when it is public
    scope: str | None
    request: Callable[[World, dict[str, str]], Request]
    #: role -> status (or (status, code)) for the four parties
    status: dict[str, int | tuple[int, str]]
    check: Check | None = None
    #: the party whose token lacks the scope in the wrong_scope cell
    acting: str = "alpha"
    extra: dict[str, int | tuple[int, str]] = field(default_factory=dict)


def fixed(path: str, body: dict[str, Any] | None = None) -> Callable[..., Request]:
    return lambda w, ids: (path.format(**ids), body, {})


def if_match(path: str, obj_id: str, body: Callable[[World], dict[str, Any]] | None = None
             ) -> Callable[..., Request]:
    def make(w: World, ids: dict[str, str]) -> Request:
        v = w.version(path, obj_id)
        return f"/{path}/{obj_id}", body(w) if body else None, {"If-Match": f'"{v}"'}
    return make


# -- what a role may see -------------------------------------------------------------------

def _sees(obj: dict[str, Any], role: str, *, full: set[str], name: str) -> None:
    if role in full:
        assert obj["shared"] == "full"
        assert obj["name"] == name
    else:
        assert obj["shared"] == "volumes"
        assert not HIDDEN_FIELDS & obj.keys(), obj.keys()
        assert obj["contact"] == "alpha ops desk"
        assert obj["volumes"]


def sees_zone(role: str, body: Any) -> None:
    obj = body if "id" in body else next(o for o in body["items"] if o["id"] == "z-alpha")
    _sees(obj, role, full={"owner", "involved", "admin", "wrong_scope"}, name="Alpha base")
    if role == "other":
        assert obj["viewer_allowed"] is True


def sees_operation(role: str, body: Any) -> None:
    obj = body if "id" in body else next(o for o in body["items"] if o["id"] == "op-alpha")
    _sees(obj, role, full={"owner", "involved", "admin", "wrong_scope"}, name="Secret convoy")
    if role != "other":
        assert set(obj["participants"]) == {"alpha", "charlie"}
        assert obj["priority"] == 7


def sees_conflicts(role: str, body: Any) -> None:
    expected = 0 if role == "other" else 1
    assert body["count"] == expected, body
    for c in body["items"]:
        assert {c["a"]["id"], c["b"]["id"]} == {"op-alpha", "z-bravo"}


def own_inbox(role: str, body: Any) -> None:
    party = PARTY_OF.get(role, "alpha")
    assert all(m["recipient"] == party for m in body["items"])
    assert any(m["subject"] == "op-alpha" for m in body["items"]) == (role == "involved")


def own_sent(role: str, body: Any) -> None:
    party = PARTY_OF.get(role, "alpha")
    assert all(m["sender"] == party for m in body["items"])
    assert any(m["recipient"] == "charlie" for m in body["items"]) == (role == "owner")


def own_events(role: str, body: Any) -> None:
    text = body
    if role == "involved":
        assert '"subject":"op-alpha"' in text
    else:
        assert '"recipient":"charlie"' not in text


_PUBLIC_PARTY_KEYS = {"id", "name", "role", "contact"}


def directory(role: str, body: Any) -> None:
    items = {p["id"]: p for p in body["items"]}
    assert {"alpha", "bravo", "charlie", "delta", "echo", "admin"} <= items.keys()
    for pid, p in items.items():
        if role == "admin" or pid == PARTY_OF.get(role, "alpha"):
            assert "ack_window_s" in p
        else:
            assert p.keys() == _PUBLIC_PARTY_KEYS, (pid, p)


def one_party(role: str, body: Any) -> None:
    if role == "admin":
        assert body["escalation_to"] == "echo"
    else:
        assert body.keys() == _PUBLIC_PARTY_KEYS


def ledger_view(role: str, body: Any) -> None:
    party = PARTY_OF.get(role, "alpha")
    assert body["count"] > 0
    for e in body["items"]:
        mine = role == "admin" or party in e["parties"]
        assert (e["payload"] is not None) == mine, e
    about_op = [e for e in body["items"] if e["subject"] == "op-alpha"
                and e["kind"] == "operation.created"]
    assert len(about_op) == 1
    assert (about_op[0]["payload"] is None) == (role == "other")


def ledger_ok(role: str, body: Any) -> None:
    assert body["ok"] is True and body["count"] > 0


def jwt_scopes(role: str, body: Any) -> None:
    assert body["token_type"] == "bearer"
    assert body["scopes"] == ([] if role == "wrong_scope" else body["scopes"])


def checked_for_alpha(role: str, body: Any) -> None:
    assert body["binding"] is False  # a draft: reported, not refused
    assert {c["b"]["id"] for c in body["conflicts"]} == {"z-bravo"}, body


def the_page(role: str, body: Any) -> None:
    assert "<title>deconfliction" in body


def created_for_alpha(role: str, body: Any) -> None:
    assert body["object"]["owner"] == "alpha"


ALL_OK: dict[str, int | tuple[int, str]] = {r: 200 for r in PARTY_OF}
OWNER_WRITES: dict[str, int | tuple[int, str]] = {
    "owner": 200, "admin": 200, "other": (403, "NOT_OWNER"), "involved": (403, "NOT_OWNER")}
OWNER_CREATES: dict[str, int | tuple[int, str]] = {**OWNER_WRITES, "owner": 201, "admin": 201}


def _zone_body(w: World) -> dict[str, Any]:
    return {"name": "Alpha base, smaller", "volumes": [circle(*FAR, 1_000.0)]}


def _draft_body(w: World) -> dict[str, Any]:
    return {"name": "Draft plan v2", "volumes": [circle(-40.0, -60.0, 500.0)]}


ROWS: tuple[Row, ...] = (
    Row("POST", "/zones", "zones:write", fixed("/zones", {
        "id": "z-new", "owner": "alpha", "volumes": [circle(-20.0, 20.0, 1_000.0)]}),
        OWNER_CREATES, created_for_alpha),
    Row("GET", "/zones", "zones:read", fixed("/zones"), ALL_OK, sees_zone),
    Row("GET", "/zones/{obj_id}", "zones:read", fixed("/zones/z-alpha"), ALL_OK, sees_zone),
    Row("PUT", "/zones/{obj_id}", "zones:write", if_match("zones", "z-alpha", _zone_body),
        OWNER_WRITES),
    Row("DELETE", "/zones/{obj_id}", "zones:write", if_match("zones", "z-alpha"), OWNER_WRITES),
    Row("POST", "/operations", "operations:write", fixed("/operations", {
        "id": "op-new", "owner": "alpha", "volumes": [circle(-20.0, 20.0, 1_000.0)]}),
        OWNER_CREATES, created_for_alpha),
    Row("GET", "/operations", "operations:read", fixed("/operations"), ALL_OK, sees_operation),
    Row("GET", "/operations/{obj_id}", "operations:read", fixed("/operations/op-alpha"),
        ALL_OK, sees_operation),
    Row("PUT", "/operations/{obj_id}", "operations:write",
        if_match("operations", "op-draft", _draft_body), OWNER_WRITES),
    Row("DELETE", "/operations/{obj_id}", "operations:write", if_match("operations", "op-draft"),
        OWNER_WRITES),
    # going active with notices unanswered: the owner (and an admin) learn which; nobody
    # else learns anything about the operation's notices
    Row("POST", "/operations/{obj_id}/state", "operations:write",
        lambda w, ids: ("/operations/op-alpha/state",
                        {"state": "active", "version": w.version("operations", "op-alpha")},
                        {}),
        {"owner": (409, "UNACKNOWLEDGED_NOTICES"), "admin": (409, "UNACKNOWLEDGED_NOTICES"),
         "other": (403, "NOT_OWNER"), "involved": (403, "NOT_OWNER")}),
    Row("GET", "/conflicts", "operations:read", fixed("/conflicts"), ALL_OK, sees_conflicts),
    # position reports: an empty batch is accepted from anyone who may write operations
    Row("POST", "/reports", "operations:write", fixed("/reports"), ALL_OK),
    # the live tracks: anyone who may read operations (what each sees: tests/api/test_tracks)
    Row("GET", "/tracks", "operations:read", fixed("/tracks"), ALL_OK),
    Row("GET", "/tracks/stream", "operations:read", fixed("/tracks/stream?once=true"), ALL_OK),
    # a dry run of POST /operations: the same scope and owner rule, nothing written
    Row("POST", "/check", "operations:write", fixed("/check", {
        "owner": "alpha", "volumes": [circle(*HERE, 1_000.0)]}), OWNER_WRITES,
        checked_for_alpha),
    Row("GET", "/inbox", "messages:read", fixed("/inbox"), ALL_OK, own_inbox),
    Row("GET", "/sent", "messages:read", fixed("/sent"), ALL_OK, own_sent),
    Row("GET", "/messages/{msg_id}", "messages:read", fixed("/messages/{msg_charlie}"),
        {"owner": 200, "involved": 200, "admin": 200, "other": 404}),
    Row("POST", "/messages/{msg_id}/ack", "messages:write",
        fixed("/messages/{msg_charlie}/ack", {"answer": "ack"}),
        {"involved": 200, "owner": 404, "admin": 404, "other": 404}),
    Row("GET", "/events", "events:read", fixed("/events?once=true"), ALL_OK, own_events),
    Row("GET", "/parties", "", fixed("/parties"), ALL_OK, directory),
    Row("GET", "/parties/{party}", "", fixed("/parties/bravo"), ALL_OK, one_party),
    Row("POST", "/parties", "admin", fixed("/parties", {"id": "foxtrot"}),
        {"admin": 201, "owner": (403, "MISSING_SCOPE"), "other": (403, "MISSING_SCOPE"),
         "involved": (403, "MISSING_SCOPE")}, acting="admin"),
    # a party keeps its own profile; an admin any
    Row("PUT", "/parties/{party}", "", fixed("/parties/alpha", {
        "id": "alpha", "name": "Alpha", "contact": "alpha ops desk, line 2"}),
        {"owner": 200, "admin": 200, "other": (403, "FORBIDDEN"),
         "involved": (403, "FORBIDDEN")}),
    Row("POST", "/token", "", fixed("/token"), ALL_OK, jwt_scopes),
    Row("GET", "/ledger", "ledger:read", fixed("/ledger"), ALL_OK, ledger_view),
    Row("GET", "/ledger/verify", "ledger:read", fixed("/ledger/verify"), ALL_OK, ledger_ok),
    # public by design: what a reader needs to verify the ledger, probes and the API's docs
    Row("GET", "/ledger/keys", None, fixed("/ledger/keys"), ALL_OK),
    Row("GET", "/healthz", None, fixed("/healthz"), ALL_OK),
    Row("GET", "/metrics", None, fixed("/metrics"), ALL_OK),
    Row("GET", "/openapi.json", None, fixed("/openapi.json"), ALL_OK),
    Row("GET", "/docs", None, fixed("/docs"), ALL_OK),
    Row("GET", "/docs/oauth2-redirect", None, fixed("/docs/oauth2-redirect"), ALL_OK),
    Row("GET", "/redoc", None, fixed("/redoc"), ALL_OK),
    # the web page and its static files: public; the page logs in with a party's token
    Row("GET", "/", None, fixed("/"), ALL_OK, the_page),
    Row("GET", "/web/{path}", None, fixed("/web/app.js"), ALL_OK),
)


def test_the_table_names_every_route_of_the_app(world: World, tmp_path: Path) -> None:
    """A new endpoint cannot be forgotten here. The app is built with the F3548 DSS on: its
    routes (one mount, /dss/v1) authenticate with the standard's RS256 tokens, not the
    parties' tokens, and have their own matrix (tests/dss/test_auth.py)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "issuer.pem"
    pem.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    settings = Settings.load({"dss_enabled": "true", "dss_public_key": str(pem),
                              "dss_audience": "dss.example.com"}, environ={})
    app = create_app(world.service, settings, workers=False)
    routes: set[tuple[str, str]] = set()

    def walk(found: list[Any], prefix: str) -> None:
        for r in found:
            if hasattr(r, "original_router"):  # FastAPI >= 0.16x: routers included lazily
                walk(r.original_router.routes, prefix + r.include_context.prefix)
                continue
            if isinstance(r, Mount) and r.path == DSS_PREFIX:  # see tests/dss/test_auth.py
                continue
            if isinstance(r, Mount):  # static files: one row for every path below it
                routes.add(("GET", prefix + r.path + "/{path}"))
                continue
            assert isinstance(r, APIRoute | Route), r
            routes.update((m, prefix + r.path) for m in (r.methods or set()) - {"HEAD"})

    walk(app.routes, "")
    assert any(isinstance(r, Mount) and r.path == DSS_PREFIX for r in app.routes)
    assert len(routes) > 20
    assert routes == {(row.method, row.path) for row in ROWS}


def _expected(row: Row, role: str) -> tuple[int, str | None]:
    if role in NO_CREDENTIALS:
        return (200, None) if row.scope is None else (401, "UNAUTHENTICATED")
    if role == "wrong_scope":
        if row.scope:
            return 403, "MISSING_SCOPE"
        role = "admin" if row.acting == "admin" else "owner"
    want = row.status[role]
    if isinstance(want, tuple):
        return want
    return want, {404: "NOT_FOUND"}.get(want)


def _credentials(w: World, row: Row, role: str) -> dict[str, str]:
    service = w.service
    if role in PARTY_OF:
        return w.auth(PARTY_OF[role])
    if role == "anonymous":
        return {}
    if role == "bad_token":
        return {"Authorization": "Bearer dcf_this-token-was-never-issued"}
    if role == "wrong_scope":
        scopes: list[str] = []  # any valid token will do: one with no scope at all
        if row.scope:  # every scope the acting party could hold but the one needed
            base = PARTY_SCOPES | {"admin"} if row.acting == "admin" else PARTY_SCOPES
            scopes = sorted(base - {row.scope})
        token = service.issue_token(SERVER, row.acting, scopes)
        return {"Authorization": f"Bearer {token}"}
    if role == "expired_token":
        token = service.issue_token(SERVER, "alpha", ttl_s=60)
        w.clock.advance(61)
        return {"Authorization": f"Bearer {token}"}
    import time

    claims = {"sub": "alpha", "scope": " ".join(sorted(PARTY_SCOPES)), "aud": JWT_AUDIENCE,
              "iss": JWT_ISSUER, "iat": int(time.time()) - 100, "exp": int(time.time()) + 600}
    key = service.signing_key
    if role == "forged_jwt":
        key = Ed25519PrivateKey.generate()
    elif role == "expired_jwt":
        claims["exp"] = int(time.time()) - 10
    else:  # pragma: no cover
        raise AssertionError(role)
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm='EdDSA')}"}


def _head(w: World) -> int:
    with w.service.store.read() as tx:
        seq: int = tx.ledger_head()[0]
        return seq


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.path}")
def test_access(row: Row, role: str, populated: tuple[World, dict[str, str]]) -> None:
    w, ids = populated
    headers = _credentials(w, row, role)
    path, body, more = row.request(w, ids)
    before = _head(w)
    r = w.client.request(row.method, path, json=body, headers={**headers, **more})
    status, code = _expected(row, role)
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.json()["code"] == code, r.text
        assert _head(w) == before, "a refused request wrote to the ledger"
        if status == 401:
            assert r.headers["WWW-Authenticate"] == "Bearer"
    elif row.check is not None:
        json = r.headers.get("content-type", "").startswith("application/json")
        row.check(role, r.json() if json else r.text)


def test_a_jwt_carries_at_most_the_scopes_of_the_token_it_was_exchanged_for(
        world: World) -> None:
    w = world
    r = w.client.post("/token", headers=w.auth("alpha"), json={"scopes": ["zones:read"]})
    assert r.status_code == 200 and r.json()["scopes"] == ["zones:read"]
    narrow = {"Authorization": f"Bearer {r.json()['token']}"}
    assert w.client.get("/zones", headers=narrow).status_code == 200
    r = w.client.post("/zones", headers=narrow, json={"volumes": [circle(*FAR)]})
    assert (r.status_code, r.json()["code"]) == (403, "MISSING_SCOPE")
    # a JWT cannot widen itself, nor a party token become an admin one
    r = w.client.post("/token", headers=narrow, json={"scopes": ["zones:write"]})
    assert (r.status_code, r.json()["code"]) == (403, "MISSING_SCOPE")
    r = w.client.post("/token", headers=w.auth("alpha"), json={"scopes": ["admin"]})
    assert (r.status_code, r.json()["code"]) == (403, "MISSING_SCOPE")
    # a well-signed JWT whose party does not exist, or whose scope claims "admin" for a
    # party that is not one
    import time

    now = int(time.time())
    base = {"aud": JWT_AUDIENCE, "iss": JWT_ISSUER, "iat": now, "exp": now + 60}
    ghost = jwt.encode({**base, "sub": "ghost", "scope": "zones:read"},
                       w.service.signing_key, algorithm="EdDSA")
    r = w.client.get("/zones", headers={"Authorization": f"Bearer {ghost}"})
    assert (r.status_code, r.json()["code"]) == (401, "UNAUTHENTICATED")
    uppity = jwt.encode({**base, "sub": "alpha", "scope": "admin"}, w.service.signing_key,
                        algorithm="EdDSA")
    r = w.client.post("/parties", headers={"Authorization": f"Bearer {uppity}"},
                      json={"id": "golf"})
    assert (r.status_code, r.json()["code"]) == (403, "NOT_ADMIN")
    # not a bearer token at all
    r = w.client.get("/zones", headers={"Authorization": f"Basic {w.tokens['alpha']}"})
    assert r.status_code == 401


def test_an_api_token_with_a_lifetime_expires_on_the_service_clock(world: World) -> None:
    w = world
    token = w.service.issue_token(SERVER, "alpha", ttl_s=3600)
    h = {"Authorization": f"Bearer {token}"}
    assert w.client.get("/zones", headers=h).status_code == 200
    w.clock.advance(3599)
    assert w.client.get("/zones", headers=h).status_code == 200
    w.clock.advance(1)
    assert w.client.get("/zones", headers=h).status_code == 401
