"""The channel: ``/inbox``, ``/sent``, ``/messages/{id}``, ``/messages/{id}/ack`` and
``/events`` (Server-Sent Events of the party's own messages, resumable with
``Last-Event-ID``: the stream is a view of the durable outbox, so a reconnecting reader
misses nothing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from deconfliction.api.auth import need
from deconfliction.api.schemas import AnswerIn
from deconfliction.api.state import service_of
from deconfliction.channel.service import Principal
from deconfliction.core.messages import Message
from deconfliction.formats.records import message_to_dict

__all__ = ["router"]

router = APIRouter(tags=["channel"])
_HEARTBEAT_S = 15.0



def _item(seq: int, m: Message) -> dict[str, Any]:
    return {"seq": seq, **message_to_dict(m)}


@router.get("/inbox", summary="Your messages, oldest first (marks them delivered)")
async def inbox(
    request: Request,
    who: Principal = Depends(need("messages:read")),  # noqa: B008
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    pending: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    found = await run_in_threadpool(service_of(request).inbox, who, after_seq=after,
                                    pending_only=pending, limit=limit)
    items = [_item(s, m) for s, m in found]
    return {"items": items, "count": len(items),
            "next": items[-1]["seq"] if items else after}


@router.get("/sent", summary="Messages you sent, with their answers and escalations")
async def sent(
    request: Request,
    who: Principal = Depends(need("messages:read")),  # noqa: B008
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    found = await run_in_threadpool(service_of(request).sent, who, after_seq=after, limit=limit)
    items = [_item(s, m) for s, m in found]
    return {"items": items, "count": len(items)}


@router.get("/messages/{msg_id}", summary="One message (to its recipient or sender)")
async def message(msg_id: str, request: Request,
                  who: Principal = Depends(need("messages:read"))  # noqa: B008
                  ) -> dict[str, Any]:
    m = await run_in_threadpool(service_of(request).message, who, msg_id)
    return message_to_dict(m)


@router.post("/messages/{msg_id}/ack",
             summary="Answer a message: ack, object (with a reason) or request-change")
async def ack(msg_id: str, request: Request, body: AnswerIn | None = None,
              who: Principal = Depends(need("messages:write"))  # noqa: B008
              ) -> dict[str, Any]:
    answer = body or AnswerIn()
    m = await run_in_threadpool(service_of(request).answer, who, msg_id, answer.answer,
                                answer.reason)
    return message_to_dict(m)


@router.get("/events", summary="Server-Sent Events: your messages as they arrive",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def events(
    request: Request,
    who: Principal = Depends(need("events:read")),  # noqa: B008
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    once: bool = False,
) -> StreamingResponse:
    service = service_of(request)
    cursor = after or 0
    if last_event_id and last_event_id.isdigit():
        cursor = int(last_event_id)

    async def stream() -> AsyncIterator[bytes]:
        nonlocal cursor
        yield b": deconfliction events\n\n"
        while True:
            gen = service.wakeups.generation(who.party)
            found = await run_in_threadpool(service.inbox, who, after_seq=cursor, limit=500)
            for seq, m in found:
                data = json.dumps(_item(seq, m), separators=(",", ":"))
                yield f"id: {seq}\nevent: message\ndata: {data}\n\n".encode()
                cursor = seq
            if once or await request.is_disconnected():
                return
            if len(found) == 500:
                continue
            moved = await asyncio.get_running_loop().run_in_executor(
                None, service.wakeups.wait, who.party, gen, _HEARTBEAT_S)
            if not moved:
                yield b": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
