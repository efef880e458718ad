"""`testboost scan` on small apps shaped like real ones that fooled the checks (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from testboost.cli import main

PRECISION = Path(__file__).parent / "apps" / "precision"


def scan(app: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(PRECISION)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", "--app", app, "--json", str(out)])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def test_writes_of_every_request_and_shared_objects_make_no_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # last_seen in before_request, a view counter on a public page, posts listed for everyone
    report = scan("lastseen_app:create_app()", tmp_path, monkeypatch)
    write_checks = {
        "orphaned-rows",
        "missing-auth",
        "broken-object-auth",
        "validation-gap",
        "mass-assignment",
    }
    assert not [f for f in report["findings"] if f["check"] in write_checks]
    # its one defect: ids past 64 bits overflow SQLite (the new input class finds it)
    crashes = [f for f in report["findings"] if f["check"] == "server-error"]
    assert crashes and all("OverflowError" in f["message"] for f in crashes)
    assert all("18446744073709551616" in f["message"] for f in crashes)


def test_services_unimplemented_actions_and_shared_causes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = scan("services_app:create_app()", tmp_path, monkeypatch)
    places = {(f["check"], r["method"], r["rule"]) for f in report["findings"] for r in f["routes"]}
    # the mail server the sandbox does not run is one note, not a crash per route
    assert [n for n in report["notes"] if "SMTP" in n] == [
        "the app needs an SMTP server, which the sandbox does not run; requests of 2 "
        "method-route pairs that used it were not judged: POST /api/invite, GET /api/newsletter"
    ]
    assert ("server-error", "POST", "/api/invite") not in places
    assert ("server-error", "GET", "/api/newsletter") not in places
    # a 501, a deliberate NotImplementedError and a bare abort(500) are answers, not crashes
    assert ("server-error", "GET", "/api/export") not in places
    assert ("server-error", "POST", "/api/archive") not in places
    assert ("server-error", "GET", "/api/shutdown") not in places
    assert [n for n in report["notes"] if "on purpose" in n] == [
        "GET /api/shutdown answered 500 on purpose (abort(500) at services_app.py:62), not "
        "reported as a crash: check that the condition it tests holds where the app runs"
    ]
    # an abort(500) in an except block is the crash it caught, named by that exception
    crashes = {f["location"]: f for f in report["findings"] if f["check"] == "server-error"}
    assert set(crashes) == {"services_app.py:19", "services_app.py:71"}
    hidden = crashes["services_app.py:71"]
    assert hidden["message"].startswith(("TypeError", "KeyError"))
    assert {(r["method"], r["rule"]) for r in hidden["routes"]} == {
        ("POST", "/api/items/<int:item_id>/rename")
    }
    # one parser breaking four methods and two routes is one finding listing them all
    crash = crashes["services_app.py:19"]
    assert {(r["method"], r["rule"]) for r in crash["routes"]} == {
        ("GET", "/api/delay/<delay>"),
        ("POST", "/api/delay/<delay>"),
        ("PUT", "/api/delay/<delay>"),
        ("DELETE", "/api/delay/<delay>"),
        ("GET", "/api/wait/<seconds>"),
    }
    assert all(r["reproducer"]["curl"].startswith("curl") for r in crash["routes"])
    # no JSON handler: one finding per status, not one per route
    statuses = sorted(f["status"] for f in report["findings"] if f["check"] == "non-json-error")
    assert statuses == sorted(set(statuses))


def test_children_of_missing_parents_json_columns_and_public_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = scan("parents_app:create_app()", tmp_path, monkeypatch)
    found = {(f["check"], f["method"], f["rule"], f["severity"]) for f in report["findings"]}
    # a child created under a parent that does not exist, by body and by path; a nested list too
    assert ("validation-gap", "POST", "/api/tracks", "high") in found
    assert ("missing-404", "POST", "/api/albums/<int:album_id>/tracks", "high") in found
    assert ("missing-404", "GET", "/api/albums/<int:album_id>/tracks", "medium") in found
    (gap,) = [f for f in report["findings"] if f["check"] == "validation-gap"]
    assert gap["message"].endswith("stored tracks.album_id = 99999")
    # the checked twin refuses it; the JSON column is seeded with JSON, so its reader works;
    # the SECRET_KEY default written in the code is no leak
    rules = {f["rule"] for f in report["findings"]}
    assert "/api/checked/tracks" not in rules
    assert not [
        f
        for f in report["findings"]
        if f["rule"] == "/api/notes/<int:note_id>" and "JSONDecodeError" in f["message"]
    ]
    assert not [f for f in report["findings"] if f["check"] == "data-leak"]


def test_new_input_classes_find_each_defect_and_spare_its_correct_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = scan("inputs_app:create_app()", tmp_path, monkeypatch)
    places = {
        (f["check"], f["severity"], r["method"], r["rule"])
        for f in report["findings"]
        for r in f["routes"]
    }
    # integers past 64 bits, in a path id and in a numeric query value
    assert ("server-error", "high", "GET", "/api/items/<int:item_id>") in places
    assert ("server-error", "high", "GET", "/api/items") in places
    overflow = next(f for f in report["findings"] if "OverflowError" in f["message"])
    assert "18446744073709551616" in overflow["message"]
    # CR/LF in a redirect target: Werkzeug refuses the Location header
    crlf = next(
        f for f in report["findings"] if f["check"] == "server-error" and f["rule"] == "/go"
    )
    assert "newline" in crlf["message"] and "X-Injected" in crlf["message"]
    # CR/LF in a query value the view writes into a response header
    (header,) = [f for f in report["findings"] if f["rule"] == "/api/export"]
    assert header["check"] == "server-error" and "newline" in header["message"]
    # null for a required field that only its key's presence guards
    (null,) = [f for f in report["findings"] if f["rule"] == "/api/items" and f["method"] == "POST"]
    assert null["check"] == "server-error" and "'name' is NULL" in null["message"]
    # a child under a parent that does not exist, and the list of such a parent's children
    assert ("missing-404", "high", "POST", "/api/shelves/<int:shelf_id>/items") in places
    assert ("missing-404", "medium", "GET", "/api/shelves/<int:shelf_id>/items") in places
    # the twins handle every one of these inputs: nothing is said of them
    assert not [p for p in places if p[3].startswith(("/api/safe/", "/safe/"))]


def test_an_endless_event_stream_is_no_crash_and_a_crashing_one_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CTFd's /events: answered 200 at once, then an event forever; read whole, a time-out
    report = scan("stream_app:create_app()", tmp_path, monkeypatch)
    places = {(f["check"], r["method"], r["rule"]) for f in report["findings"] for r in f["routes"]}
    assert ("server-error", "GET", "/events") not in places
    crash = [f for f in report["findings"] if f["rule"] == "/broken-events"]
    assert [(f["check"], f["status"]) for f in crash] == [("server-error", 500)]
    assert "ZeroDivisionError" in crash[0]["message"]


def test_a_base_class_row_is_seeded_without_its_subclasses_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CTFd's files: a seeded "standard" row with a page_id blocked DELETE /api/v1/pages/<id>
    from testboost.explore.polymorphic import subclass_columns
    from testboost.sandbox import Sandbox
    from testboost.target import load_app

    monkeypatch.chdir(PRECISION)
    with Sandbox() as sandbox:
        assert subclass_columns(load_app("files_app:create_app()", sandbox)) == {
            "upload": frozenset({"page_id"})
        }
    report = scan("files_app:create_app()", tmp_path, monkeypatch)
    crashes = [f["message"] for f in report["findings"] if f["check"] == "server-error"]
    assert not [m for m in crashes if "IntegrityError" in m]
    # its one crash: an id past 64 bits
    assert len(crashes) == 1 and crashes[0].startswith("OverflowError")
    # a text id no column holds a value of is the seeded page's, not "tb-value" (a 404)
    statuses = {r["rule"]: r["statuses"] for r in report["routes"]}
    assert "200" in statuses["/pages/<page_id>"]
