"""``/ledger`` (entries; payloads only where the caller is involved), ``/ledger/verify`` and
``/ledger/keys`` (the public keys that verify it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from deconfliction.api.auth import need
from deconfliction.api.state import service_of
from deconfliction.channel import ledger as ledger_mod
from deconfliction.channel.service import Principal

__all__ = ["router"]

router = APIRouter(tags=["ledger"])



@router.get("/ledger", summary="Ledger entries after a seq (payloads withheld where you are "
            "not involved; the chain still verifies)")
async def entries(
    request: Request,
    who: Principal = Depends(need("ledger:read")),  # noqa: B008
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    found = await run_in_threadpool(service_of(request).ledger_entries, who, after_seq=after,
                                    limit=limit)
    items = [ledger_mod.entry_to_dict(e) for e in found]
    return {"items": items, "count": len(items), "next": items[-1]["seq"] if items else after}


@router.get("/ledger/verify", summary="Verify the whole ledger on the server")
async def verify(request: Request,
                 who: Principal = Depends(need("ledger:read"))  # noqa: B008
                 ) -> dict[str, Any]:
    rep = await run_in_threadpool(service_of(request).verify_ledger)
    return {"ok": rep.ok, "count": rep.count, "head_seq": rep.head_seq,
            "head_hash": rep.head_hash, "first_bad_seq": rep.first_bad_seq,
            "code": rep.code, "problem": rep.problem}


@router.get("/ledger/keys", summary="The public keys that sign the ledger")
async def keys(request: Request) -> dict[str, Any]:
    return {"keys": service_of(request).public_keys()}
