"""``/zones`` and ``/operations``: create, read, list with spatial and time filters, update,
delete (zones and drafts), and lifecycle transitions. One router factory serves both kinds.
"""


from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from deconfliction.api.auth import need
from deconfliction.api.schemas import OperationIn, StateIn, ZoneIn, dump
from deconfliction.api.state import borders_of, service_of
from deconfliction.channel.service import Principal, Service, WriteResult
from deconfliction.core.errors import ValidationError
from deconfliction.core.limits import DEFAULT_LIMITS
from deconfliction.core.objects import Zone
from deconfliction.core.outline import Circle
from deconfliction.core.timeinterval import TimeInterval, parse_utc
from deconfliction.core.volume import Volume4D
from deconfliction.formats.native import Borders, object_from_dict
from deconfliction.store.port import ObjectKind

__all__ = ["BODY_MODELS", "router", "save_object", "write_response"]

router = APIRouter()
_SERVICE_KEYS = ("seen", "override", "shared_with")
#: the request body of a write, by kind
BODY_MODELS: dict[ObjectKind, type[ZoneIn] | type[OperationIn]] = {
    "zone": ZoneIn, "operation": OperationIn,
}


def write_response(res: WriteResult, status_code: int = 200,
            location: str | None = None) -> JSONResponse:
    """The answer to a write, serialised at once (the values are JSON already)."""
    headers = {"ETag": f'"{res.object.get("version", "")}"'}
    if location is not None:
        headers["Location"] = location
    return JSONResponse({"object": res.object, "conflicts": res.conflicts,
                         "messages": res.messages, "ledger_seq": res.ledger_seq},
                        status_code=status_code, headers=headers)


