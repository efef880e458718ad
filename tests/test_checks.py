"""The check registry and folding: one finding per (check, method, rule), smallest request kept.

Also home of the small factory the check tests build exchanges with (``test_checks_*.py``).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from testboost.checks import (
    CHECKS,
    SEVERITIES,
    Finding,
    fold,
    load_checks,
    register,
    run_checks,
    severity_rank,
)
from testboost.checks.compare import loosely_equal, stored_as_sent
from testboost.errors import UsageError
from testboost.explore.exchange import (
    Case,
    Exchange,
    ForeignKey,
    ProbeFacts,
    ProbeRequest,
    RaisedError,
    RowChange,
)
from testboost.sandbox import NetworkAttempt

# -- factory ------------------------------------------------------------------------------------

_UNSET: Any = object()
_ID_VALUES = {"unknown-id": 99999}


def exchange(
    kind: str = "valid",
    *,
    method: str = "GET",
    rule: str = "/api/items/<int:item_id>",
    path: str | None = None,
    status: int = 200,
    json_body: Any = _UNSET,
    body: str | None = None,
    content_type: str | None = None,
    field: str | None = None,
    location: str = "json",
    value: Any = None,
    error: RaisedError | None = None,
    changes: Sequence[RowChange] = (),
    network: Sequence[NetworkAttempt] = (),
    headers: Sequence[tuple[str, str]] = (),
    identity: str | None = _UNSET,
    request_json: Any = None,
    query: Sequence[tuple[str, str]] = (),
    timed_out: bool = False,
    seconds: float = 0.01,
    table: str | None = None,
) -> Exchange:
    """An exchange as the explorer records it; ``json_body`` makes a JSON answer, ``body`` text."""
    if path is None:
        number = _ID_VALUES.get(kind, 1)
        path = re.sub(r"<[^>]+>", str(number), rule)
    if identity is _UNSET:
        identity = {"anonymous": None, "other-user": "B"}.get(kind, "A")
    if json_body is not _UNSET:
        text, is_json, ctype = json.dumps(json_body), True, content_type or "application/json"
    else:
        text, is_json, ctype = body or "", False, content_type or "text/html; charset=utf-8"
    return Exchange(
        rule=rule,
        endpoint="api." + rule.strip("/").replace("/", "_"),
        method=method,
        case=Case(kind, kind, field, location if field else None, value, table),
        request=ProbeRequest(
            method,
            path,
            query=tuple(query),
            headers=(("Authorization", f"Bearer {identity}"),) if identity else (),
            json=request_json,
            has_json=request_json is not None,
            identity=identity,
        ),
        status=status,
        content_type=ctype,
        headers=tuple(headers),
        body=text,
        json=json_body if is_json else None,
        error=error,
        changes=tuple(changes),
        network=tuple(network),
        seconds=seconds,
        timed_out=timed_out,
        is_json=is_json,
    )


def raised(
    type_: str,
    message: str,
    *,
    module: str = "builtins",
    location: str | None = "app/views.py:12",
) -> RaisedError:
    """An exception a view raised."""
    return RaisedError(type_, message, location, f"Traceback ...\n{type_}: {message}", module)


class changed:
    """Row changes: ``changed.insert("orders", 2, id=2, user_id=1)``."""

    @staticmethod
    def insert(table: str, key: Any, **row: Any) -> RowChange:
        return RowChange(table, "insert", (key,), None, row)

    @staticmethod
    def update(table: str, key: Any, before: Mapping[str, Any], **after: Any) -> RowChange:
        return RowChange(table, "update", (key,), dict(before), {**before, **after})

    @staticmethod
    def delete(table: str, key: Any, **row: Any) -> RowChange:
        return RowChange(table, "delete", (key,), row, None)


def facts(
    *,
    users: Mapping[str, Any] | None = None,
    guarded: Mapping[tuple[str, str], str] | None = None,
    owner_columns: Mapping[str, str] | None = None,
    secrets: Sequence[str] = (),
    secret_columns: Mapping[str, tuple[str, ...]] | None = None,
    foreign_keys: Sequence[ForeignKey] = (),
    seed_rows: Mapping[str, Mapping[tuple[Any, ...], Mapping[str, Any]]] | None = None,
) -> ProbeFacts:
    """What the explorer learned: users A=1 and B=2 in ``users``; orders owned by ``user_id``."""
    common: dict[str, Any] = {
        "app": "tests",
        "users": {"A": 1, "B": 2} if users is None else users,
        "user_table": "users",
        "owner_columns": {"orders": "user_id", "users": "id"}
        if owner_columns is None
        else owner_columns,
        "foreign_keys": tuple(foreign_keys),
        "secrets": tuple(secrets),
        "secret_columns": secret_columns or {},
        "guarded": guarded or {},
    }
    return ProbeFacts(**common, seed_rows=seed_rows or {})


# -- registry and folding -----------------------------------------------------------------------

DESIGN_IDS = {
    "server-error",
    "missing-404",
    "validation-gap",
    "mass-assignment",
    "missing-auth",
    "broken-object-auth",
    "non-json-error",
    "sql-injection",
    "open-redirect",
    "outbound-network",
    "data-leak",
    "orphaned-rows",
}


def _finding(
    *,
    check: str = "server-error",
    severity: str = "high",
    method: str = "GET",
    rule: str = "/a",
    path: str = "/a",
    message: str = "boom",
) -> Finding:
    return Finding(
        check=check,
        severity=severity,
        method=method,
        rule=rule,
        endpoint="e",
        status=500,
        message=message,
        location=None,
        request=ProbeRequest(method, path),
    )


@pytest.mark.parametrize(
    ("stored", "sent", "loose", "as_sent"),
    [
        (1, True, True, True),
        (0, True, False, False),
        ("99999", 99999, True, True),
        (12, "12", True, False),
        ("abc", "abc", True, True),
        ("2000-01-01 00:00:00.000000", "2000-01-01T00:00:00", True, False),
        ('{"x": 1}', {"x": 1}, True, True),
        (None, None, True, True),
        ("", None, False, False),
    ],
)
def test_stored_values_compare_loosely_and_strictly(
    stored: Any, sent: Any, loose: bool, as_sent: bool
) -> None:
    assert loosely_equal(stored, sent) is loose
    assert stored_as_sent(stored, sent) is as_sent


def test_every_check_of_the_design_is_registered() -> None:
    assert set(load_checks()) >= DESIGN_IDS


def test_severities_are_ordered_most_severe_first() -> None:
    assert SEVERITIES[0] == "critical"
    assert sorted(["info", "high", "critical", "low"], key=severity_rank) == [
        "critical",
        "high",
        "low",
        "info",
    ]


def test_a_finding_refuses_an_unknown_severity() -> None:
    with pytest.raises(ValueError, match="unknown severity"):
        _finding(severity="severe")


def test_register_refuses_a_second_check_under_the_same_id() -> None:
    load_checks()

    def impostor(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
        yield from ()

    with pytest.raises(ValueError, match="already registered"):
        register("server-error")(impostor)
    assert CHECKS["server-error"] is not impostor


def test_run_checks_refuses_an_unknown_check_id_with_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Unknown check id 'sql-injektion'"):
        run_checks([], facts(), select={"sql-injektion"})
    with pytest.raises(UsageError, match="'nope'"):
        run_checks([], facts(), ignore={"nope"})


def test_run_checks_runs_only_the_selected_checks_minus_the_ignored() -> None:
    crash = exchange("valid", status=500, error=raised("KeyError", "'x'"), body="<h1>500</h1>")
    scan = [crash, exchange("valid", rule="/api/other", json_body=[])]
    everything = {f.check for f in run_checks(scan, facts())}
    assert everything == {"server-error", "non-json-error"}
    selected = run_checks(scan, facts(), select={"server-error", "data-leak"})
    assert [f.check for f in selected] == ["server-error"]
    assert [f.check for f in run_checks(scan, facts(), ignore={"non-json-error"})] == [
        "server-error"
    ]
    assert run_checks(scan, facts(), select={"missing-404"}) == []


def test_fold_keeps_the_smallest_request_and_counts_every_repeat() -> None:
    long = _finding(path="/a?" + "x" * 50, message="long")
    short = _finding(path="/a", message="short")
    other_rule = _finding(rule="/b", path="/b")
    folded = fold([long, short, long, other_rule])
    assert [(f.rule, f.count) for f in folded] == [("/a", 3), ("/b", 1)]
    assert folded[0].message == "short"
    assert folded[0].request.path == "/a"


def test_fold_prefers_the_most_severe_finding_of_a_group() -> None:
    trace = _finding(check="data-leak", severity="high", path="/a")
    leak = _finding(check="data-leak", severity="critical", path="/a?page=2")
    (folded,) = fold([trace, leak])
    assert folded.severity == "critical"
    assert folded.count == 2


def test_fold_breaks_ties_between_same_size_requests_the_same_way_every_time() -> None:
    first = _finding(path="/a/1", message="one")
    second = _finding(path="/a/2", message="two")
    assert fold([first, second]) == fold([second, first])
    assert fold([first, second])[0].request.path == "/a/1"


def test_fold_sorts_by_severity_then_rule_then_method_then_check() -> None:
    findings = [
        _finding(check="missing-404", severity="medium", rule="/a"),
        _finding(check="server-error", severity="high", rule="/b", method="POST"),
        _finding(check="server-error", severity="high", rule="/b", method="GET"),
        _finding(check="data-leak", severity="high", rule="/b", method="GET"),
        _finding(check="mass-assignment", severity="critical", rule="/z"),
    ]
    order = [(f.severity, f.rule, f.method, f.check) for f in fold(findings)]
    assert order == [
        ("critical", "/z", "GET", "mass-assignment"),
        ("high", "/b", "GET", "data-leak"),
        ("high", "/b", "GET", "server-error"),
        ("high", "/b", "POST", "server-error"),
        ("medium", "/a", "GET", "missing-404"),
    ]


def _scan() -> list[Exchange]:
    rule = "/api/orders/<int:order_id>"
    return [
        exchange("valid", rule=rule, json_body={"id": 1, "user_id": 1}),
        exchange("unknown-id", rule=rule, field="order_id", json_body=None),
        exchange(
            "unknown-id",
            rule=rule,
            method="DELETE",
            field="order_id",
            status=500,
            error=raised("AttributeError", "'NoneType' object has no attribute 'delete'"),
            body="<h1>Internal Server Error</h1>",
        ),
        exchange("valid", rule=rule, method="DELETE", json_body={"ok": True}),
        exchange(
            "wrong-method", rule=rule, method="PATCH", status=405, body="<p>Method Not Allowed</p>"
        ),
        exchange(
            "missing-field",
            rule="/api/orders",
            method="POST",
            field="total",
            status=500,
            error=raised("KeyError", "'total'"),
            json_body={"error": "internal"},
        ),
        exchange(
            "missing-field",
            rule="/api/orders",
            method="POST",
            field="note",
            status=500,
            error=raised("KeyError", "'note'"),
            json_body={"error": "internal"},
            request_json={"total": 1, "a_much_longer_field_name": "padding padding padding"},
        ),
        exchange(
            "valid",
            rule="/api/orders",
            method="POST",
            status=201,
            json_body={"id": 2},
            changes=(changed.insert("orders", 2, id=2, user_id=1, total=1),),
        ),
    ]


def test_run_checks_is_deterministic_whatever_the_order_of_the_exchanges() -> None:
    exchanges = _scan()
    expected = run_checks(exchanges, facts())
    for seed in range(5):
        shuffled = exchanges[:]
        random.Random(seed).shuffle(shuffled)
        assert run_checks(shuffled, facts()) == expected


def test_run_checks_folds_a_scan_into_one_finding_per_check_method_and_rule() -> None:
    findings = run_checks(_scan(), facts())
    summary = [(f.severity, f.check, f.method, f.rule, f.count) for f in findings]
    assert summary == [
        ("high", "server-error", "POST", "/api/orders", 2),
        ("high", "server-error", "DELETE", "/api/orders/<int:order_id>", 1),
        ("medium", "non-json-error", "DELETE", "/api/orders/<int:order_id>", 1),
        ("medium", "missing-404", "GET", "/api/orders/<int:order_id>", 1),
        ("medium", "non-json-error", "PATCH", "/api/orders/<int:order_id>", 1),
    ]
    post_crash = findings[0]
    assert post_crash.message == "KeyError: 'total' when the JSON field 'total' is missing"
    assert post_crash.location == "app/views.py:12"
