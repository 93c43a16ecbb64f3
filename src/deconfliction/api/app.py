"""The FastAPI app: routes, error handling, body limits, metrics and background workers
(escalation of overdue messages, webhook delivery)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from deconfliction.api import errors
from deconfliction.api.metrics import Metrics
from deconfliction.api.routes import channel, check, ledger, objects, parties, system, web
from deconfliction.api.settings import Settings
from deconfliction.channel.service import Service
from deconfliction.channel.webhooks import deliver_due

__all__ = ["Workers", "create_app"]

log = logging.getLogger("deconfliction.api")


class Workers:
    """Background threads: escalation and webhooks, each a loop that survives its errors."""

    def __init__(self, service: Service, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _loop(self, name: str, every_s: float, step: Callable[[], object]) -> None:
        while not self._stop.is_set():
            try:
                step()
            except Exception:  # a worker must not die: log and go on
                log.exception("%s worker step failed", name)
            self._stop.wait(every_s)

    def start(self) -> None:
        client = httpx.Client(timeout=self.settings.webhook_timeout_s)
        jobs: list[tuple[str, float, Callable[[], object]]] = [
            ("escalation", self.settings.escalation_interval_s, self.service.escalate_overdue),
            ("webhooks", self.settings.webhook_interval_s,
             lambda: deliver_due(self.service, client,
                                 max_backoff_s=self.settings.webhook_max_backoff_s)),
        ]
        for name, every, step in jobs:
            t = threading.Thread(target=self._loop, args=(name, every, step),
                                 name=f"deconfliction-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)


def create_app(service: Service, settings: Settings | None = None, *,
               workers: bool = True) -> FastAPI:
    """The app over ``service``; ``workers=False`` leaves escalation and webhooks to the
    caller (tests drive them by hand)."""
    settings = settings or Settings.load({})
    pool = Workers(service, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if workers:
            pool.start()
        try:
            yield
        finally:
            pool.stop()

    app = FastAPI(
        title="deconfliction",
        version="0.2.0",
        description="Zones, operations and exact 4D geodesic conflict detection; the "
        "deconfliction channel (notices, acknowledgements, escalation) and a signed, "
        "hash-chained ledger. Authenticate with `Authorization: Bearer <token>`.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    metrics = Metrics(service)
    app.state.registry = metrics.registry
    errors.install(app)

    @app.middleware("http")
    async def limit_and_measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        t0 = time.perf_counter()
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit()
                                   or int(length) > settings.max_body_bytes):
            response: Response = JSONResponse(
                {"code": "BODY_TOO_LARGE",
                 "message": f"the body exceeds {settings.max_body_bytes} bytes", "field": None},
                status_code=413)
        elif length is None and request.method in ("POST", "PUT", "PATCH") and \
                request.headers.get("transfer-encoding", "").lower() == "chunked":
            response = JSONResponse(
                {"code": "LENGTH_REQUIRED", "message": "send a Content-Length", "field": None},
                status_code=411)
        else:
            response = await call_next(request)
        metrics.requests.labels(request.method, str(response.status_code)).inc()
        metrics.latency.labels(request.method).observe(time.perf_counter() - t0)
        return response

    for module in (objects, check, channel, parties, ledger, system):
        app.include_router(module.router)
    web.install(app)
    return app
