"""The two hot write routes, ``POST /zones`` and ``POST /operations``, answered without
FastAPI's per-request dispatch.

A creation spends about half of its CPU time in the web framework (routing through included
routers, dependency resolution, body handling) rather than in deciding it. This path, called
by the app's outer middleware, does for these two routes exactly what their FastAPI routes
do, with the same functions: the caller from the ``Authorization`` header
(:func:`~deconfliction.api.auth.principal_of`) and its scope, the body through the same
pydantic model, :func:`~deconfliction.api.routes.objects.save_object`, the same answer
(:func:`~deconfliction.api.routes.objects.write_response`) and the same error bodies
(:func:`~deconfliction.api.errors.error_response`, ``invalid_response``). The FastAPI routes
stay: they are the OpenAPI contract, and the setting ``fast_writes=false`` sends every request
through them (a test compares the two paths answer for answer).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pydantic
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from deconfliction.api.auth import principal_of, require_scope
from deconfliction.api.errors import crash_response, error_response, invalid_response
from deconfliction.api.routes import dss as dss_routes
from deconfliction.api.routes.objects import BODY_MODELS, save_object, write_response
from deconfliction.channel.service import Service
from deconfliction.core.errors import DeconflictionError
from deconfliction.formats.native import Borders
from deconfliction.store.port import ObjectKind

__all__ = ["FastWrites"]

log = logging.getLogger("deconfliction.api")

#: path -> (kind, the scope a write needs, the collection's name)
_ROUTES: dict[str, tuple[ObjectKind, str, str]] = {
    "/zones": ("zone", "zones:write", "zones"),
    "/operations": ("operation", "operations:write", "operations"),
}
_DSS_PREFIX = dss_routes.PREFIX
_DSS_INTENTS = dss_routes.PREFIX + dss_routes.OI + "/"
#: what FastAPI says of a body that is not JSON (no or another content type)
_NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"


def _is_json(content_type: str) -> bool:
    """``application/json`` or ``application/*+json`` (parameters ignored), as FastAPI."""
    main, _, sub = content_type.split(";", 1)[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


class FastWrites:
    """``POST /zones`` and ``POST /operations`` for the outer middleware."""

    def __init__(self, service: Service, borders: Borders) -> None:
        self.service = service
        self.borders = borders
        #: the F3548 DSS sub-application when it is enabled (see :meth:`_dss_intent`)
        self.dss: Any = None

    def handles(self, scope: Scope) -> bool:
        """Whether this request is one of the two, or an F3548 intent write (else FastAPI
        answers it)."""
        if scope["method"] == "POST":
            return scope["path"] in _ROUTES
        return (self.dss is not None and scope["method"] == "PUT"
                and scope["path"].startswith(_DSS_INTENTS)
                and len(scope["path"]) > len(_DSS_INTENTS))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "PUT":
            await self._dss_intent(scope, receive, send)
            return
        kind, needed, path = _ROUTES[scope["path"]]
        auth = content_type = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        try:
            who = require_scope(await principal_of(self.service, auth), needed)
            body = self._body(kind, raw, content_type)
            res = await save_object(self.service, kind, who, body, create=True, obj_id=None,
                                    if_match=None, borders=self.borders)
            response = write_response(res, 201, f"/{path}/{res.object['id']}")
        except DeconflictionError as err:
            response = error_response(err)
        except pydantic.ValidationError as err:
            response = invalid_response(_as_fastapi(err, raw))
        except _BodyError as err:
            response = invalid_response(err.errors)
        except Exception:
            log.exception("unexpected error")
            response = crash_response()
        await response(scope, receive, send)

    async def _dss_intent(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``PUT /dss/v1/operational_intent_references/{entityid}[/{ovn}]``: the DSS
        router's own route functions, called as its routes match (the two-parameter route
        first, any character in the last one), without the framework's dispatch."""
        rest = scope["path"][len(_DSS_INTENTS):]
        eid, slash, ovn = rest.partition("/")
        sub_scope = {**scope, "app": self.dss, "root_path": scope.get("root_path", "")
                     + _DSS_PREFIX, "path": scope["path"][len(_DSS_PREFIX):]}
        request = Request(sub_scope, receive)
        if slash and eid:
            response = await dss_routes.update_intent(request, eid, ovn)
        else:
            response = await dss_routes.create_intent(request, rest)
        await response(scope, receive, send)

    @staticmethod
    def _body(kind: ObjectKind, raw: bytes, content_type: str) -> Any:
        model = BODY_MODELS[kind]
        if raw and _is_json(content_type):
            return model.model_validate_json(raw)
        # FastAPI validates an empty body as a missing one, another body as bytes
        errors = ([{"loc": ("body",), "msg": "Field required"}] if not raw
                  else [{"loc": ("body",), "msg": _NOT_AN_OBJECT}])
        raise _BodyError(errors)


def _as_fastapi(err: pydantic.ValidationError, raw: bytes) -> list[dict[str, Any]]:
    """pydantic's errors as FastAPI reports them: under ``body``, and a JSON decode error at
    its character position."""
    if any(e["type"] == "json_invalid" for e in err.errors()):
        try:
            json.loads(raw)
        except ValueError as bad:
            pos = bad.pos if isinstance(bad, json.JSONDecodeError) else 0
            return [{"loc": ("body", pos), "msg": "JSON decode error"}]
    return [{**e, "loc": ("body", *e["loc"])} for e in err.errors()]


class _BodyError(Exception):
    """A body that is not JSON: FastAPI's validation errors for it."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors
