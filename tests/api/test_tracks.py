"""GET /tracks and /tracks/stream: the latest report of each track, as each party may see it."""

from __future__ import annotations

import json
from typing import Any

from api.world import World


def _post(w: World, party: str, rows: list[dict[str, Any]]) -> None:
    body = "\n".join(json.dumps(r) for r in rows).encode()
    r = w.client.post("/reports", content=body, headers={
        **w.auth(party), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text


def _report(track: str, t: float, lat: float, **extra: Any) -> dict[str, Any]:
    return {"track": track, "t_s": t, "lat": lat, "lon": 38.6, "alt_m": 500.0,
            "speed_mps": 100.0, "heading_deg": 90.0, **extra}


def _tracks(w: World, party: str, path: str = "/tracks") -> dict[str, Any]:
    r = w.client.get(path, headers=w.auth(party))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_the_latest_report_of_each_track_and_only_the_owner_sees_its_operation(
        world: World) -> None:
    t = 1.9e9
    _post(world, "alpha", [_report("a1", t, 33.0, operation="op-x"),
                           _report("a1", t + 5, 33.1, operation="op-x"),
                           _report("a1", t + 2, 33.05, operation="op-x")])  # out of order
    _post(world, "bravo", [_report("b1", t + 1, 34.0)])
    own = {x["track"]: x for x in _tracks(world, "alpha")["tracks"]}
    assert own["a1"]["lat"] == 33.1 and own["a1"]["t_s"] == t + 5
    assert own["a1"]["operation"] == "op-x" and own["a1"]["party"] == "alpha"
    seen_by_other = {x["track"]: x for x in _tracks(world, "delta")["tracks"]}
    assert seen_by_other.keys() == {"a1", "b1"}
    assert "operation" not in seen_by_other["a1"] and seen_by_other["a1"]["lat"] == 33.1


def test_the_stream_sends_what_moved_after_the_version_given(world: World) -> None:
    t = 1.9e9
    _post(world, "alpha", [_report("a1", t, 33.0)])
    v1 = _tracks(world, "bravo")["version"]
    _post(world, "bravo", [_report("b1", t + 1, 34.0)])
    r = world.client.get(f"/tracks/stream?once=true&after={v1}", headers=world.auth("bravo"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [b for b in r.text.split("\n\n") if b.startswith("id:")]
    assert len(events) == 1
    data = json.loads(events[0].split("data: ", 1)[1])
    assert [x["track"] for x in data["tracks"]] == ["b1"] and data["version"] > v1
    # nothing new: nothing sent
    r = world.client.get(f"/tracks/stream?once=true&after={data['version']}",
                         headers=world.auth("bravo"))
    assert [b for b in r.text.split("\n\n") if b.startswith("id:")] == []


def test_tracks_silent_too_long_are_no_longer_live(world: World) -> None:
    t = 1.9e9
    _post(world, "alpha", [_report("old", t, 33.0)])
    _post(world, "alpha", [_report("new", t + 3_600, 33.5)])
    assert [x["track"] for x in _tracks(world, "alpha")["tracks"]] == ["new"]
