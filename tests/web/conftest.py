"""A real server (At Tanf scenario) and Debian's Chromium, headless, driven by Playwright.

Every page fails its test on a browser console error, an uncaught exception, or a request
that leaves 127.0.0.1 (such requests are aborted by route interception). Screenshots go to
``artifacts/web/`` (git-ignored). Without Chromium or Playwright the tests skip, except
under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from deconfliction.testing.server import ServerProcess
from web.harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Site, unavailable


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = str(tmp_path_factory.mktemp("web") / "attanf.db")
    with ServerProcess(db, admin_token="dcf_" + secrets.token_urlsafe(24),
                       settings={"scenario": "attanf"}) as srv:
        tokens = json.loads(Path(db + ".tokens.json").read_text())
        yield Site(srv.url, tokens)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} not found (make system-deps installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (make venv)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Watch:
    """What went wrong in the browser: console errors, page errors, outside requests."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


@pytest.fixture
def new_page(browser: object, site: Site, request: pytest.FixtureRequest
             ) -> Iterator[Callable[[str], object]]:
    """A factory of pages (one browser context each), with the watch installed."""
    from playwright.sync_api import Browser, ConsoleMessage, Route

    assert isinstance(browser, Browser)
    watch = Watch()
    contexts = []
    pages: list[tuple[str, object]] = []

    def make(name: str) -> object:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(ctx)

        def route(r: Route) -> None:
            host = urlsplit(r.request.url).hostname
            if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                r.continue_()
            else:
                watch.outside.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        page = ctx.new_page()

        def console(m: ConsoleMessage) -> None:
            if m.type == "error":
                watch.errors.append(f"{name}: console: {m.text} @ {m.location}")

        page.on("console", console)
        page.on("pageerror", lambda e: watch.errors.append(f"{name}: pageerror: {e}"))
        page.goto(site.url + "/")
        pages.append((name, page))
        return page

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, page in pages:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{name}-final.png"))  # type: ignore[attr-defined]
    for ctx in contexts:
        ctx.close()
    assert not watch.outside, f"requests left 127.0.0.1: {watch.outside}"
    assert not watch.errors, "browser errors:\n" + "\n".join(watch.errors)
