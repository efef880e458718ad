"""``sql-injection``: quote characters in input reach SQL unescaped.

Two signs, from ``quote`` cases only: the database fails with a syntax-level error on the quoted
value (a driver error such as ``OperationalError: unrecognized token``), or a read answers with
more rows for the quoted tautology (``tb' OR '1'='1``) than for a harmless string sent to the same
input. The second needs a control exchange: a ``quote-control`` case, or a ``quote`` case whose
value has no quote in it, on the same (method, rule, input).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from testboost.checks import Finding, register
from testboost.checks.describe import error_text, input_name, show
from testboost.explore.exchange import Exchange, ProbeFacts

CHECK = "sql-injection"
_SQL_MESSAGE = re.compile(
    r"syntax error|unrecognized token|unterminated|unclosed quotation|near \"|incomplete input"
    r"|quoted string not properly terminated|no such column|you have an error in your sql",
    re.IGNORECASE,
)
# Driver errors that a quote cannot cause by breaking the statement's syntax.
_NOT_SYNTAX = {"IntegrityError", "DataError"}
_CONTROL_KIND = "quote-control"
_LIST_KEYS = ("items", "results", "data", "rows", "records", "objects")


def injection_errors(exchanges: Sequence[Exchange]) -> Iterator[Exchange]:
    """The ``quote`` exchanges whose quoted value broke the database statement.

    ``server-error`` leaves these to this check, which says what they are.
    """
    broken_anyway = {
        (e.method, e.rule) for e in exchanges if e.case.kind == "valid" and _database_failed(e)
    }
    for exchange in exchanges:
        if (
            exchange.case.kind == "quote"
            and (exchange.method, exchange.rule) not in broken_anyway
            and _database_failed(exchange)
        ):
            yield exchange


def _database_failed(exchange: Exchange) -> bool:
    if exchange.status < 500 and exchange.error is None:
        return False
    error = exchange.error
    if error is None:
        return bool(_SQL_MESSAGE.search(exchange.body))
    if error.is_database_error and error.type not in _NOT_SYNTAX:
        return True
    return bool(_SQL_MESSAGE.search(error.message))


@register(CHECK)
def sql_injection(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Quoted input that breaks a SQL statement or widens a query's result."""
    for exchange in injection_errors(exchanges):
        error = exchange.error
        cause = error_text(error) if error is not None else f"{exchange.status} with a SQL error"
        yield Finding.from_exchange(
            CHECK,
            "critical",
            exchange,
            f"SQL quotes in {input_name(exchange.case, exchange.request)} ({show(exchange.case.value)}) break the "
            f"query: {cause}",
            location=error.location if error is not None else None,
        )
    yield from _widened_results(exchanges)


def _widened_results(exchanges: Sequence[Exchange]) -> Iterator[Finding]:
    controls: dict[tuple[str, str, str | None, str | None], int] = {}
    for exchange in exchanges:
        if _is_control(exchange) and exchange.ok:
            count = row_count(exchange.json) if exchange.is_json else None
            if count is not None:
                key = (exchange.method, exchange.rule, exchange.case.field, exchange.case.location)
                controls.setdefault(key, count)
    for exchange in exchanges:
        if exchange.case.kind != "quote" or _is_control(exchange) or not exchange.ok:
            continue
        if exchange.changes or not exchange.is_json:
            continue
        key = (exchange.method, exchange.rule, exchange.case.field, exchange.case.location)
        harmless = controls.get(key)
        quoted = row_count(exchange.json)
        if harmless is None or quoted is None or quoted <= harmless:
            continue
        yield Finding.from_exchange(
            CHECK,
            "critical",
            exchange,
            f"{input_name(exchange.case, exchange.request)} = {show(exchange.case.value)} returned {quoted} rows "
            f"where a harmless string returned {harmless}: the quotes change the query",
        )


def _is_control(exchange: Exchange) -> bool:
    case = exchange.case
    if case.kind == _CONTROL_KIND:
        return True
    return case.kind == "quote" and isinstance(case.value, str) and "'" not in case.value


def row_count(body: Any) -> int | None:
    """How many rows a JSON answer lists: a list's length, or that of a paginated list inside."""
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        for key in _LIST_KEYS:
            if isinstance(body.get(key), list):
                return len(body[key])
        lists = [v for v in body.values() if isinstance(v, list)]
        if len(lists) == 1:
            return len(lists[0])
    return None
