"""``POST /check``: the conflicts a zone or an operation would have with what is stored now,
without writing anything (the web page's "check before submitting").

The body is what ``POST /zones`` or ``POST /operations`` takes, with ``"object": "zone"`` for a
zone (an operation otherwise); ``seen`` and ``override`` are accepted and ignored. The caller
needs the write scope of that kind, as for the write itself, and tells no more than a refused
write would (``409 CONFLICTS`` lists the same conflicts).
"""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Body, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError

from deconfliction.api.auth import authenticate, require_scope
from deconfliction.api.schemas import OperationIn, ZoneIn, dump
from deconfliction.api.state import borders_of, service_of
from deconfliction.channel.service import Principal
from deconfliction.core.errors import DeconflictionError
from deconfliction.core.objects import Operation
from deconfliction.formats.native import object_from_dict

__all__ = ["router"]

router = APIRouter(tags=["conflicts"])


@router.post("/check", summary="The conflicts a zone or operation would have (nothing is "
             "written)")
async def check(request: Request, body: Annotated[dict[str, Any], Body()],
                who: Principal = Depends(authenticate)  # noqa: B008
                ) -> dict[str, Any]:
    data = dict(body)
    kind = "zone" if data.pop("object", "operation") == "zone" else "operation"
    require_scope(who, f"{kind}s:write")
    model: type[ZoneIn] | type[OperationIn] = ZoneIn if kind == "zone" else OperationIn
    try:
        parsed = model.model_validate(data)
    except pydantic.ValidationError as err:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in err.errors()]) from None
    native = dump(parsed, drop=("seen", "override", "shared_with", "version"))
    native["object"] = kind
    obj = (object_from_dict(native, owner=who.party) if native.get("clip_to") is None
           else await run_in_threadpool(object_from_dict, native, owner=who.party,
                                        borders=borders_of(request)))
    if obj.owner != who.party and not who.admin:
        raise DeconflictionError(
            "NOT_OWNER", f"{who.party} cannot write an object owned by {obj.owner}", "owner")
    found = await run_in_threadpool(service_of(request).check, obj)
    binding = not isinstance(obj, Operation) or obj.binding
    return {"conflicts": [c.to_dict() for c in found], "count": len(found),
            "binding": binding}
