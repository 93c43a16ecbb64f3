"""``clip_to`` through the API: a zone stored clipped to a country (fast path and FastAPI
routes alike), read back as polygon volumes, clipped again on update, and refused with a
stable code when the country is unknown, missed or the borders are missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.world import World, circle, open_world
from deconfliction.api.settings import Settings

AT_TANF = (33.50583, 38.61778)
IN_JORDAN = (33.2, 38.5)
IN_SYRIA = (33.6, 38.4)


@pytest.fixture(params=[True, False], ids=["fast", "routes"])
def w(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    settings = Settings.load({"fast_writes": request.param}, environ={})
    with open_world(f"sqlite:///{tmp_path / 'api.db'}", settings=settings) as world:
        yield world


def _zone(**extra: Any) -> dict[str, Any]:
    return {"id": "at-tanf", "volumes": [circle(*AT_TANF, 55_000.0, high=20_000.0)], **extra}


def _kinds(obj: dict[str, Any]) -> list[str]:
    return [v["outline"]["type"] for v in obj["volumes"]]


def test_create_read_and_update(w: World) -> None:
    r = w.client.post("/zones", headers=w.auth("alpha"), json=_zone(clip_to="syria"))
    assert r.status_code == 201, r.text
    obj = r.json()["object"]
    assert obj["clip_to"] == "Syria" and _kinds(obj) == ["polygon"]
    assert obj["volumes"][0]["alt_upper_m"] == 20_000.0
    assert [v["outline"]["type"] for v in obj["unclipped"]] == ["circle"]
    got = w.client.get("/zones/at-tanf", headers=w.auth("alpha")).json()
    assert got["volumes"] == obj["volumes"] and got["clip_to"] == "Syria"
    # another party sees the clipped volumes
    seen = w.client.get("/zones/at-tanf", headers=w.auth("delta")).json()
    assert seen["volumes"] == obj["volumes"] and seen["clip_to"] == "Syria"
    assert "unclipped" not in seen
    # an update clips its own volumes again, to the country it names
    r = w.client.put("/zones/at-tanf", headers=w.auth("alpha"),
                     json=_zone(clip_to="400", version=obj["version"]))
    assert r.status_code == 200, r.text
    jordan = r.json()["object"]
    assert jordan["clip_to"] == "Jordan" and jordan["volumes"] != obj["volumes"]
    # and one without clip_to is the whole circle again
    r = w.client.put("/zones/at-tanf", headers=w.auth("alpha"),
                     json=_zone(version=jordan["version"]))
    assert _kinds(r.json()["object"]) == ["circle"] and "clip_to" not in r.json()["object"]


def test_only_the_syrian_part_conflicts(w: World) -> None:
    assert w.client.post("/zones", headers=w.auth("alpha"),
                         json=_zone(clip_to="Syria")).status_code == 201

    def check(at: tuple[float, float]) -> int:
        r = w.client.post("/check", headers=w.auth("bravo"), json={
            "object": "operation", "state": "proposed", "volumes": [circle(*at, 500.0)]})
        assert r.status_code == 200, r.text
        count: int = r.json()["count"]
        return count

    assert check(IN_JORDAN) == 0
    assert check(IN_SYRIA) == 1


def test_check_clips_a_zone_too(w: World) -> None:
    r = w.client.post("/check", headers=w.auth("alpha"),
                      json={"object": "zone", **_zone(clip_to="Atlantis")})
    assert r.status_code == 422 and r.json()["code"] == "UNKNOWN_COUNTRY"


@pytest.mark.parametrize(("clip_to", "code"), [
    ("Atlantis", "UNKNOWN_COUNTRY"), ("France", "EMPTY_CLIP"), ("", "INVALID_REQUEST"),
    (760, "INVALID_REQUEST"),
])
def test_bad_countries(w: World, clip_to: object, code: str) -> None:
    r = w.client.post("/zones", headers=w.auth("alpha"), json=_zone(clip_to=clip_to))
    assert r.status_code == 422 and r.json()["code"] == code
    assert r.json()["field"] == "clip_to"
    assert w.client.get("/zones/at-tanf", headers=w.auth("alpha")).status_code == 404


def test_missing_borders(w: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DECONFLICTION_BORDERS", str(tmp_path / "none.json"))
    r = w.client.post("/zones", headers=w.auth("alpha"), json=_zone(clip_to="Syria"))
    assert r.status_code == 503 and r.json()["code"] == "BORDERS_UNAVAILABLE"
    # zones that are not clipped do not need the borders
    assert w.client.post("/zones", headers=w.auth("alpha"), json=_zone()).status_code == 201


def test_the_borders_setting(tmp_path: Path) -> None:
    settings = Settings.load({"borders": str(tmp_path / "none.json")}, environ={})
    with open_world(f"sqlite:///{tmp_path / 'api.db'}", settings=settings) as w:
        r = w.client.post("/zones", headers=w.auth("alpha"), json=_zone(clip_to="Syria"))
        assert r.status_code == 503 and r.json()["code"] == "BORDERS_UNAVAILABLE"
        assert "none.json" in r.json()["message"]
