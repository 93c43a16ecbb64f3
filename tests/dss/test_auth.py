"""Every DSS route × every kind of credential: no token, a malformed one, a wrong audience,
another issuer's key, an expired token, an HS256 token keyed with the public key (algorithm
confusion), a valid token without an accepted scope (403) and each accepted scope set.
The routes are the spec's: a test fails if the app serves a /dss route the spec does not
name or the other way round, or if the scopes the code accepts differ from the spec's."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

import jwt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from fastapi.routing import APIRoute
from starlette.routing import Mount

from deconfliction.dss.auth import ALL_SCOPES, SCOPES
from dss.kit import SPEC, Dss, keypair, token

PATH_VALUES = {"entityid": str(uuid.uuid4()), "subscriptionid": str(uuid.uuid4()),
               "ovn": "o" * 24, "version": "v1", "uss_id": "uss1"}


@cache
def spec_operations() -> dict[str, tuple[str, str, tuple[frozenset[str], ...]]]:
    """operationId -> (METHOD, path, scope sets) of every /dss operation in the spec."""
    raw = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    out = {}
    for path, item in raw["paths"].items():
        if not path.startswith("/dss/"):
            continue
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                sets = tuple(frozenset(s["Authority"]) for s in op["security"])
                out[op["operationId"]] = (method.upper(), path, sets)
    return out


OPERATIONS = sorted(spec_operations())


def test_the_code_accepts_exactly_the_scopes_the_spec_names() -> None:
    assert {k: set(v[2]) for k, v in spec_operations().items()} == {
        k: set(v) for k, v in SCOPES.items()}


def app_routes(found: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(METHOD, path) of every API route below ``found``."""
    out: set[tuple[str, str]] = set()
    for r in found:
        if hasattr(r, "original_router"):  # FastAPI >= 0.16x: routers included lazily
            out |= app_routes(r.original_router.routes, prefix + r.include_context.prefix)
        elif isinstance(r, Mount) and hasattr(r.app, "routes"):  # a sub-application
            out |= app_routes(r.app.routes, prefix + r.path)
        elif isinstance(r, APIRoute):
            out |= {(m, prefix + r.path) for m in r.methods - {"HEAD"}}
    return out


def test_the_app_serves_exactly_the_spec_dss_routes(dss: Dss) -> None:
    routes = app_routes(dss.world.client.app.routes)  # type: ignore[attr-defined]
    served = {(m, p.replace(":path}", "}")) for m, p in routes if p.startswith("/dss/")}
    assert served == {(m, p) for m, p, _ in spec_operations().values()}


def _request(dss: Dss, operation: str, headers: dict[str, str]) -> Any:
    method, path, _ = spec_operations()[operation]
    url = path.format(**PATH_VALUES)
    return dss.world.client.request(method, url, headers={**headers,
                                    "Content-Type": "application/json"}, content=b"{}")


def _bad_tokens(dss: Dss, scopes: frozenset[str]) -> dict[str, str]:
    other, _ = keypair()
    pem = dss.key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    s = sorted(scopes)
    return {
        "malformed": "not-a-jwt",
        "wrong_audience": token(dss.key, "uss1", *s, aud="elsewhere.example.com"),
        "other_issuer": token(other, "uss1", *s),
        "expired": token(dss.key, "uss1", *s, exp_s=-60),
        "hs256_confusion": jwt.encode({"sub": "uss1", "aud": "dss.example.com",
                                       "scope": " ".join(s), "exp": 4_000_000_000},
                                      pem.decode()[:40], algorithm="HS256"),
    }


@pytest.mark.parametrize("operation", OPERATIONS)
def test_credentials(dss: Dss, operation: str) -> None:
    allowed = spec_operations()[operation][2]
    r = _request(dss, operation, {})
    assert r.status_code == 401, (operation, r.text)
    assert isinstance(r.json()["message"], str)
    for name, bad in _bad_tokens(dss, allowed[0]).items():
        r = _request(dss, operation, {"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, (operation, name, r.text)
    wrong = frozenset(s for s in ALL_SCOPES if not any(a <= {s} for a in allowed))
    assert not any(a <= wrong for a in allowed)
    r = _request(dss, operation, dss.auth("uss1", *sorted(wrong)))
    assert r.status_code == 403, (operation, r.text)
    for scopes in allowed:
        r = _request(dss, operation, dss.auth("uss1", *sorted(scopes)))
        assert r.status_code not in (401, 403), (operation, sorted(scopes), r.text)
        assert r.status_code < 500
