"""The FastAPI app: routes, error handling, body limits, metrics and background workers
(escalation of overdue messages, webhook delivery)."""

from __future__ import annotations

import gc
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

import httpx
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconfliction.api import errors
from deconfliction.api.fastpath import FastWrites
from deconfliction.api.metrics import Metrics
from deconfliction.api.routes import (
    channel,
    check,
    ledger,
    objects,
    parties,
    reports,
    system,
    tracks,
    web,
)
from deconfliction.api.settings import Settings
from deconfliction.borders import load_atlas
from deconfliction.channel.service import Service
from deconfliction.channel.webhooks import deliver_due
from deconfliction.core.errors import ValidationError
from deconfliction.monitor.trackfeed import TrackFeed

__all__ = ["Workers", "create_app"]

log = logging.getLogger("deconfliction.api")


class Workers:
    """Background threads: escalation, webhooks and the garbage collector's freezer, each a
    loop that survives its errors.

    The freezer: a full collection of Python's cyclic garbage collector walks every tracked
    object, and a server holds a tracked object or twenty per stored volume (about 100 ms at
    10,000 operations, in a thread holding the GIL: every request waits). Every
    ``gc_freeze_s`` the survivors of the young collections are frozen (``gc.freeze``) and no
    collection walks them again; young garbage is still collected, and objects freed by
    their reference counts (nearly all) still are.
    """

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
        if self.settings.gc_freeze_s > 0:
            gc.freeze()  # what the start left behind: modules, the loaded store
            jobs.append(("gc-freeze", self.settings.gc_freeze_s, gc.freeze))
        for name, every, step in jobs:
            t = threading.Thread(target=self._loop, args=(name, every, step),
                                 name=f"deconfliction-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"code": code, "message": message, "field": None}, status_code=status)


class LimitAndMeasure:
    """Pure ASGI middleware: refuses bodies over ``max_body_bytes`` (413 ``BODY_TOO_LARGE``)
    and chunked bodies without a length (411 ``LENGTH_REQUIRED``); counts and times every
    request. (Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per request.)
    With ``fast``, the two hot write routes are answered by it
    (:mod:`deconfliction.api.fastpath`)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics,
                 fast: FastWrites | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.fast = fast

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        method: str = scope["method"]
        length: str | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value.decode("latin-1")
            elif name == b"transfer-encoding":
                chunked = value.decode("latin-1").lower() == "chunked"
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            response = _error(413, "BODY_TOO_LARGE",
                              f"the body exceeds {self.max_body_bytes} bytes")
            await response(scope, receive, send_status)
        elif length is None and chunked and method in ("POST", "PUT", "PATCH"):
            await _error(411, "LENGTH_REQUIRED", "send a Content-Length")(
                scope, receive, send_status)
        elif self.fast is not None and self.fast.handles(scope):
            await self.fast(scope, receive, send_status)
        else:
            await self.app(scope, receive, send_status)
        self.metrics.requests.labels(method, str(status[0])).inc()
        self.metrics.latency.labels(method).observe(time.perf_counter() - t0)


def _install_dss(app: FastAPI, service: Service, settings: Settings,
                 fast: FastWrites | None) -> None:
    """The ASTM F3548-21 DSS API under /dss/v1 (``BAD_SETTING`` without a key or audience)."""
    from deconfliction.api.routes import dss
    from deconfliction.dss.auth import TokenVerifier
    from deconfliction.dss.dss import Dss

    if not settings.dss_public_key or not settings.dss_audience:
        raise ValidationError("BAD_SETTING", "the DSS needs dss_public_key and dss_audience",
                              "dss_public_key")
    try:
        verifier = TokenVerifier.from_file(settings.dss_public_key, settings.dss_audience)
    except (OSError, ValueError) as err:
        raise ValidationError("BAD_SETTING", f"cannot read the DSS token key: {err}",
                              "dss_public_key") from None
    # a sub-application mounted first: a DSS request matches one prefix instead of being
    # tried against every route of the native API (~0.5 ms a request), and a native request
    # pays one prefix check
    sub = FastAPI(openapi_url=None, docs_url=None, redoc_url=None,
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    sub.state.dss_verifier = verifier
    sub.state.dss = Dss(service)
    sub.router.routes.extend(dss.router.routes)
    mount = Mount(dss.PREFIX, app=sub)
    # path parameters (OVNs, versions) may hold any character, newlines too
    for route in (mount, *dss.router.routes):
        assert isinstance(route, Mount | APIRoute)
        route.path_regex = re.compile(route.path_regex.pattern, re.DOTALL)
    app.router.routes.insert(0, mount)
    if fast is not None:
        fast.dss = sub  # its intent writes skip the framework's dispatch too


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
        # the service has its own Prometheus metrics; FastAPI's OpenTelemetry hooks would
        # look at the environment on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.service = service
    app.state.settings = settings
    # read on the first clip_to, then kept
    app.state.borders = borders = partial(load_atlas, settings.borders or None)
    metrics = Metrics(service)
    app.state.registry = metrics.registry
    errors.install(app)

    fast = FastWrites(service, borders) if settings.fast_writes else None
    app.add_middleware(LimitAndMeasure, max_body_bytes=settings.max_body_bytes,
                       metrics=metrics,
                       fast=fast)

    app.state.monitor = reports.LiveMonitor()
    app.state.tracks = TrackFeed()
    for module in (objects, check, channel, parties, ledger, reports, tracks, system):
        app.include_router(module.router)
    if settings.dss_enabled:
        _install_dss(app, service, settings, fast)
    web.install(app)
    return app
