"""The web map: ``/`` is the page, ``/web/…`` its static files (``deconfliction/web``; the map
libraries under ``/web/vendor/`` are copied there from npm by ``make web``).

The page is served with a Content-Security-Policy that lets it talk to this server only: no
CDN, no tile server, nothing outside.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["CSP", "WEB_DIR", "install"]

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
#: Leaflet positions its panes with inline styles, hence 'unsafe-inline' for styles only
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'none'")


def install(app: FastAPI) -> None:
    """Serve the page at ``/`` and its files under ``/web/``."""
    app.mount("/web", StaticFiles(directory=WEB_DIR, check_dir=False), name="web")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html",
                            headers={"Content-Security-Policy": CSP,
                                     "Cache-Control": "no-cache"})
