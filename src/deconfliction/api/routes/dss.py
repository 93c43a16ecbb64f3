"""The ASTM F3548-21 DSS API under ``/dss/v1`` (when ``dss_enabled``): bodies, statuses
and errors as its OpenAPI file says (``specs/astm-f3548-21-utm.yaml``); the semantics are
in :mod:`deconfliction.dss`. These routes authenticate with the standard's RS256 tokens,
not the service's own, and are documented by that file rather than by ``/openapi.json``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from deconfliction.core.errors import DeconflictionError
from deconfliction.dss.auth import Caller, TokenVerifier, require
from deconfliction.dss.dss import Dss
from deconfliction.dss.errors import DssError, from_domain

__all__ = ["PREFIX", "router"]

#: where the app mounts this router (see ``api.app``)
PREFIX = "/dss/v1"
router = APIRouter(include_in_schema=False)
P = ParamSpec("P")
OI = "/operational_intent_references"
CR = "/constraint_references"
SUB = "/subscriptions"


def answers(fn: Callable[P, Awaitable[JSONResponse]]) -> Callable[P, Awaitable[JSONResponse]]:
    """Turn the DSS's errors (and the service's) into the standard's error answers."""

    @functools.wraps(fn)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> JSONResponse:
        try:
            return await fn(*args, **kwargs)
        except DeconflictionError as err:
            return _error(from_domain(err))
        except DssError as err:
            return _error(err)

    return wrapped


def _error(err: DssError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
    return JSONResponse(err.body, status_code=err.status, headers=headers)


def _dss(request: Request) -> Dss:
    dss: Dss = request.app.state.dss
    return dss


def caller(request: Request, operation: str) -> Caller:
    """The verified caller, holding a scope ``operation`` accepts (401, 403)."""
    verifier: TokenVerifier = request.app.state.dss_verifier
    return require(verifier.verify(request.headers.get("authorization")), operation)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw, parse_constant=_no_constant)  # NaN and Infinity are not JSON
    except ValueError:
        raise DssError(400, "the request body is not JSON", "BAD_JSON") from None


