"""Precision: background writes, one finding per cause, the environment taken for the app."""

from __future__ import annotations

from typing import Any

from test_checks import changed, exchange, facts, raised

from testboost.checks import run_checks
from testboost.checks.background import background_writes, without_background
from testboost.checks.environment import (
    deliberate_error_notes,
    environment_notes,
    unavailable_service,
)
from testboost.explore.exchange import Exchange, RaisedError
from testboost.generate.material import sample_of
from testboost.report.model import finding_document

LAST_SEEN_BEFORE = {"id": 1, "username": "a", "last_seen": "2024-01-01 00:00:00"}


def _seen(**kwargs: Any) -> Exchange:
    """An exchange of user A that also bumped A's last_seen, as a before_request does."""
    changes = kwargs.pop("changes", ())
    touch = changed.update("user", 1, LAST_SEEN_BEFORE, last_seen="2024-01-01 00:00:05")
    return exchange(changes=(touch, *changes), **kwargs)


def _site_wide(extra: list[Exchange]) -> list[Exchange]:
    rules = ["/", "/explore", "/user/<username>", "/index", "/notifications"]
    return [_seen(rule=rule, status=200, body="<p>page</p>") for rule in rules] + extra


# -- background writes ----------------------------------------------------------------------------


def test_a_write_every_route_makes_is_background() -> None:
    answers = _site_wide([_seen(kind="wrong-method", rule="/index", method="DELETE", status=405)])
    assert background_writes(answers) == {("user", "update", "last_seen")}
    assert all(not e.changes for e in without_background(answers))


def test_background_is_taken_out_column_by_column() -> None:
    edit = _seen(
        method="POST",
        rule="/edit_profile",
        status=200,
        body="<p>ok</p>",
        changes=(changed.update("user", 1, LAST_SEEN_BEFORE, about_me="hi"),),
    )
    judged = without_background(_site_wide([edit]))
    (kept,) = judged[-1].changes
    assert kept.changed_columns() == {"about_me": "hi"}


def test_partial_writes_and_405s_are_judged_net_of_background() -> None:
    refused = [
        _seen(kind="wrong-method", rule=rule, method="DELETE", status=405, body="<p>405</p>")
        for rule in ("/", "/explore", "/index")
    ]
    real = exchange(
        method="POST",
        rule="/api/orders",
        status=400,
        json_body={"error": "bad"},
        changes=(changed.insert("orders", 9, id=9, user_id=1),),
    )
    findings = run_checks(_site_wide([*refused, real]), facts(), select={"orphaned-rows"})
    assert [(f.method, f.rule) for f in findings] == [("POST", "/api/orders")]


def test_a_view_counter_bumped_by_a_public_page_is_not_an_anonymous_write() -> None:
    views = exchange(
        "anonymous",
        rule="/topic/<int:topic_id>",
        status=200,
        body="<p>topic</p>",
        changes=(changed.update("topic", 1, {"id": 1, "user_id": 1, "views": 3}, views=4),),
    )
    guarded_post = exchange("anonymous", method="POST", rule="/topic/<int:topic_id>", status=401)
    assert run_checks([views, guarded_post], facts(owner_columns={"topic": "user_id"})) == []


def test_a_write_only_one_route_makes_stays_the_routes() -> None:
    answers = [exchange(rule=f"/r{n}", json_body=[]) for n in range(6)] + [
        exchange(
            "anonymous",
            method="DELETE",
            rule="/api/items/<int:item_id>",
            changes=(changed.delete("items", 1, id=1, user_id=1),),
        )
    ]
    assert background_writes(answers) == frozenset()
    assert without_background(answers) == answers


# -- one finding per cause ------------------------------------------------------------------------


