"""Each defect found becomes a test of the right behaviour, marked ``xfail(strict=True)``.

The test sends the smallest request that shows the defect and asserts what a correct app does
(no 500, a 404 for a missing object, a 4xx for invalid input, nothing stored from a protected
field, credentials demanded, no redirect off the site...). It fails today; the day the defect is
fixed it passes, strict xfail turns that into a failure, and the mark is removed. A test is only
written when its assertions really fail on the replay today.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from testboost.checks import Finding, request_json
from testboost.explore.exchange import ForeignKey
from testboost.generate.builder import ModuleBuilder
from testboost.generate.material import Sample
from testboost.generate.naming import case_phrase, make_test_name, resource_slug
from testboost.generate.plan import PlannedTest
from testboost.generate.pycode import identifier, literal, string
from testboost.generate.replay import Change, Outcome
from testboost.generate.routes import Context

Pair = tuple[Outcome, Outcome]


@dataclass(frozen=True)
class Check:
    """One assertion line and whether it holds on a replay."""

    line: str
    holds: Callable[[Outcome], bool]


@dataclass(frozen=True)
class Defect:
    """A defect to write a test for: its check id, message, and the request that shows it."""

    check: str
    message: str
    method: str
    rule: str
    sample: Sample
    finding: Finding | None = None
    orphan: tuple[str, str, Any] | None = None

    @property
    def inspect(self) -> tuple[Mapping[str, Any], ...]:
        """Database reads the check needs after the request."""
        if self.orphan is None:
            return ()
        return ({"kind": "rows", "table": self.orphan[0]},)


def _answers_json(context: Context, sample: Sample | None = None) -> list[Check]:
    """For a JSON API, an answer in JSON; for other apps, not today's error page."""
    if context.json_api:
        return [Check("assert response.is_json", lambda o: o.last.is_json)]
    page = sample.exchange.body if sample is not None and sample.exchange is not None else ""
    found = re.search(r"<title>[^<]{1,80}</title>", page)
    lines = [line.strip() for line in page.splitlines() if 3 <= len(line.strip()) <= 80]
    marker = found.group(0) if found else (lines[0] if lines else "")
    if not marker:
        return []
    return [
        Check(
            f"assert {string(marker)} not in response.get_data(as_text=True)",
            _text_lacks(marker),
        )
    ]


def _not_server_error(context: Context, sample: Sample) -> list[Check]:
    if sample.kind == "unknown-id":
        return [
            Check("assert response.status_code == 404", lambda o: o.last.status == 404),
            *_answers_json(context, sample),
        ]
    return [
        Check("assert response.status_code < 500", lambda o: o.last.status < 500),
        *_answers_json(context, sample),
    ]


def _client_error(context: Context) -> list[Check]:
    return [
        Check("assert 400 <= response.status_code < 500", lambda o: 400 <= o.last.status < 500),
        *_answers_json(context),
    ]


def _mass_assignment(sample: Sample) -> list[Check]:
    exchange = sample.exchange
    column = sample.field
    if exchange is None or column is None:
        return []
    for change in exchange.changes:
        after = change.after or {}
        if column not in after or change.kind not in ("insert", "update"):
            continue
        stored = after[column]
        table = change.table
        if change.kind == "insert":
            return [
                Check(
                    f"assert all(row[{string(column)}] != {literal(stored)} "
                    f"for row in database.added({string(table)}))",
                    _none_added_with(table, column, stored),
                )
            ]
        where = _where(change)
        if where is None:
            continue
        arguments = ", ".join(f"{k}={v!r}" for k, v in where.items())
        return [
            Check(
                f"assert database.row({string(table)}, {arguments})[{string(column)}] != {literal(stored)}",
                _stored_differs(table, where, column, stored),
            )
        ]
    return []


def _none_added_with(table: str, column: str, value: Any) -> Callable[[Outcome], bool]:
    return lambda o: all(_row_value(r, column) != value for r in _added(o, table))


