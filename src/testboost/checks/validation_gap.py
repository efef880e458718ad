"""``validation-gap``: invalid input is accepted with 2xx and stored as it came.

Judged from the rows the request wrote, never from the status alone: a search endpoint that
answers 200 to a malformed email and stores nothing is fine. The request shows the gap when

- a required field was left out (``missing-field``) and an inserted or updated row has NULL or an
  empty string in the column named like the field, while the valid request filled it;
- a value of the wrong type or a malformed value (``wrong-type``, ``malformed``) was sent and an
  inserted or updated row holds exactly that value, in the column named like the field or, for
  values too distinctive to be a coincidence, in any column.

High when the stored value is garbage (a value of the wrong type, a malformed or out-of-range
value); medium when it is only missing (NULL or an empty string kept for a required field).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from testboost.checks import Finding, register
from testboost.checks.compare import is_empty, names_match, stored_as_sent
from testboost.checks.describe import describe_input, show
from testboost.explore.exchange import Case, Exchange, ProbeFacts, RowChange

CHECK = "validation-gap"
INVALID_KINDS = ("missing-field", "wrong-type", "malformed")
_DISTINCTIVE_LENGTH = 6


@register(CHECK)
def validation_gap(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Invalid input answered 2xx whose invalid value (or missing value) reached a stored row."""
    valid_writes = _valid_writes(exchanges)
    for exchange in exchanges:
        case = exchange.case
        if case.kind not in INVALID_KINDS or not exchange.ok or not case.field:
            continue
        normal = valid_writes.get((exchange.method, exchange.rule), {})
        stored = _stored_invalid(case, exchange.changes, normal)
        if stored is None:
            continue
        table, column, value = stored
        yield Finding.from_exchange(
            CHECK,
            "medium" if is_empty(value) else "high",
            exchange,
            f"answered {exchange.status} {describe_input(exchange)} and stored "
            f"{table}.{column} = {show(value)}",
        )


def _valid_writes(
    exchanges: Sequence[Exchange],
) -> dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]]:
    """Per (method, rule), the rows its successful valid requests wrote, by table."""
    writes: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = {}
    for exchange in exchanges:
        if exchange.case.kind != "valid" or not exchange.ok:
            continue
        tables = writes.setdefault((exchange.method, exchange.rule), {})
        for change in exchange.changes:
            if change.after is not None:
                tables.setdefault(change.table, []).append(change.after)
    return writes


def _stored_invalid(
    case: Case, changes: Sequence[RowChange], normal: Mapping[str, list[Mapping[str, Any]]]
) -> tuple[str, str, Any] | None:
    """The (table, column, value) that shows the invalid input was stored, if any."""
    field = case.field or ""
    written = [(c.table, c.changed_columns()) for c in changes if c.kind in ("insert", "update")]
    for table, columns in written:
        for column, value in columns.items():
            if not names_match(column, field):
                continue
            if case.kind == "missing-field":
                if is_empty(value) and not _empty_when_valid(normal.get(table, []), column):
                    return table, column, value
            elif stored_as_sent(value, case.value):
                return table, column, value
    if case.kind != "missing-field" and _distinctive(case.value):
        for table, columns in written:
            for column, value in columns.items():
                if stored_as_sent(value, case.value):
                    return table, column, value
    return None


def _empty_when_valid(rows: list[Mapping[str, Any]], column: str) -> bool:
    """Whether a valid request left the column empty too: then the field is not stored there."""
    return any(column in row and is_empty(row[column]) for row in rows)


def _distinctive(value: Any) -> bool:
    if isinstance(value, str):
        return len(value.strip()) >= _DISTINCTIVE_LENGTH
    return isinstance(value, (dict, list)) and bool(value)
