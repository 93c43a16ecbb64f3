"""``/tracks``: the live tracks (the latest report of each), as a list and as a stream.

The positions come from ``POST /reports`` in this process (a :class:`TrackFeed`); alerts
about them go through the channel (``/events``). What a party sees of another party's track:
its position, not its declared operation. With ``serve --workers N`` each process streams
the tracks reported to it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from deconfliction.api.auth import need
from deconfliction.channel.service import Principal
from deconfliction.monitor.trackfeed import TrackFeed

__all__ = ["router"]

router = APIRouter(tags=["monitoring"])
_TICK_S = 0.2  # how often the stream looks for changes: at most 5 messages a second
_HEARTBEAT_S = 15.0


def _feed(request: Request) -> TrackFeed:
    feed: TrackFeed = request.app.state.tracks
    return feed


@router.get("/tracks", summary="The live tracks: the latest report of each")
async def tracks(request: Request,
                 who: Principal = Depends(need("operations:read"))  # noqa: B008
                 ) -> dict[str, Any]:
    version, items = _feed(request).since(0, who.party)
    return {"tracks": items, "count": len(items), "version": version}


@router.get("/tracks/stream", summary="Server-Sent Events: the tracks that moved, a few "
            "times a second", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def stream(request: Request,
                 who: Principal = Depends(need("operations:read")),  # noqa: B008
                 after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                 last_event_id: Annotated[str | None, Header(max_length=20)] = None,
                 once: bool = False) -> StreamingResponse:
    feed = _feed(request)
    if last_event_id and last_event_id.isdigit():
        after = int(last_event_id)  # a reconnecting client: what it has seen

    async def events() -> AsyncIterator[bytes]:
        seen = after
        quiet = 0.0
        yield b": deconfliction tracks\n\n"
        while True:
            if feed.version > seen:
                seen, items = feed.since(seen, who.party)
                if items:
                    data = json.dumps({"version": seen, "tracks": items},
                                      separators=(",", ":"))
                    yield f"id: {seen}\nevent: tracks\ndata: {data}\n\n".encode()
                    quiet = 0.0
            if once or await request.is_disconnected():
                return
            await asyncio.sleep(_TICK_S)
            quiet += _TICK_S
            if quiet >= _HEARTBEAT_S:
                quiet = 0.0
                yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
