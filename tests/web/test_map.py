"""The web map in a real Chromium against a real server with the At Tanf scenario."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from web.harness import ARTIFACTS, Site

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow
NewPage = Callable[[str], Any]


def _login(page: Page, token: str, party: str) -> None:
    page.fill("#token", token)
    page.click("#login")
    page.wait_for_selector(f"#party:text('{party}')")
    page.wait_for_selector("#live.on")


def _at(page: Page, when: datetime) -> None:
    """Move the time slider to ``when`` (the slider's unit is the hour)."""
    page.fill("#slider", str(int(when.timestamp()) // 3600))
    page.wait_for_selector(f"#time-label:text('{when:%Y-%m-%d %H:%M}')")


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_coalition_sees_the_zone_and_the_exercise_in_time(site: Site, new_page: NewPage
                                                          ) -> None:
    page: Page = new_page("coalition")
    _login(page, site.tokens["coalition"], "coalition")
    page.wait_for_selector("path.zone.obj-at-tanf-zone")
    # the coalition may enter its own zone: not hatched
    assert page.locator("path.zone-forbidden").count() == 0
    assert page.locator("path.country").count() > 100  # Natural Earth borders, offline
    exercise = page.locator("path.operation.obj-exercise")
    _at(page, datetime(2018, 9, 6, 12, tzinfo=UTC))
    assert exercise.count() == 0
    _at(page, datetime(2018, 9, 8, 12, tzinfo=UTC))
    assert exercise.count() == 1
    _shot(page, "coalition-2018-09-08")
    _at(page, datetime(2018, 9, 14, 23, tzinfo=UTC))
    assert exercise.count() == 1
    _at(page, datetime(2018, 9, 15, 0, tzinfo=UTC))  # [start, end): gone at the end
    assert exercise.count() == 0
    assert page.locator("path.zone.obj-at-tanf-zone").count() == 1
    # "now" mode: the zone is open-ended, the exercise long over
    page.check("#now-mode")
    page.wait_for_selector("#time-label:text('(now)')")
    assert exercise.count() == 0 and page.locator("path.obj-at-tanf-zone").count() == 1


def _click_latlon(page: Page, lat: float, lon: float) -> None:
    p = page.evaluate("([a, b]) => deconfliction.map.latLngToContainerPoint([a, b])",
                      [lat, lon])
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + p["x"], box["y"] + p["y"])


def test_russia_overrides_into_the_zone_and_coalition_acknowledges_live(
        site: Site, new_page: NewPage) -> None:
    # the coalition's duty officer has the page open: the notice must arrive live (SSE)
    co: Page = new_page("coalition")
    _login(co, site.tokens["coalition"], "coalition")

    ru: Page = new_page("russia")
    _login(ru, site.tokens["russia"], "russia")
    ru.wait_for_selector("path.zone-forbidden.obj-at-tanf-zone")  # hatched for russia
    _at(ru, datetime(2018, 9, 12, 12, tzinfo=UTC))
    ru.evaluate("() => { deconfliction.map.setView([33.5, 38.62], 11, {animate: false}); }")
    ru.click("#draw-circle")
    _click_latlon(ru, 33.5, 38.62)
    _click_latlon(ru, 33.5, 38.64)
    ru.wait_for_selector("path.drawn")
    ru.fill("#d-radius", "2000")
    ru.dispatch_event("#d-radius", "change")
    ru.fill("#d-id", "web-patrol")
    ru.select_option("#d-kind", "patrol")
    ru.fill("#d-alt-upper", "500")
    ru.fill("#d-start", "2018-09-12T00:00Z")
    ru.fill("#d-end", "2018-09-13T00:00Z")

    # check before submitting: the conflict with the coalition's zone, explained
    ru.click("#check")
    hit = ru.locator(".check-conflict", has_text="at-tanf-zone")
    hit.wait_for()
    assert "ZONE_ENTRY_NOT_ALLOWED" in hit.inner_text()
    assert re.match(r"\d+ conflict", ru.locator(".check-bad").inner_text())
    _shot(ru, "russia-check")
    # nothing was written by the check
    with httpx.Client(base_url=site.url, timeout=10) as http:
        r = http.get("/operations/web-patrol",
                     headers={"Authorization": f"Bearer {site.tokens['russia']}"})
        assert r.status_code == 404

    # submitting without a justification is refused in the page, before the API
    ru.click("#submit")
    ru.wait_for_selector("#error:text('override justification')")
    ru.fill("#d-override", "search and rescue of a downed crew")
    ru.click("#submit")
    ru.wait_for_selector(".submitted:text('operation web-patrol created')")
    ru.wait_for_selector("path.operation.obj-web-patrol.in-conflict")
    _shot(ru, "russia-submitted")

    # the coalition's inbox receives the override notice live, and acknowledges it
    notice = co.locator("li.message[data-subject='web-patrol']")
    notice.wait_for(timeout=15_000)
    assert re.search(r"override", notice.inner_text())
    assert "search and rescue" in notice.inner_text()
    assert re.search(r"\d+:\d\d:\d\d left", notice.locator(".deadline").inner_text())
    _shot(co, "coalition-inbox")
    notice.locator("button.answer-ack").click()
    co.wait_for_selector("li.message.answered[data-subject='web-patrol'] .state:text('acked')")
    with httpx.Client(base_url=site.url, timeout=10) as http:
        items = http.get("/inbox", headers={
            "Authorization": f"Bearer {site.tokens['coalition']}"}).json()["items"]
    assert [m["state"] for m in items if m["subject"] == "web-patrol"] == ["acked"]


def _jsonl(batch: Any, track: str) -> bytes:
    rows = []
    for i in range(len(batch)):
        if batch.track[i] != track:
            continue
        rows.append(json.dumps({
            "track": track, "party": str(batch.party[i]), "t_s": float(batch.t_s[i]),
            "lat": float(batch.lat[i]), "lon": float(batch.lon[i]),
            "alt_m": float(batch.alt_m[i]), "speed_mps": float(batch.speed_mps[i]),
            "heading_deg": float(batch.heading_deg[i])}))
    return "\n".join(rows).encode()


def test_a_simulated_track_moves_live_and_its_enter_alert_arrives(
        site: Site, new_page: NewPage) -> None:
    from deconfliction.monitor.simulate import attanf_tracks

    co: Page = new_page("coalition")
    _login(co, site.tokens["coalition"], "coalition")
    co.evaluate("() => { deconfliction.map.setView([33.7, 38.9], 8, {animate: false}); }")
    ru = {"Authorization": f"Bearer {site.tokens['russia']}",
          "Content-Type": "application/x-ndjson"}
    kinds: list[str] = []
    with httpx.Client(base_url=site.url, timeout=30) as http:
        for n, batch in enumerate(attanf_tracks()):
            r = http.post("/reports", content=_jsonl(batch, "rf-su24"), headers=ru)
            assert r.status_code == 200, r.text
            kinds += [e["kind"] for e in r.json()["events"]]
            if n < 3:  # the page shows the track moving, report by report
                t = float(batch.t_s[list(batch.track).index("rf-su24")])
                co.wait_for_function(
                    "t => deconfliction.tracks.tracks.get('rf-su24')?.rec.t_s === t", arg=t)
            if "enter" in kinds:
                break
    assert "enter" in kinds
    # the alert reaches the zone owner's inbox live, and the track is drawn where it is
    alert = co.locator("li.message.alert", has_text="enter: track rf-su24")
    alert.wait_for(timeout=15_000)
    assert "at-tanf-zone" in alert.inner_text()
    last = list(attanf_tracks())[n]
    i = list(last.track).index("rf-su24")
    co.wait_for_function("t => deconfliction.tracks.tracks.get('rf-su24').rec.t_s === t",
                         arg=float(last.t_s[i]))
    assert co.evaluate("() => deconfliction.tracks.tracks.get('rf-su24').trail.length") >= 3
    where = co.evaluate("() => deconfliction.tracks.tracks.get('rf-su24').dot.getLatLng()")
    assert abs(where["lat"] - float(last.lat[i])) < 1e-6
    assert co.evaluate("() => deconfliction.tracks.tracks.get('rf-su24').rec.party") == "russia"
    _shot(co, "coalition-live-track-alert")
