"""The explorer: schema and seeding, users and login, isolation, recording, surviving bad views."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from probing import explored

from testboost.explore.exchange import Exchange
from testboost.explore.runner import ProbeResult, explore
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app


@pytest.fixture(scope="module")
def result() -> Iterator[ProbeResult]:
    # a time-out a loaded machine never reaches on the app's ordinary views; /slow sleeps for 600 s.
    # /ratio's crash needs two fields right at once: 30 fuzzed bodies (the default) find it for
    # about a third of the seeds, 200 for nearly all, so that this does not hang on one seed's luck
    with explored("notes_api:create_app()", timeout=5, fuzz_examples=200) as probed:
        yield probed


def exchange(result: ProbeResult, method: str, rule: str, kind: str) -> Exchange:
    return next(
        e for e in result.exchanges if (e.method, e.rule, e.case.kind) == (method, rule, kind)
    )


def test_users_register_and_log_in_through_the_app(result: ProbeResult) -> None:
    assert result.recipe.register == "/register"
    assert result.recipe.login == "/login"
    assert result.recipe.credential == "bearer"
    assert result.facts.users == {"A": 1, "B": 2}
    assert result.facts.user_table == "users"
    assert result.facts.owner_columns == {"notes": "user_id", "users": "id"}


def test_valid_request_reaches_a_seeded_object_owned_by_a(result: ProbeResult) -> None:
    valid = exchange(result, "GET", "/notes/<int:note_id>", "valid")
    assert valid.request.path == "/notes/1"
    assert valid.status == 200
    assert valid.json["id"] == 1


def test_other_user_is_denied_on_a_correct_app(result: ProbeResult) -> None:
    other = exchange(result, "GET", "/notes/<int:note_id>", "other-user")
    assert other.request.identity == "B"
    assert other.status == 404


def test_unknown_id_and_anonymous(result: ProbeResult) -> None:
    assert (
        exchange(result, "GET", "/notes/<int:note_id>", "unknown-id").request.path == "/notes/99999"
    )
    anonymous = exchange(result, "GET", "/notes/<int:note_id>", "anonymous")
    assert anonymous.status == 401
    assert not any(k.lower() == "authorization" for k, _ in anonymous.request.headers)


def test_changes_are_what_one_request_did(result: ProbeResult) -> None:
    created = exchange(result, "POST", "/notes", "valid")
    assert created.status == 201
    (change,) = created.changes
    assert (change.table, change.kind) == ("notes", "insert")
    assert change.after is not None and change.after["user_id"] == 1
    # the database was restored: every valid POST inserts the same next id
    posts = [e for e in result.exchanges if e.rule == "/notes" and e.ok]
    assert {e.changes[0].key for e in posts} == {created.changes[0].key}


def test_view_exception_is_recorded_with_the_user_location(result: ProbeResult) -> None:
    crash = exchange(result, "GET", "/crash", "valid")
    assert crash.status == 500
    assert crash.error is not None
    assert crash.error.type == "ZeroDivisionError"
    assert crash.error.location is not None and crash.error.location.endswith("notes_api.py:92")


def test_sql_is_recorded(result: ProbeResult) -> None:
    note = exchange(result, "GET", "/notes/<int:note_id>", "valid")
    assert any("FROM notes" in statement for statement in note.sql)


def test_a_hanging_view_is_cut_off_and_the_scan_goes_on(result: ProbeResult) -> None:
    slow = exchange(result, "GET", "/slow", "valid")
    assert slow.timed_out and slow.status == 500
    assert slow.seconds < 600  # cut off, not waited out
    assert exchange(result, "GET", "/thread", "valid").status == 200


def test_sys_exit_in_a_view_is_survived(result: ProbeResult) -> None:
    leave = exchange(result, "GET", "/exit", "valid")
    assert leave.status == 500
    assert leave.error is not None and leave.error.type == "SystemExit"


def test_network_attempts_belong_to_their_exchange(result: ProbeResult) -> None:
    hook = exchange(result, "GET", "/webhook", "valid")
    assert hook.status == 502
    assert [a.host for a in hook.network] == ["93.184.216.34"]
    assert exchange(result, "GET", "/crash", "valid").network == ()


def test_a_thread_a_request_starts_is_waited_for_and_its_network_attempt_is_that_requests() -> None:
    # the mail thread connects 0.3 s after its request answered: unwaited, its attempt would land
    # in later requests (another /invite, or the slow /report) as the machine's speed decides
    with explored("mail_thread_app:create_app()", timeout=5) as probed:
        invites = [e for e in probed.exchanges if e.rule == "/invite" and e.method == "POST"]
        others = [e for e in probed.exchanges if e not in invites]
        assert invites and others
        assert [[a.host for a in e.network] for e in invites] == [["smtp.example.com"]] * len(
            invites
        )
        assert [e.network for e in others] == [()] * len(others)


def test_wrong_method_is_sent_once_per_rule(result: ProbeResult) -> None:
    wrong = [e for e in result.exchanges if e.case.kind == "wrong-method" and e.rule == "/notes"]
    assert [(e.method, e.status) for e in wrong] == [("GET", 405)]


def test_nothing_is_written_outside_the_sandbox() -> None:
    assert not (Path(__file__).parent / "apps" / "notes.db").exists()
    assert not (Path(__file__).parent / "apps" / "instance").exists()


def test_fuzzing_finds_a_crash_no_single_variation_shows_and_shrinks_it(
    result: ProbeResult,
) -> None:
    fixed_cases = [e for e in result.exchanges if e.rule == "/ratio" and e.case.kind != "fuzz"]
    assert all(e.status < 500 for e in fixed_cases)
    fuzzed = exchange(result, "POST", "/ratio", "fuzz")
    assert fuzzed.status == 500
    assert fuzzed.error is not None and fuzzed.error.type == "ZeroDivisionError"
    valid = exchange(result, "POST", "/ratio", "valid").request.json
    # shrunk: only the field that matters differs from the valid body, and it is the smallest int
    assert fuzzed.request.json == {**valid, "parts": 0}


def test_an_exception_the_app_logs_and_answers_500_for_is_kept(result: ProbeResult) -> None:
    swallowed = exchange(result, "GET", "/swallowed", "valid")
    assert swallowed.status == 500 and swallowed.json == {"message": "Fatal error"}
    assert swallowed.error is not None and swallowed.error.type == "KeyError"


def test_budget_stops_new_routes_and_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent / "apps")
    with Sandbox() as sandbox:
        app = load_app("notes_api:create_app()", sandbox)
        routes = build_inventory(app)
        result = explore(app, "notes_api", routes, sandbox, budget=0.0, fuzz_examples=0)
    assert result.exchanges == []
    probed = [r for r in routes if r.kind == "view"]
    assert len(result.notes) == len(probed)
    assert result.notes[0].startswith("budget of 0 s spent: ")