def _if_match(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    return v.strip('"') or None


def _near(lat: float | None, lon: float | None, radius_m: float | None) -> Zone | None:
    given = [v is not None for v in (lat, lon, radius_m)]
    if not any(given):
        return None
    if not all(given):
        raise ValidationError("BAD_FILTER", "near needs lat, lon and radius_m together", "lat")
    assert lat is not None and lon is not None and radius_m is not None
    # every altitude a volume may have (beyond the limits, the volume itself is refused)
    vol = Volume4D(Circle(lat, lon, radius_m), DEFAULT_LIMITS.min_alt_m,
                   DEFAULT_LIMITS.max_alt_m, TimeInterval(None, None))
    return Zone(id="~near", name="", owner="server", volumes=(vol,))


def _time(value: str | None, field: str) -> datetime | None:
    return None if value is None else parse_utc(value, field)


async def save_object(service: Service, kind: ObjectKind, who: Principal,
                      body: ZoneIn | OperationIn, *, create: bool, obj_id: str | None,
                      if_match: str | None, borders: Borders) -> WriteResult:
    """Create or replace a zone or an operation from its request body (both routes, and the
    fast path of :mod:`deconfliction.api.fastpath`); ``borders`` for a zone's ``clip_to``."""
    # parsed on the event loop (a bounded body), decided by the writer thread: no
    # worker-thread hop per request
    data = dump(body, drop=(*_SERVICE_KEYS, "version"))
    data["object"] = kind
    if obj_id is not None:
        if "id" in data and data["id"] != obj_id:
            raise ValidationError("ID_MISMATCH", "the body names another id", "id")
        data["id"] = obj_id
    if data.get("clip_to") is None:
        obj = object_from_dict(data, owner=who.party)  # a new version token every write
    else:  # clipping takes tens of milliseconds: off the event loop
        obj = await run_in_threadpool(object_from_dict, data, owner=who.party,
                                      borders=borders)
    seen = getattr(body, "seen", None)
    return await service.save_async(
        who, obj, expected_version=_if_match(if_match) or body.version, create=create,
        seen=seen, override=getattr(body, "override", None),
        shared_with=body.shared_with,
    )


def _routes(kind: ObjectKind, path: str, body_model: type[ZoneIn] | type[OperationIn]) -> None:
    read, write = f"{path}:read", f"{path}:write"

    # the answers are JSONResponses built by _result; response_model keeps their schema
    @router.post(f"/{path}", status_code=201, tags=[path], summary=f"Create a {kind}",
                 name=f"create_{kind}", response_model=dict[str, Any])
    async def create(body: body_model, request: Request,  # type: ignore[valid-type]
                     who: Principal = Depends(need(write))) -> JSONResponse:  # noqa: B008
        res = await save_object(service_of(request), kind, who, body, create=True,
                                obj_id=None, if_match=None, borders=borders_of(request))
        return write_response(res, 201, f"/{path}/{res.object['id']}")

    @router.get(f"/{path}", tags=[path], summary=f"List {path}", name=f"list_{kind}")
    async def list_(
        request: Request,
        who: Principal = Depends(need(read)),  # noqa: B008
        owner: Annotated[str | None, Query(max_length=64)] = None,
        state: Annotated[str | None, Query(max_length=16)] = None,
        lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
        lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
        radius_m: Annotated[float | None, Query(gt=0, le=10_000_000)] = None,
        start: Annotated[str | None, Query(max_length=40, description="ISO 8601 UTC")] = None,
        end: Annotated[str | None, Query(max_length=40, description="ISO 8601 UTC")] = None,
    ) -> dict[str, Any]:
        near = _near(lat, lon, radius_m)
        items = await run_in_threadpool(
            service_of(request).list_objects, who, kind, owner=owner, state=state, near=near,
            start=_time(start, "start"), end=_time(end, "end"))
        return {"items": items, "count": len(items)}

    @router.get(f"/{path}/{{obj_id}}", tags=[path], summary=f"Read a {kind}",
                name=f"get_{kind}")
    async def get(obj_id: str, request: Request, response: Response,
                  who: Principal = Depends(need(read))) -> dict[str, Any]:  # noqa: B008
        view = service_of(request).get(who, obj_id, kind)
        response.headers["ETag"] = f'"{view.get("version", "")}"'
        return view

    @router.put(f"/{path}/{{obj_id}}", tags=[path], summary=f"Replace a {kind}",
                name=f"update_{kind}", response_model=dict[str, Any])
    async def update(obj_id: str, body: body_model, request: Request,  # type: ignore[valid-type]
                     who: Principal = Depends(need(write)),  # noqa: B008
                     if_match: Annotated[str | None, Header(max_length=70)] = None,
                     ) -> JSONResponse:
        res = await save_object(service_of(request), kind, who, body, create=False,
                                obj_id=obj_id, if_match=if_match, borders=borders_of(request))
        return write_response(res)

    @router.delete(f"/{path}/{{obj_id}}", tags=[path], name=f"delete_{kind}",
                   summary=f"Withdraw a {kind}" + (" (drafts only)" if kind != "zone" else ""))
    async def delete(obj_id: str, request: Request, response: Response,
                     who: Principal = Depends(need(write)),  # noqa: B008
                     if_match: Annotated[str | None, Header(max_length=70)] = None,
                     version: Annotated[str | None, Query(max_length=64)] = None,
                     ) -> dict[str, Any]:
        res = await run_in_threadpool(service_of(request).delete, who, kind, obj_id,
                                      _if_match(if_match) or version)
        return {"deleted": obj_id, "messages": res.messages, "ledger_seq": res.ledger_seq}


_routes("zone", "zones", ZoneIn)
_routes("operation", "operations", OperationIn)


@router.post("/operations/{obj_id}/state", tags=["operations"], name="transition_operation",
             summary="Move an operation through its lifecycle", response_model=dict[str, Any])
async def transition(obj_id: str, body: StateIn, request: Request,
                     who: Principal = Depends(need("operations:write")),  # noqa: B008
                     if_match: Annotated[str | None, Header(max_length=70)] = None,
                     ) -> JSONResponse:
    res = await run_in_threadpool(
        service_of(request).transition, who, obj_id, body.state,
        expected_version=_if_match(if_match) or body.version, override=body.override,
        seen=body.seen)
    return write_response(res)


@router.get("/conflicts", tags=["conflicts"], summary="Current conflicts that involve you")
async def conflicts(request: Request,
                    who: Principal = Depends(need("operations:read"))  # noqa: B008
                    ) -> dict[str, Any]:
    items = await run_in_threadpool(service_of(request).conflicts, who)
    return {"items": items, "count": len(items)}
