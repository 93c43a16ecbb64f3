"""The fast path of POST /zones and /operations answers exactly as the FastAPI routes do.

Two worlds, one with ``fast_writes`` on (the default) and one with it off, get the same
requests in the same order; the statuses, the error codes and fields, and (but for the random
version tokens and ids) the bodies and headers must be the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.world import FAR, HERE, World, circle, open_world
from deconfliction.api.settings import Settings
from deconfliction.channel.service import SERVER

_RANDOM = re.compile(r"^[0-9a-f]{24}$"  # a version token
                     r"|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")  # uuid


def _normal(value: Any) -> Any:
    """``value`` with version tokens and generated ids replaced by a placeholder."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str) and _RANDOM.match(value):
        return "<random>"
    return value


@pytest.fixture
def worlds(tmp_path: Path) -> Iterator[tuple[World, World]]:
    fast = Settings.load({"fast_writes": True}, environ={})
    slow = Settings.load({"fast_writes": False}, environ={})
    with open_world(f"sqlite:///{tmp_path / 'fast.db'}", settings=fast) as a, \
            open_world(f"sqlite:///{tmp_path / 'slow.db'}", settings=slow) as b:
        yield a, b


#: (party or a header value, path, body as JSON / raw bytes, content type, seen from party)
_Case = tuple[str | None, str, Any, str | None, bool]

_CASES: list[_Case] = [
    ("bravo", "/zones", {"id": "z-bravo", "name": "range", "volumes": [circle(*HERE)]},
     "application/json", False),
    ("bravo", "/zones", {"id": "z-bravo", "volumes": [circle(*HERE)]},  # ID_IN_USE
     "application/json", False),
    ("alpha", "/operations", {"id": "op1", "state": "accepted",  # AWARENESS_REQUIRED
                              "volumes": [circle(*HERE, 500.0)]}, "application/json", False),
    ("alpha", "/operations", {"id": "op1", "state": "accepted",  # CONFLICTS
                              "volumes": [circle(*HERE, 500.0)]}, "application/json", True),
    ("alpha", "/operations", {"id": "op1", "state": "accepted", "override": "evacuation",
                              "participants": ["charlie"], "kind": "convoy",
                              "volumes": [circle(*HERE, 500.0)]}, "application/json", True),
    ("alpha", "/operations", {"id": "op2", "volumes": [circle(*FAR)]},
     "application/json; charset=utf-8", False),
    ("alpha", "/zones", {"volumes": [circle(*FAR, 100.0)]}, "application/vnd.x+json", False),
    ("alpha", "/operations", b'{"volumes": [', "application/json", False),  # bad JSON
    ("alpha", "/operations", {"name": "no volumes"}, "application/json", False),
    ("alpha", "/operations", {"volumes": [circle(*FAR)], "colour": "red"},
     "application/json", False),  # extra field
    ("alpha", "/operations", {"volumes": [circle(95.0, 10.0)]}, "application/json", False),
    ("alpha", "/operations", {"volumes": [circle(*FAR, start_h=5.0, end_h=2.0)]},
     "application/json", False),  # refused by the core, not the model
    ("alpha", "/operations", {"id": "op9", "owner": "bravo", "volumes": [circle(*FAR)]},
     "application/json", False),
    ("alpha", "/operations", {"volumes": [circle(*FAR)]}, "text/plain", False),
    ("alpha", "/operations", b"", "application/json", False),
    ("alpha", "/operations", {"volumes": [circle(*FAR)]}, None, False),
    (None, "/operations", {"volumes": [circle(*FAR)]}, "application/json", False),
    ("Bearer dcf_not-a-token", "/operations", {"volumes": [circle(*FAR)]},
     "application/json", False),
    ("Basic YWxwaGE6eA==", "/zones", {"volumes": [circle(*FAR)]}, "application/json", False),
    ("narrow", "/operations", {"volumes": [circle(*FAR)]}, "application/json", False),
    ("narrow", "/zones", {"volumes": [circle(*FAR)]}, "application/json", False),
]


def _send(w: World, case: _Case) -> tuple[int, dict[str, Any], dict[str, str]]:
    who, path, body, content_type, with_seen = case
    headers: dict[str, str] = {}
    if who == "narrow":  # a valid token without the write scopes
        headers = {"Authorization": "Bearer " + w.service.issue_token(
            SERVER, "alpha", ["zones:read", "operations:read"])}
    elif who in w.tokens:
        headers = w.auth(who)
    elif who is not None:
        headers = {"Authorization": who}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if isinstance(body, dict):
        if with_seen:
            body = {**body, "seen": w.seen(str(who))}
        raw = json.dumps(body).encode()
    else:
        raw = body
    r = w.client.post(path, content=raw, headers=headers)
    keep = {k: re.sub(r"/[0-9a-f-]{36}$", "/<random>", v) for k, v in r.headers.items()
            if k in ("content-type", "location", "www-authenticate")}
    return r.status_code, r.json(), keep


def test_fast_and_framework_paths_answer_alike(worlds: tuple[World, World]) -> None:
    fast, slow = worlds
    statuses = set()
    for case in _CASES:
        s1, b1, h1 = _send(fast, case)
        s2, b2, h2 = _send(slow, case)
        statuses.add(s1)
        assert (s1, h1) == (s2, h2), (case, b1, b2)
        if s1 == 422 and b1.get("code") == "INVALID_REQUEST":
            # pydantic words some errors a little differently parsing JSON itself
            def where(b: dict[str, Any]) -> Any:
                return b["code"], b["field"], [e["field"] for e in b["errors"]]
            assert where(b1) == where(b2), (case, b1, b2)
        else:
            assert _normal(b1) == _normal(b2), case
    # the cases cover every kind of answer
    assert {201, 401, 403, 409, 422} <= statuses
    # and both worlds hold the same objects afterwards
    assert _normal(sorted(fast.seen("alpha"))) == _normal(sorted(slow.seen("alpha")))
    assert len(fast.inbox("bravo")) == len(slow.inbox("bravo")) > 0
