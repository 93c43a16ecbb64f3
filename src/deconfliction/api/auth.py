"""Who is calling: bearer tokens, either an API token issued by the CLI (``dcf_…``, looked up
by its hash) or a JWT signed by this deployment's Ed25519 key (PyJWT verifies it: signature,
expiry, audience, issuer; the party is the subject, the scopes the ``scope`` claim).

No request without a valid token reads or writes anything (401); a valid token without the
needed scope gets 403.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable

import jwt
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from deconfliction.api.errors import ApiError
from deconfliction.channel.service import Principal, Service

__all__ = ["JWT_AUDIENCE", "JWT_ISSUER", "authenticate", "issue_jwt", "need", "principal_of",
           "require_scope"]

JWT_AUDIENCE = "deconfliction"
JWT_ISSUER = "deconfliction"


def issue_jwt(service: Service, party: str, scopes: Iterable[str], ttl_s: int) -> str:
    """A JWT for ``party`` with ``scopes``, signed with the server's key."""
    now = int(time.time())
    claims = {"sub": party, "scope": " ".join(sorted(set(scopes))), "iat": now,
              "exp": now + ttl_s, "aud": JWT_AUDIENCE, "iss": JWT_ISSUER}
    return jwt.encode(claims, service.signing_key, algorithm="EdDSA")


def _unauthenticated(message: str) -> ApiError:
    return ApiError("UNAUTHENTICATED", message)


async def authenticate(request: Request) -> Principal:
    """The caller, from ``Authorization: Bearer …``; 401 otherwise."""
    return await principal_of(request.app.state.service,
                              request.headers.get("authorization", ""))


async def principal_of(service: Service, header: str) -> Principal:
    """The caller named by an ``Authorization`` header's value; 401 otherwise. (On the event
    loop: a token seen lately is answered from memory, else looked up in a worker thread.)"""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthenticated("send Authorization: Bearer <token>")
    if token.startswith("dcf_"):
        who = service.cached_token(token)
        if who is None:
            who = await run_in_threadpool(service.authenticate_token, token)
        if who is None:
            raise _unauthenticated("unknown, revoked or expired API token")
        return who
    try:
        claims = jwt.decode(
            token, service.signing_key.public_key(), algorithms=["EdDSA"],
            audience=JWT_AUDIENCE, issuer=JWT_ISSUER,
            options={"require": ["exp", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError as err:
        raise _unauthenticated(f"invalid token: {err}") from None
    scope = claims.get("scope", "")
    who = service.principal(str(claims["sub"]), str(scope).split())
    if who is None:
        raise _unauthenticated("the token's party does not exist")
    return who


def need(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the caller, who must hold ``scope`` (403 ``MISSING_SCOPE``)."""

    async def check(who: Principal = Depends(authenticate)) -> Principal:  # noqa: B008
        return require_scope(who, scope)

    return check


def require_scope(who: Principal, scope: str) -> Principal:
    """``who``, if it holds ``scope`` (403 ``MISSING_SCOPE``; ``NOT_ADMIN`` for admin)."""
    if scope not in who.scopes:
        raise ApiError("MISSING_SCOPE", f"this needs the scope {scope!r}")
    if scope == "admin" and not who.admin:
        raise ApiError("NOT_ADMIN", "only an admin may do this")
    return who
