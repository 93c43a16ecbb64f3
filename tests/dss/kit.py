"""What the DSS tests share: an RS256 key pair made by the test, tokens signed with it, a
world whose app serves the DSS, and a client that checks every answer against the ASTM
F3548-21 OpenAPI file (``specs/astm-f3548-21-utm.yaml``)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jwt
import schemathesis
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.world import T0, World, open_world
from deconfliction.api.settings import Settings

SPEC = Path(__file__).parents[2] / "specs" / "astm-f3548-21-utm.yaml"
AUDIENCE = "dss.example.com"
SC = "utm.strategic_coordination"
CM = "utm.constraint_management"
CP = "utm.constraint_processing"
CMSA = "utm.conformance_monitoring_sa"
AA = "utm.availability_arbitration"


@cache
def spec() -> Any:
    """The F3548 OpenAPI schema, loaded once."""
    return schemathesis.openapi.from_path(str(SPEC))


@cache
def statuses() -> dict[tuple[str, str], set[int]]:
    """(METHOD, path) -> the statuses the spec documents for it."""
    raw = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return {(m.upper(), p): {int(s) for s in op["responses"]}
            for p, item in raw["paths"].items() for m, op in item.items()
            if isinstance(op, dict) and "responses" in op}


def keypair() -> tuple[rsa.RSAPrivateKey, bytes]:
    """A fresh RSA key and its public PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, pem


def token(key: rsa.RSAPrivateKey, sub: str, *scopes: str, aud: str = AUDIENCE,
          exp_s: float = 3600.0, alg: str = "RS256") -> str:
    """An access token as an F3548 authorisation server issues it."""
    now = int(time.time())
    claims = {"iss": "https://auth.example.com/oauth/token", "sub": sub, "aud": aud,
              "scope": " ".join(scopes), "iat": now, "exp": int(now + exp_s),
              "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm=alg)


def at(hours: float) -> dict[str, str]:
    """An F3548 ``Time`` at the test clock's T0 plus ``hours``."""
    return {"value": (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "format": "RFC3339"}


def circle4d(lat: float, lon: float, radius_m: float = 500.0, *, start_h: float = 1.0,
             end_h: float = 3.0, low: float = 0.0, high: float = 120.0) -> dict[str, Any]:
    """An F3548 ``Volume4D``: a circle, an altitude band, a time window."""
    return {"volume": {
        "outline_circle": {"center": {"lat": lat, "lng": lon},
                           "radius": {"value": radius_m, "units": "M"}},
        "altitude_lower": {"value": low, "reference": "W84", "units": "M"},
        "altitude_upper": {"value": high, "reference": "W84", "units": "M"}},
        "time_start": at(start_h), "time_end": at(end_h)}


@dataclass
class Dss:
    """A world serving the DSS and the issuer's private key."""

    world: World
    key: rsa.RSAPrivateKey

    def auth(self, sub: str, *scopes: str, **kw: Any) -> dict[str, str]:
        """The Authorization header of a token for ``sub`` with ``scopes``."""
        return {"Authorization": f"Bearer {token(self.key, sub, *scopes, **kw)}"}

    def call(self, method: str, template: str, *, headers: dict[str, str] | None = None,
             body: Any = None, **path: str) -> Any:
        """Send a request to ``/dss/v1`` + ``template`` (path parameters as keywords) and
        check the answer against the spec: its status is documented for the operation and
        its body matches that status's schema. The response."""
        url = "/dss/v1" + template.format(**path)
        content = None if body is None else json.dumps(body)
        r = self.world.client.request(method, url, headers={
            **(headers or {}), "Content-Type": "application/json"}, content=content)
        assert r.status_code in statuses()[(method, "/dss/v1" + template)], (r.status_code,
                                                                             r.text)
        spec()["/dss/v1" + template][method].validate_response(r)
        return r


@contextmanager
def open_dss(tmp_path: Path, url: str | None = None, *, fast: bool = True) -> Iterator[Dss]:
    """A world (SQLite in ``tmp_path`` unless ``url``) whose app serves the DSS (intent
    writes by the fast path unless ``fast`` is false)."""
    key, pem = keypair()
    pem_path = tmp_path / "issuer.pem"
    pem_path.write_bytes(pem)
    settings = Settings.load({"dss_enabled": "true", "dss_public_key": str(pem_path),
                              "dss_audience": AUDIENCE, "fast_writes": fast}, environ={})
    with open_world(url or f"sqlite:///{tmp_path / 'dss.db'}", settings=settings) as w:
        yield Dss(w, key)
