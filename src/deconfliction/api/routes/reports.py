"""``POST /reports``: position reports (JSON lines) checked live against every zone and
operation; the alerts go into the channel (to the object's owner and the track's party, and
onto their SSE streams) and the events are answered.

One :class:`~deconfliction.monitor.Monitor` per process keeps the tracks' state; it follows
the stored objects (rebuilt when the ledger moved). A party reports its own tracks: a report
naming another party is refused (``NOT_OWNER``) unless the caller is an admin; a report
naming no party is the caller's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from deconfliction.api.auth import need
from deconfliction.api.state import service_of
from deconfliction.channel.service import Principal, Service
from deconfliction.core.errors import DeconflictionError
from deconfliction.monitor.alerting import alert_rows
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.live import LiveMonitor as FollowingMonitor
from deconfliction.monitor.sources import batch_from_jsonl

__all__ = ["LiveMonitor", "router"]

router = APIRouter(tags=["monitoring"])


class LiveMonitor(FollowingMonitor):
    """The process's monitor, following the service's objects."""

    def ingest(self, service: Service, batch: TrackBatch) -> tuple[list[Any], list[str]]:
        """Events of ``batch`` and the ids of the alert messages sent."""
        table = self.step_table(service, batch)
        return table.events(), service.alert(alert_rows(table))


@router.post("/reports", summary="Position reports (JSON lines): events back, alerts to the "
             "channel", openapi_extra={"requestBody": {"content": {"text/plain": {
                 "schema": {"type": "string", "description": "JSON lines (any content type "
                            "is read as such), one report per line: track, "
                            "party, t_s or time, lat, lon, alt_m, speed_mps, heading_deg, "
                            "operation"}}}}})
async def reports(request: Request,
                  who: Principal = Depends(need("operations:write"))  # noqa: B008
                  ) -> dict[str, Any]:
    body = await request.body()
    batch = batch_from_jsonl(body)
    if len(batch):
        parties = batch.party.copy()
        parties[parties == ""] = who.party
        others = sorted(set(parties.tolist()) - {who.party})
        if others and not who.admin:
            raise DeconflictionError(
                "NOT_OWNER", f"{who.party} cannot report tracks of {others[0]}", "party")
        batch = TrackBatch(batch.track, parties, batch.t_s, batch.lat, batch.lon, batch.alt_m,
                           batch.speed_mps, batch.heading_deg, batch.operation)
    live: LiveMonitor = request.app.state.monitor
    events, sent = await run_in_threadpool(live.ingest, service_of(request), batch)
    request.app.state.tracks.publish(batch)  # the page's tracks layer (GET /tracks/stream)
    return {"reports": len(batch), "events": [e.to_dict() for e in events],
            "messages": sent}
