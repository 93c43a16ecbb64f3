"""Who calls the DSS: OAuth 2 bearer JWTs signed with RS256 by the deployment's
authorisation server, as F3548 asks (``iss``, ``exp``, ``sub``, ``scope``, ``aud``).

The verifier is given the issuer's public key (a PEM file, or a JWKS file whose keys are
tried by ``kid``) and the audience this DSS answers to (its host name). A missing, malformed,
expired, wrongly signed or wrongly addressed token is 401; a valid token without a scope the
route accepts is 403 (:func:`require`). The scopes each route accepts are in :data:`SCOPES`,
copied from the OpenAPI file's ``security`` (a test checks they agree).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from deconfliction.dss.errors import DssError

__all__ = ["ALL_SCOPES", "SCOPES", "Caller", "TokenVerifier", "require"]

SC = "utm.strategic_coordination"
CM = "utm.constraint_management"
CP = "utm.constraint_processing"
CMSA = "utm.conformance_monitoring_sa"
AA = "utm.availability_arbitration"
ALL_SCOPES = (SC, CM, CP, CMSA, AA)

#: operationId -> the scope sets that allow it (any one set, all of its scopes)
SCOPES: dict[str, tuple[frozenset[str], ...]] = {
    "queryOperationalIntentReferences": (frozenset({SC}), frozenset({CMSA})),
    "getOperationalIntentReference": (frozenset({SC}), frozenset({CMSA})),
    "createOperationalIntentReference": (frozenset({SC}), frozenset({SC, CP}),
                                         frozenset({CMSA})),
    "updateOperationalIntentReference": (frozenset({SC}), frozenset({SC, CP}),
                                         frozenset({CMSA})),
    "deleteOperationalIntentReference": (frozenset({SC}), frozenset({CMSA})),
    "queryConstraintReferences": (frozenset({CM}), frozenset({CP})),
    "getConstraintReference": (frozenset({CM}), frozenset({CP})),
    "createConstraintReference": (frozenset({CM}),),
    "updateConstraintReference": (frozenset({CM}),),
    "deleteConstraintReference": (frozenset({CM}),),
    "querySubscriptions": (frozenset({CP}), frozenset({SC})),
    "getSubscription": (frozenset({CP}), frozenset({SC})),
    "createSubscription": (frozenset({CP}), frozenset({SC})),
    "updateSubscription": (frozenset({CP}), frozenset({SC})),
    "deleteSubscription": (frozenset({CP}), frozenset({SC})),
    "makeDssReport": (frozenset({CM}), frozenset({CP}), frozenset({SC}), frozenset({CMSA}),
                      frozenset({AA})),
    "setUssAvailability": (frozenset({AA}),),
    "getUssAvailability": (frozenset({AA}), frozenset({SC}), frozenset({CMSA})),
}


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified caller: its client id (``sub``) and granted scopes."""

    sub: str
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        """Whether the token grants ``scope``."""
        return scope in self.scopes


def _unauthorised(message: str) -> DssError:
    return DssError(401, message, "UNAUTHENTICATED")


class TokenVerifier:
    """Verifies RS256 access tokens against the issuer's public keys and one audience."""

    def __init__(self, keys: dict[str | None, RSAPublicKey], audience: str) -> None:
        if not keys:
            raise ValueError("no public key to verify DSS tokens with")
        if not audience:
            raise ValueError("the DSS needs an audience (its host name) to check tokens for")
        self.keys = keys
        self.audience = audience
        #: tokens verified lately: token -> (its ``exp``, the caller); a USS sends the same
        #: token with every request until it expires, and RS256 costs ~0.15 ms to verify
        self._verified: dict[str, tuple[float, Caller]] = {}

    @classmethod
    def from_file(cls, path: str | Path, audience: str) -> TokenVerifier:
        """Keys from a PEM public key or a JWKS (``{"keys": [...]}``) file."""
        text = Path(path).read_text(encoding="utf-8")
        return cls(keys_from_text(text), audience)

    def verify(self, authorization: str | None) -> Caller:
        """The caller of an ``Authorization`` header value, else 401."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorised("missing bearer access token (Authorization: Bearer <token>)")
        hit = self._verified.get(token)
        if hit is not None and hit[0] > time.time():
            return hit[1]
        caller, exp = self._verify(token)
        if len(self._verified) > 10_000:
            self._verified.clear()
        self._verified[token] = (exp, caller)
        return caller

    def _verify(self, token: str) -> tuple[Caller, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as err:
            raise _unauthorised(f"access token could not be decoded: {err}") from None
        if header.get("alg") != "RS256":
            raise _unauthorised("access tokens must be signed with RS256")
        kid = header.get("kid")
        key = self.keys.get(kid) if kid in self.keys else None
        candidates = [key] if key is not None else list(self.keys.values())
        last: Exception | None = None
        for k in candidates:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, k, algorithms=["RS256"], audience=self.audience,
                    options={"require": ["exp", "sub", "aud"]})
            except jwt.InvalidSignatureError as err:
                last = err
                continue
            except jwt.PyJWTError as err:
                raise _unauthorised(f"invalid access token: {err}") from None
            sub = claims.get("sub")
            if not isinstance(sub, str) or not sub:
                raise _unauthorised("the access token has no subject")
            scope = claims.get("scope", "")
            scopes = frozenset(str(scope).split()) if isinstance(scope, str) else frozenset()
            return Caller(sub, scopes), float(claims["exp"])
        raise _unauthorised(f"invalid access token: {last}")


def keys_from_text(text: str) -> dict[str | None, RSAPublicKey]:
    """RSA public keys by ``kid`` (``None`` for a PEM key) from a PEM or JWKS text."""
    stripped = text.strip()
    if stripped.startswith("{"):
        out: dict[str | None, RSAPublicKey] = {}
        for jwk in json.loads(stripped).get("keys", []):
            key = jwt.PyJWK(jwk).key
            if isinstance(key, RSAPublicKey):
                out[jwk.get("kid")] = key
        return out
    key = load_pem_public_key(stripped.encode("utf-8"))
    if not isinstance(key, RSAPublicKey):
        raise ValueError("the DSS token key must be an RSA public key")
    return {None: key}


def require(caller: Caller, operation: str) -> Caller:
    """``caller`` if one of ``operation``'s scope sets is granted, else 403.

    >>> require(Caller("uss1", frozenset({SC})), "createOperationalIntentReference").sub
    'uss1'
    >>> require(Caller("uss1", frozenset({CP})), "createConstraintReference")
    Traceback (most recent call last):
    ...
    deconfliction.dss.errors.DssError: createConstraintReference needs the scope utm.constraint_...
    """
    allowed = SCOPES[operation]
    if any(s <= caller.scopes for s in allowed):
        return caller
    wanted = " or ".join("+".join(sorted(s)) for s in allowed)
    raise DssError(403, f"{operation} needs the scope {wanted}", "MISSING_SCOPE")


def any_scope(caller: Caller, scopes: Iterable[str]) -> bool:
    """Whether ``caller`` holds any of ``scopes``."""
    return any(s in caller.scopes for s in scopes)