def _ok(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


# -- operational intent references -----------------------------------------------------------

@router.post(f"{OI}/query")
@answers
async def query_intents(request: Request) -> JSONResponse:
    who = caller(request, "queryOperationalIntentReferences")
    body = await _json(request)
    refs = await run_in_threadpool(_dss(request).query, who, "operation", body)
    return _ok({"operational_intent_references": refs})


@router.get(OI + "/{entityid:path}")
@answers
async def get_intent(request: Request, entityid: str) -> JSONResponse:
    who = caller(request, "getOperationalIntentReference")
    ref = await run_in_threadpool(_dss(request).get, who, "operation", entityid)
    return _ok({"operational_intent_reference": ref})


@router.put(OI + "/{entityid:path}")
@answers
async def create_intent(request: Request, entityid: str) -> JSONResponse:
    who = caller(request, "createOperationalIntentReference")
    body = await _json(request)
    return _ok(await _dss(request).put_intent(who, entityid, None, body), 201)


@router.put(OI + "/{entityid}/{ovn:path}")
@answers
async def update_intent(request: Request, entityid: str, ovn: str) -> JSONResponse:
    who = caller(request, "updateOperationalIntentReference")
    body = await _json(request)
    return _ok(await _dss(request).put_intent(who, entityid, ovn, body))


@router.delete(OI + "/{entityid}/{ovn:path}")
@answers
async def delete_intent(request: Request, entityid: str, ovn: str) -> JSONResponse:
    who = caller(request, "deleteOperationalIntentReference")
    return _ok(await _dss(request).delete_intent(who, entityid, ovn))


# -- constraint references -------------------------------------------------------------------

@router.post(f"{CR}/query")
@answers
async def query_constraints(request: Request) -> JSONResponse:
    who = caller(request, "queryConstraintReferences")
    body = await _json(request)
    refs = await run_in_threadpool(_dss(request).query, who, "zone", body)
    return _ok({"constraint_references": refs})


@router.get(CR + "/{entityid:path}")
@answers
async def get_constraint(request: Request, entityid: str) -> JSONResponse:
    who = caller(request, "getConstraintReference")
    ref = await run_in_threadpool(_dss(request).get, who, "zone", entityid)
    return _ok({"constraint_reference": ref})


@router.put(CR + "/{entityid:path}")
@answers
async def create_constraint(request: Request, entityid: str) -> JSONResponse:
    who = caller(request, "createConstraintReference")
    body = await _json(request)
    return _ok(await _dss(request).put_constraint(who, entityid, None, body), 201)


@router.put(CR + "/{entityid}/{ovn:path}")
@answers
async def update_constraint(request: Request, entityid: str, ovn: str) -> JSONResponse:
    who = caller(request, "updateConstraintReference")
    body = await _json(request)
    return _ok(await _dss(request).put_constraint(who, entityid, ovn, body))


@router.delete(CR + "/{entityid}/{ovn:path}")
@answers
async def delete_constraint(request: Request, entityid: str, ovn: str) -> JSONResponse:
    who = caller(request, "deleteConstraintReference")
    return _ok(await _dss(request).delete_constraint(who, entityid, ovn))


# -- subscriptions ---------------------------------------------------------------------------

@router.post(f"{SUB}/query")
@answers
async def query_subscriptions(request: Request) -> JSONResponse:
    who = caller(request, "querySubscriptions")
    body = await _json(request)
    subs = await run_in_threadpool(_dss(request).query_subscriptions, who, body)
    return _ok({"subscriptions": subs})


@router.get(SUB + "/{subscriptionid:path}")
@answers
async def get_subscription(request: Request, subscriptionid: str) -> JSONResponse:
    who = caller(request, "getSubscription")
    sub = await run_in_threadpool(_dss(request).get_subscription, who, subscriptionid)
    return _ok({"subscription": sub})


@router.put(SUB + "/{subscriptionid:path}")
@answers
async def create_subscription(request: Request, subscriptionid: str) -> JSONResponse:
    who = caller(request, "createSubscription")
    body = await _json(request)
    return _ok(await _dss(request).put_subscription(who, subscriptionid, None, body))


@router.put(SUB + "/{subscriptionid}/{version:path}")
@answers
async def update_subscription(request: Request, subscriptionid: str, version: str
                              ) -> JSONResponse:
    who = caller(request, "updateSubscription")
    body = await _json(request)
    return _ok(await _dss(request).put_subscription(who, subscriptionid, version, body))


@router.delete(SUB + "/{subscriptionid}/{version:path}")
@answers
async def delete_subscription(request: Request, subscriptionid: str, version: str
                              ) -> JSONResponse:
    who = caller(request, "deleteSubscription")
    return _ok(await _dss(request).delete_subscription(who, subscriptionid, version))


# -- reports and USS availability ------------------------------------------------------------

@router.post("/reports")
@answers
async def make_report(request: Request) -> JSONResponse:
    who = caller(request, "makeDssReport")
    body = await _json(request)
    return _ok(await _dss(request).report(who, body), 201)


@router.get("/uss_availability/{uss_id:path}")
@answers
async def get_availability(request: Request, uss_id: str) -> JSONResponse:
    caller(request, "getUssAvailability")
    return _ok(await run_in_threadpool(_dss(request).get_availability, uss_id))


@router.put("/uss_availability/{uss_id:path}")
@answers
async def set_availability(request: Request, uss_id: str) -> JSONResponse:
    caller(request, "setUssAvailability")
    body = await _json(request)
    return _ok(await _dss(request).set_availability(uss_id, body))


# A path parameter may hold any character, '/' too (OVNs and versions are any strings): each
# route's last parameter takes the rest of the path, and the routes with two parameters are
# tried first (a one-parameter route would take "id/ovn" whole)
router.routes.sort(key=lambda r: -str(getattr(r, "path", "")).count("{"))