def _stored_differs(
    table: str, where: Mapping[str, Any], column: str, value: Any
) -> Callable[[Outcome], bool]:
    return lambda o: _stored(o, table, where, column) != value


def _text_lacks(marker: str) -> Callable[[Outcome], bool]:
    return lambda o: marker not in o.last.text


def _json_lacks(key: str) -> Callable[[Outcome], bool]:
    return lambda o: not isinstance(o.last.json, dict) or key not in o.last.json


def _where(change: Any) -> dict[str, Any] | None:
    row = change.before or change.after or {}
    key = list(change.key)
    if len(key) == 1 and "id" in row and row["id"] == key[0]:
        return {"id": key[0]}
    return None


def _row_value(row: Mapping[str, Any], column: str) -> Any:
    return row.get(column)


def _added(outcome: Outcome, table: str) -> list[Mapping[str, Any]]:
    return [c.after or {} for c in outcome.changes if c.table == table and c.kind == "insert"]


def _stored(outcome: Outcome, table: str, where: Mapping[str, Any], column: str) -> Any:
    for change in outcome.changes:
        if (
            change.table == table
            and change.after
            and all(change.after.get(k) == v for k, v in where.items())
        ):
            return change.after.get(column)
    return None  # unchanged: the column keeps its seeded value, which is not the one sent


def checks_for(defect: Defect, context: Context) -> list[Check]:
    """The assertions that describe the right behaviour for a defect."""
    check = defect.check
    sample = defect.sample
    if check in ("server-error", "crash", "sql-injection"):
        return _not_server_error(context, sample)
    if check == "missing-404":
        return [
            Check("assert response.status_code == 404", lambda o: o.last.status == 404),
            *_answers_json(context),
        ]
    if check == "validation-gap":
        return _client_error(context)
    if check == "mass-assignment":
        return _mass_assignment(sample)
    if check == "missing-auth":
        return [
            Check(
                "assert response.status_code in (401, 403)",
                lambda o: o.last.status in (401, 403),
            ),
            *_answers_json(context),
        ]
    if check == "broken-object-auth":
        return [
            Check(
                "assert response.status_code in (403, 404)",
                lambda o: o.last.status in (403, 404),
            ),
            *_answers_json(context),
        ]
    if check == "non-json-error":
        return [Check("assert response.is_json", lambda o: o.last.is_json)]
    if check == "open-redirect":
        return [
            Check(
                'assert "evil.example.com" not in response.headers.get("Location", "")',
                lambda o: "evil.example.com" not in (o.last.location or ""),
            )
        ]
    if check == "outbound-network":
        return [Check("assert network_attempts == []", lambda o: not o.network)]
    if check == "data-leak":
        return _leak_checks(defect)
    if check == "orphaned-rows":
        return _orphan_checks(defect)
    return []


def _leak_checks(defect: Defect) -> list[Check]:
    exchange = defect.sample.exchange
    body = exchange.body if exchange is not None else ""
    for marker in ("pbkdf2:", "scrypt:", "$2b$", "$argon2", "Traceback (most recent call last)"):
        if marker in body:
            return [
                Check(
                    f"assert {string(marker)} not in response.get_data(as_text=True)",
                    _text_lacks(marker),
                )
            ]
    if exchange is not None and isinstance(exchange.json, dict):
        for key in exchange.json:
            if any(w in key.lower() for w in ("password", "secret", "token", "api_key", "hash")):
                return [
                    Check(
                        f"assert {string(key)} not in response.get_json()",
                        _json_lacks(key),
                    )
                ]
    return []


def _orphan_checks(defect: Defect) -> list[Check]:
    """A delete must take the rows that point at the deleted one with it (or refuse)."""
    if defect.orphan is None:
        return []  # a partial write of a failed request: its crash has a test of its own
    table, column, key = defect.orphan
    return [
        Check(
            f"assert database.rows({string(table)}, {column}={key!r}) == []",
            lambda o: (
                not any(
                    isinstance(row, Mapping) and row.get(column) == key
                    for row in (
                        o.inspect[0] if o.inspect and isinstance(o.inspect[0], list) else []
                    )
                )
            ),
        )
    ]


