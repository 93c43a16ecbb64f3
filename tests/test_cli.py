"""The command line: add/list/show/rm/state, checks, and one-line errors with status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import sample_objects as samples
from deconfliction.cli import app
from deconfliction.formats.f3548 import volumes_to_f3548
from deconfliction.formats.geojson import to_geojson
from deconfliction.formats.native import object_to_dict
from deconfliction.store import SqliteStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


def run(db: Path, *args: str | Path) -> Result:
    # wide enough that rich does not fold the words the tests look for
    return CliRunner(env={"COLUMNS": "250"}).invoke(app, ["--db", str(db), *map(str, args)])


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


def stored(db: Path) -> tuple[list[str], list[str]]:
    with SqliteStore(db) as s:
        return [z.id for z in s.list_zones()], [o.id for o in s.list_operations()]


@pytest.fixture
def zone_file(tmp_path: Path) -> Path:
    return write(tmp_path, "zone.json", object_to_dict(samples.at_tanf_zone()))


@pytest.fixture
def exercise_file(tmp_path: Path) -> Path:
    return write(tmp_path, "exercise.geojson", to_geojson([samples.exercise()]))


@pytest.fixture
def pursuit_file(tmp_path: Path) -> Path:
    return write(tmp_path, "pursuit.json", object_to_dict(samples.pursuit()))


def test_zone_add_list_show_rm(db: Path, zone_file: Path) -> None:
    r = run(db, "zone", "add", zone_file)
    assert r.exit_code == 0, r.output
    assert "added zone at-tanf" in r.stdout
    r = run(db, "zone", "list", "--json")
    assert r.exit_code == 0
    [z] = json.loads(r.stdout)
    assert z["id"] == "at-tanf" and z["allowed"] == ["coalition", "mat"]
    assert "at-tanf" in run(db, "zone", "list").stdout
    r = run(db, "zone", "show", "at-tanf", "--json")
    assert json.loads(r.stdout) == json.loads(zone_file.read_text())
    r = run(db, "zone", "show", "at-tanf")
    assert r.exit_code == 0 and "circle 55,000 m" in r.stdout
    r = run(db, "zone", "rm", "at-tanf")
    assert r.exit_code == 0 and "removed zone at-tanf" in r.stdout
    assert json.loads(run(db, "zone", "list", "--json").stdout) == []


def test_readding_replaces_with_a_new_version(db: Path, zone_file: Path) -> None:
    run(db, "zone", "add", zone_file)
    r = run(db, "zone", "add", zone_file)
    assert r.exit_code == 0 and "replaced zone at-tanf" in r.stdout
    [z] = json.loads(run(db, "zone", "list", "--json").stdout)
    assert z["version"] != json.loads(zone_file.read_text())["version"]


def test_op_add_from_geojson_and_f3548(db: Path, tmp_path: Path, exercise_file: Path) -> None:
    r = run(db, "op", "add", exercise_file)
    assert r.exit_code == 0, r.output
    f3548 = write(tmp_path, "intent.json", {**volumes_to_f3548(samples.exercise()),
                                            "id": "flight-1"})
    r = run(db, "op", "add", f3548, "--owner", "coalition")
    assert r.exit_code == 0, r.output
    ops = {o["id"]: o for o in json.loads(run(db, "op", "list", "--json").stdout)}
    assert ops["exercise"]["state"] == "accepted"  # the file's state is kept
    assert ops["flight-1"]["state"] == "proposed"  # no state in the file: proposed
    assert ops["flight-1"]["owner"] == "coalition"
    r = run(db, "op", "show", "flight-1", "--json")
    assert json.loads(r.stdout)["volumes"] == ops["flight-1"]["volumes"]


def test_op_add_state_option(db: Path, pursuit_file: Path) -> None:
    r = run(db, "op", "add", pursuit_file, "--state", "draft")
    assert r.exit_code == 0, r.output
    assert json.loads(run(db, "op", "show", "pursuit", "--json").stdout)["state"] == "draft"
    line = one_error_line(run(db, "op", "add", pursuit_file, "--state", "flying"))
    assert "(BAD_STATE)" in line


def test_op_state_transitions(db: Path, pursuit_file: Path) -> None:
    run(db, "op", "add", pursuit_file)
    r = run(db, "op", "state", "pursuit", "accepted")
    assert r.exit_code == 0 and "proposed → accepted" in r.stdout
    line = one_error_line(run(db, "op", "state", "pursuit", "draft"))
    assert line == ("error: state: an operation cannot go from accepted to draft "
                    "(ILLEGAL_TRANSITION)")
    r = run(db, "op", "state", "pursuit", "cancelled")
    assert r.exit_code == 0
    assert json.loads(run(db, "op", "show", "pursuit", "--json").stdout)["state"] == "cancelled"
    r = run(db, "op", "rm", "pursuit")
    assert r.exit_code == 0 and stored(db) == ([], [])


def test_conflicts_warn_or_refuse(
    db: Path, zone_file: Path, exercise_file: Path, pursuit_file: Path
) -> None:
    assert run(db, "zone", "add", zone_file).exit_code == 0
    r = run(db, "op", "add", exercise_file)
    assert r.exit_code == 0 and "warning" not in r.stderr  # inside its owners' zone
    r = run(db, "op", "add", pursuit_file, "--strict")
    assert r.exit_code == 1
    assert "nothing written" in r.stderr and "ZONE_ENTRY_NOT_ALLOWED" in r.stdout
    assert stored(db) == (["at-tanf"], ["exercise"])
    r = run(db, "op", "add", pursuit_file)
    assert r.exit_code == 0
    assert "warning: 3 conflict(s)" in r.stderr
    assert stored(db) == (["at-tanf"], ["exercise", "pursuit"])


def test_check(db: Path, tmp_path: Path, zone_file: Path, exercise_file: Path,
               pursuit_file: Path) -> None:
    run(db, "zone", "add", zone_file)
    r = run(db, "check", pursuit_file, "--json")
    assert r.exit_code == 0, r.output
    conflicts = json.loads(r.stdout)
    assert {c["reason"] for c in conflicts} == {"ZONE_ENTRY_NOT_ALLOWED"}
    assert {c["b"]["id"] for c in conflicts} == {"at-tanf"}
    assert all(c["separation_m"] <= 0 for c in conflicts)
    r = run(db, "check", pursuit_file, "--against", exercise_file, "--json")
    reasons = sorted(c["reason"] for c in json.loads(r.stdout))
    assert reasons == ["OPERATIONS_OVERLAP", "ZONE_ENTRY_NOT_ALLOWED", "ZONE_ENTRY_NOT_ALLOWED"]
    r = run(db, "check", pursuit_file, "--against", exercise_file, "--no-store", "--json")
    assert [c["reason"] for c in json.loads(r.stdout)] == ["OPERATIONS_OVERLAP"]
    r = run(db, "check", pursuit_file)
    assert r.exit_code == 0 and "ZONE_ENTRY_NOT_ALLOWED" in r.stdout
    assert run(db, "check", pursuit_file, "--fail-on-conflict").exit_code == 1
    r = run(db, "check", exercise_file, "--fail-on-conflict")
    assert r.exit_code == 0 and "no conflicts" in r.stdout
    assert stored(db) == (["at-tanf"], [])  # check writes nothing


def test_check_without_a_database(tmp_path: Path, pursuit_file: Path,
                                  exercise_file: Path) -> None:
    db = tmp_path / "absent.db"
    r = run(db, "check", pursuit_file, "--against", exercise_file, "--json")
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == 1
    assert not db.exists()


def test_reads_on_a_missing_database(tmp_path: Path) -> None:
    db = tmp_path / "absent.db"
    assert json.loads(run(db, "zone", "list", "--json").stdout) == []
    assert json.loads(run(db, "op", "list", "--json").stdout) == []
    assert "NOT_FOUND" in one_error_line(run(db, "zone", "show", "x"))
    assert "NOT_FOUND" in one_error_line(run(db, "op", "state", "x", "active"))
    assert not db.exists()


def _bad_geojson() -> dict[str, Any]:
    doc = to_geojson([samples.exercise(), samples.pursuit()])
    doc["features"][2]["properties"]["alt_lower_m"] = 50_000
    return doc


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (_bad_geojson(), "error: features[2].properties.alt_lower_m: alt_lower_m 50000.0 is "
                         "above alt_upper_m 9000.25 (ALT_BAND_INVERTED)"),
        ('{"object": ', "(BAD_JSON)"),
        ({"hello": "world"}, "(UNKNOWN_FORMAT)"),
        ({**object_to_dict(samples.exercise()), "priority": "high"},
         "error: priority: expected an integer, got a string (BAD_TYPE)"),
        (object_to_dict(samples.at_tanf_zone()), "(WRONG_OBJECT)"),
        ({**object_to_dict(samples.exercise()), "owner": "russia"}, "(OWNER_MISMATCH)"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    db: Path, tmp_path: Path, content: Any, expected: str
) -> None:
    bad = write(tmp_path, "bad.json", content)
    line = one_error_line(run(db, "op", "add", bad, "--owner", "coalition"))
    assert expected in line
    assert not db.exists() or stored(db) == ([], [])


def test_missing_file_and_unknown_ids(db: Path, tmp_path: Path, zone_file: Path) -> None:
    line = one_error_line(run(db, "zone", "add", tmp_path / "nope.json"))
    assert "nope.json" in line and "(FILE_UNREADABLE)" in line
    run(db, "zone", "add", zone_file)
    assert "(NOT_FOUND)" in one_error_line(run(db, "zone", "rm", "nothing"))
    assert "(NOT_FOUND)" in one_error_line(run(db, "op", "show", "at-tanf"))
    assert "(ID_IN_USE)" in one_error_line(
        run(db, "op", "add", write(tmp_path, "clash.json",
                                    {**object_to_dict(samples.exercise()), "id": "at-tanf"}))
    )


def test_a_bad_database_is_one_line(tmp_path: Path, zone_file: Path) -> None:
    not_a_db = write(tmp_path, "junk.db", "this is not sqlite" * 100)
    assert "(STORE_FAILURE)" in one_error_line(run(not_a_db, "zone", "add", zone_file))


def test_db_from_the_environment(tmp_path: Path, zone_file: Path) -> None:
    db = tmp_path / "env.db"
    r = CliRunner().invoke(app, ["zone", "add", str(zone_file)],
                           env={"DECONFLICTION_DB": str(db)})
    assert r.exit_code == 0, r.output
    assert stored(db) == (["at-tanf"], [])


def test_the_console_script_exits_2_with_one_line(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("deconfliction")
    bad = write(tmp_path, "bad.geojson", _bad_geojson())
    env = {**os.environ, "DECONFLICTION_DB": str(tmp_path / "sub.db")}
    proc = subprocess.run([str(script), "op", "add", str(bad)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "error: features[2].properties.alt_lower_m: alt_lower_m 50000.0 is above "
        "alt_upper_m 9000.25 (ALT_BAND_INVERTED)"
    ]
    assert proc.stdout == ""
    assert not (tmp_path / "sub.db").exists()


def test_demo_runs(db: Path) -> None:
    r = run(db, "demo")
    assert r.exit_code == 0, r.output
    assert "At Tanf" in r.stdout
