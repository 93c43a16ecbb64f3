"""``/healthz`` and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from deconfliction.api.state import service_of

__all__ = ["router"]

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness and the store's reachability")
async def healthz(request: Request) -> dict[str, object]:
    service = service_of(request)

    def probe() -> int:
        with service.store.read() as tx:
            return tx.ledger_head()[0]

    head = await run_in_threadpool(probe)
    return {"status": "ok", "store": service.store.dialect, "ledger_seq": head}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(generate_latest, request.app.state.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