def _test_name(defect: Defect) -> str:
    sample = defect.sample
    words = {
        "server-error": f"does_not_crash_{_when(sample)}",
        "crash": f"does_not_crash_{_when(sample)}",
        "missing-404": "returns_404_for_an_unknown_id",
        "validation-gap": f"rejects_input_where_{identifier(sample.description)}",
        "mass-assignment": f"ignores_{identifier(sample.field or 'protected field')}_sent_by_the_client",
        "missing-auth": "requires_credentials",
        "broken-object-auth": "keeps_it_from_another_user",
        "non-json-error": f"answers_json_errors_{_when(sample)}",
        "sql-injection": f"handles_quotes_in_{identifier(sample.field or 'input')}",
        "open-redirect": "does_not_redirect_off_site",
        "outbound-network": "makes_no_network_calls",
        "data-leak": "does_not_leak_secrets",
        "orphaned-rows": "leaves_no_orphaned_rows",
    }.get(defect.check, identifier(defect.check))
    return make_test_name(sample.step.method, defect.rule, words)


def _when(sample: Sample) -> str:
    return case_phrase(sample.kind, sample.description, {"valid": "on_a_valid_request"})


def defect_test(
    context: Context, module: ModuleBuilder, defect: Defect, pair: Pair | None
) -> PlannedTest | None:
    """The xfail test of one defect, if its assertions fail on today's replays."""
    if pair is None or not pair[0].ok or not pair[1].ok or not pair[0].steps:
        return None
    checks = checks_for(defect, context)
    if not checks:
        return None
    if all(all(check.holds(outcome) for check in checks) for outcome in pair):
        return None  # the defect does not show in the suite's world
    if any(all(check.holds(outcome) for check in checks) for outcome in pair):
        return None  # it shows only sometimes: a strict xfail would be flaky
    lines = [f"assert {c.line.removeprefix('assert ')}" for c in checks]
    slug = resource_slug(defect.rule)
    call = context.caller.call(
        defect.sample.step, lambda value, hint: module.value(value, f"{slug} {hint}")
    )
    fixtures = list(context.caller.fixtures(defect.sample.step.identity))
    text = "\n".join(lines)
    if "database." in text:
        fixtures.append("database")
    if "network_attempts" in text:
        fixtures.append("network_attempts")
    reason = defect.message
    mark = f"@pytest.mark.xfail(strict=True, reason={string(reason)})"
    name = module.name(_test_name(defect))
    first = f"response = {call}" if "response" in text else call
    return PlannedTest(name, tuple(fixtures), (first, *lines), marks=(mark,))


def defects_of(
    findings: Sequence[Finding],
    samples: Mapping[str, Sample],
    foreign_keys: Sequence[ForeignKey],
) -> list[Defect]:
    """One defect per finding, with the sample of the request it names."""
    found = []
    for finding in findings:
        sample = samples.get(request_json(finding.request))
        if sample is None:
            continue
        found.append(
            Defect(
                finding.check,
                finding.message,
                finding.method,
                finding.rule,
                sample,
                finding,
                orphan=_orphan(finding, sample, foreign_keys),
            )
        )
    return found


def _orphan(
    finding: Finding, sample: Sample, foreign_keys: Sequence[ForeignKey]
) -> tuple[str, str, Any] | None:
    if finding.check != "orphaned-rows" or sample.exchange is None:
        return None
    for change in sample.exchange.changes:
        if change.kind != "delete" or len(change.key) != 1:
            continue
        for fk in foreign_keys:
            if fk.parent_table == change.table and fk.table != change.table:
                return fk.table, fk.column, change.key[0]
    return None


def changed_tables(changes: Sequence[Change]) -> list[str]:
    """Tables a job changed, in order."""
    return list(dict.fromkeys(c.table for c in changes))