def test_one_exception_on_every_method_of_a_rule_is_one_finding() -> None:
    error = raised(
        "ValueError", "could not convert string to float: 'abc'", location="app/core.py:9"
    )
    answers = [
        exchange(
            "wrong-type",
            method=method,
            rule="/delay/<delay>",
            status=500,
            error=error,
            field="delay",
            location="path",
            value="abc",
        )
        for method in ("GET", "POST", "PUT", "DELETE")
    ]
    (finding,) = run_checks(answers, facts(), select={"server-error"})
    assert (finding.method, finding.count) == ("DELETE", 4)
    assert [p.method for p in finding.routes] == ["DELETE", "GET", "POST", "PUT"]
    document = finding_document(finding)
    assert [r["method"] for r in document["routes"]] == ["DELETE", "GET", "POST", "PUT"]
    assert all("curl" in r["reproducer"] for r in document["routes"])


def test_an_exception_raised_in_a_library_is_folded_by_the_line_that_raised_it() -> None:
    def crash(rule: str) -> Exchange:
        error = raised("AttributeError", "'NoneType' object has no attribute 'func'", location=None)
        error = RaisedError(
            error.type,
            error.message,
            None,
            'Traceback:\n  File "/venv/site-packages/fab/views.py", line 321, in action\n',
            error.module,
        )
        return exchange(rule=rule, status=500, error=error)

    findings = run_checks([crash("/a/action/<name>"), crash("/b/action/<name>")], facts())
    assert len(findings) == 1 and len(findings[0].routes) == 2


def test_different_exceptions_stay_apart_and_a_single_place_has_one_route() -> None:
    one = exchange(rule="/a", status=500, error=raised("KeyError", "'x'", location="app/a.py:1"))
    two = exchange(rule="/b", status=500, error=raised("KeyError", "'x'", location="app/b.py:1"))
    findings = run_checks([one, two], facts(), select={"server-error"})
    assert len(findings) == 2
    assert [len(finding_document(f)["routes"]) for f in findings] == [1, 1]


def test_a_request_without_body_is_not_called_valid() -> None:
    crash = exchange(rule="/feed", status=500, error=raised("KeyError", "'x'"))
    (finding,) = run_checks([crash], facts(), select={"server-error"})
    assert finding.message == "KeyError: 'x' for GET /feed with no body and no query"


# -- the environment ------------------------------------------------------------------------------


def _redis_down(rule: str) -> Exchange:
    return exchange(
        rule=rule,
        status=500,
        error=raised(
            "ConnectionError",
            "Error 111 connecting to localhost:6379. Connection refused.",
            module="redis.exceptions",
        ),
    )


def test_an_unavailable_redis_is_a_note_not_a_finding() -> None:
    answers = [_redis_down("/feed"), _redis_down("/stats")]
    assert run_checks(answers, facts()) == []
    (note,) = environment_notes(answers)
    assert note.startswith("the app needs Redis at localhost:6379")
    assert "2 method-route pairs" in note and "GET /feed" in note


def test_smtp_refused_is_the_environment_and_a_key_error_is_not() -> None:
    mail = exchange(
        method="POST",
        rule="/register",
        status=500,
        error=RaisedError(
            "ConnectionRefusedError",
            "[Errno 111] Connection refused",
            "app/email.py:10",
            'File "/usr/lib/python3.10/smtplib.py", line 310, in _get_socket\n',
            "builtins",
        ),
    )
    assert str(unavailable_service(mail)) == "an SMTP server"
    assert unavailable_service(exchange(status=500, error=raised("KeyError", "'x'"))) is None


def test_not_implemented_on_purpose_is_not_a_crash() -> None:
    answers = [
        exchange(rule="/mock", status=501, json_body={"error": "not implemented"}),
        exchange(rule="/todo", status=500, error=raised("NotImplementedError", "")),
        exchange(
            rule="/act", status=500, error=raised("Exception", "action has not been implemented")
        ),
    ]
    assert run_checks(answers, facts(), select={"server-error"}) == []


