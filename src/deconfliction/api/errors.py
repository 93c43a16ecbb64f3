"""Errors to HTTP, in one place: every error code has one status, every 4xx body one shape.

The body is ``{"code": "...", "message": "...", "field": "..." | null}`` plus, for refused
writes, the details (``conflicts``, ``missing``, ``messages``).

>>> status_of("NOT_FOUND"), status_of("CONFLICTS"), status_of("LAT_OUT_OF_RANGE")
(404, 409, 422)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from deconfliction.core.errors import (
    ConflictStateError,
    DeconflictionError,
    NotFoundError,
    StoreError,
    ValidationError,
)

__all__ = ["ApiError", "crash_response", "error_response", "install", "invalid_response",
           "status_of"]

log = logging.getLogger("deconfliction.api")

#: codes whose status is not the default of their class
_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "ID_MISMATCH": 422,
    "NOT_OWNER": 403,
    "MISSING_SCOPE": 403,
    "NOT_ADMIN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "BODY_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "CONFLICTS": 409,
    "AWARENESS_REQUIRED": 409,
    "UNACKNOWLEDGED_NOTICES": 409,
    "ID_IN_USE": 409,
    "PARTY_EXISTS": 409,
    "VERSION_MISMATCH": 412,
    "VERSION_REQUIRED": 428,
    "STORE_FAILURE": 503,
    "STORE_CLOSED": 503,
    "BORDERS_UNAVAILABLE": 503,
}
#: the default status of each error class
_CLASS_STATUS: tuple[tuple[type[DeconflictionError], int], ...] = (
    (NotFoundError, 404),
    (ValidationError, 422),
    (ConflictStateError, 409),
    (StoreError, 503),
    (DeconflictionError, 400),
)


class ApiError(DeconflictionError):
    """An error of the HTTP layer itself (authentication, scopes, body size)."""


def status_of(code: str, err: DeconflictionError | None = None) -> int:
    """The HTTP status for an error code."""
    if code in _STATUS:
        return _STATUS[code]
    if err is not None:
        for cls, status in _CLASS_STATUS:
            if isinstance(err, cls):
                return status
    return 422


def _body(err: DeconflictionError) -> dict[str, Any]:
    return err.to_dict()


def error_response(err: DeconflictionError) -> JSONResponse:
    """The answer to a domain or HTTP-layer error: its status and the one body shape."""
    status = status_of(err.code, err)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status >= 500:
        log.error("%s: %s", err.code, err.message)
    return JSONResponse(_body(err), status_code=status, headers=headers)


def invalid_response(errors: Sequence[Any]) -> JSONResponse:
    """422 ``INVALID_REQUEST`` for a request the models refuse (pydantic's error list, each
    ``loc`` starting with where: ``body``, ``query``, ``path`` or ``header``)."""
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path",
                                                             "header")]
    field = ".".join(loc) or None
    msg = str(first.get("msg", "invalid request"))
    return JSONResponse(
        {"code": "INVALID_REQUEST", "message": msg, "field": field,
         "errors": [{"field": ".".join(str(p) for p in e.get("loc", ())),
                     "message": str(e.get("msg", ""))} for e in errors[:20]]},
        status_code=422,
    )


def crash_response() -> JSONResponse:
    """500 ``INTERNAL``: what a bug looks like from outside (the log has the rest)."""
    return JSONResponse({"code": "INTERNAL", "message": "internal error", "field": None},
                        status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one body shape."""

    @app.exception_handler(DeconflictionError)
    async def _domain(_: Request, err: DeconflictionError) -> JSONResponse:
        return error_response(err)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, err: RequestValidationError) -> JSONResponse:
        return invalid_response(err.errors())

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
                405: "METHOD_NOT_ALLOWED", 413: "BODY_TOO_LARGE",
                415: "UNSUPPORTED_MEDIA_TYPE"}.get(err.status_code, f"HTTP_{err.status_code}")
        return JSONResponse({"code": code, "message": str(err.detail), "field": None},
                            status_code=err.status_code, headers=err.headers)

    @app.exception_handler(Exception)
    async def _crash(_: Request, err: Exception) -> JSONResponse:  # pragma: no cover
        log.exception("unexpected error")
        return crash_response()
