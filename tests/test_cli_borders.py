"""The command line and borders: ``zone add --clip-to``, ``borders list``, and one-line
errors with status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import sample_objects as samples
from deconfliction.cli import app
from deconfliction.formats.geojson import to_geojson
from deconfliction.formats.native import object_to_dict
from deconfliction.store import SqliteStore


def run(db: Path, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env={"COLUMNS": "250", **(env or {})}).invoke(
        app, ["--db", str(db), *map(str, args)])


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def zone_file(tmp_path: Path) -> Path:
    path = tmp_path / "zone.json"
    path.write_text(json.dumps(object_to_dict(samples.at_tanf_zone())))
    return path


def test_zone_add_clip_to(tmp_path: Path, zone_file: Path) -> None:
    db = tmp_path / "t.db"
    r = run(db, "zone", "add", zone_file, "--clip-to", "SYRIA")
    assert r.exit_code == 0, r.output
    with SqliteStore(db) as s:
        (zone,) = s.list_zones()
    assert zone.clip_to == "Syria" and zone.unclipped == samples.at_tanf_zone().volumes
    assert {v.outline.kind for v in zone.volumes} == {"polygon"}
    shown = json.loads(run(db, "zone", "show", "at-tanf", "--json").stdout)
    assert shown["clip_to"] == "Syria"


def test_a_native_file_may_ask_for_the_clip(tmp_path: Path) -> None:
    path = tmp_path / "zone.json"
    path.write_text(json.dumps({**object_to_dict(samples.at_tanf_zone()), "clip_to": "400"}))
    assert run(tmp_path / "t.db", "zone", "add", path).exit_code == 0
    with SqliteStore(tmp_path / "t.db") as s:
        assert s.get_zone("at-tanf").clip_to == "Jordan"


@pytest.mark.parametrize(("country", "code"), [("Atlantis", "UNKNOWN_COUNTRY"),
                                               ("France", "EMPTY_CLIP")])
def test_bad_country(tmp_path: Path, zone_file: Path, country: str, code: str) -> None:
    line = one_error_line(run(tmp_path / "t.db", "zone", "add", zone_file, "--clip-to", country))
    assert line.startswith("error: clip_to: ") and line.endswith(f"({code})")
    if (tmp_path / "t.db").exists():
        with SqliteStore(tmp_path / "t.db") as s:
            assert not s.list_zones()


def test_missing_borders(tmp_path: Path, zone_file: Path) -> None:
    env = {"DECONFLICTION_BORDERS": str(tmp_path / "none.json")}
    line = one_error_line(run(tmp_path / "t.db", "zone", "add", zone_file, "--clip-to",
                              "Syria", env=env))
    assert line.endswith("(BORDERS_UNAVAILABLE)") and "make web" in line
    line = one_error_line(run(tmp_path / "t.db", "borders", "list", env=env))
    assert line.endswith("(BORDERS_UNAVAILABLE)")


def test_borders_list(tmp_path: Path) -> None:
    r = run(tmp_path / "t.db", "borders", "list", "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert {"id": "760", "name": "Syria"} in rows and len(rows) > 200
    r = run(tmp_path / "t.db", "borders", "list", "jord")
    assert "400" in r.stdout and "Jordan" in r.stdout and "Syria" not in r.stdout


def test_geojson_zone_clipped(tmp_path: Path) -> None:
    path = tmp_path / "zone.geojson"
    path.write_text(json.dumps(to_geojson([samples.at_tanf_zone()])))
    db = tmp_path / "t.db"
    assert run(db, "zone", "add", path, "--clip-to", "iraq").exit_code == 0
    with SqliteStore(db) as s:
        zone = s.get_zone("at-tanf")
    assert zone.clip_to == "Iraq" and zone.volumes[0].outline.kind == "polygon"