def _abort_500(*, deliberate: bool) -> Exchange:
    error = RaisedError(
        "InternalServerError",
        "500 Internal Server Error",
        "app/views.py:30",
        "Traceback ...",
        "werkzeug.exceptions",
        deliberate=deliberate,
    )
    return exchange(rule="/shutdown", status=500, body="<h1>500</h1>", error=error)


def test_a_bare_abort_500_is_a_note_and_not_a_crash() -> None:
    answered = _abort_500(deliberate=True)
    assert run_checks([answered], facts(), select={"server-error"}) == []
    assert deliberate_error_notes([answered]) == [
        "GET /shutdown answered 500 on purpose (abort(500) at app/views.py:30), not reported as "
        "a crash: check that the condition it tests holds where the app runs"
    ]
    # nor does the generated suite pin it as a crash to fix
    assert sample_of(answered, {}).defects == ()


def test_a_500_the_app_did_not_choose_stays_a_crash() -> None:
    crashed = _abort_500(deliberate=False)
    (finding,) = run_checks([crashed], facts(), select={"server-error"})
    assert finding.severity == "high" and finding.location == "app/views.py:30"
    assert deliberate_error_notes([crashed]) == []
    assert sample_of(crashed, {}).defects == ("server-error",)


# -- object-level auth with evidence --------------------------------------------------------------

ORDER = "/api/orders/<int:order_id>"
GUARDED = {("GET", ORDER): "jwt", ("GET", "/api/orders"): "jwt"}


def _b_reads_order_5() -> Exchange:
    return exchange(
        "other-user",
        rule=ORDER,
        field="order_id",
        location="path",
        path="/api/orders/5",
        table="orders",
        json_body={"id": 5, "user_id": 1, "title": "A's order", "total": 3},
    )


def test_b_reading_a_s_object_is_reported_with_the_evidence() -> None:
    anonymous = exchange("anonymous", rule=ORDER, status=401, json_body={"msg": "no"})
    own_list = exchange(rule="/api/orders", json_body=[{"id": 5, "user_id": 1, "total": 3}])
    (finding,) = run_checks([_b_reads_order_5(), anonymous, own_list], facts(guarded=GUARDED))
    assert finding.message == (
        "user B got user A's object (id = 5, user_id = 1) with 200; without credentials it "
        "answers 401, and no list, search or public answer shows it to B"
    )


def test_an_object_the_app_lists_for_everyone_is_not_broken_object_auth() -> None:
    everyones = exchange(
        rule="/api/orders",
        json_body={"items": [{"id": 5, "user_id": 1}, {"id": 6, "user_id": 2}]},
    )
    assert run_checks([_b_reads_order_5(), everyones], facts(guarded=GUARDED)) == []


def test_an_object_shown_on_a_public_page_is_not_broken_object_auth() -> None:
    public = exchange(
        "anonymous",
        rule="/api/feed",
        json_body={"posts": [{"id": 5, "title": "A's order", "total": 3}]},
    )
    assert run_checks([_b_reads_order_5(), public], facts(guarded=GUARDED)) == []


def test_a_crash_after_the_routes_whole_write_is_not_a_partial_write() -> None:
    error = raised("AttributeError", "'NoneType' object has no attribute 'replace'")
    touch = changed.update("user", 1, {"id": 1, "email": "a@x"}, email="b@x")

    def put(kind: str) -> Exchange:
        return exchange(
            kind,
            method="PUT",
            rule="/api/users/<int:id>",
            status=500,
            error=error,
            changes=(touch,),
            field="email",
            value="tb'\"quote",
        )

    # the quoted email crashed the way the valid request does: only the valid one is judged, and
    # the write the crash left is said in the crash's own finding, not as a partial write
    (finding,) = run_checks(
        [put("valid"), put("quote")], facts(), select={"orphaned-rows", "server-error"}
    )
    assert finding.check == "server-error"
    assert finding.message == (
        "AttributeError: 'NoneType' object has no attribute 'replace' for PUT /api/users/1 "
        "with no body and no query, and updated 1 row of user"
    )
