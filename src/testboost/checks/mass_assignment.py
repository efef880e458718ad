"""``mass-assignment``: the client sets a column it must not (is_admin, role, id, owner, hash).

Judged from the stored rows of ``protected-field`` exchanges answered 2xx: an inserted or updated
row's column named like the extra field now holds the value sent (compared loosely: ``true`` is
``1``, ``"99999"`` is ``99999``). A value an insert would have had anyway — the column's default,
seen in the valid request's row — is not counted. Privilege and password columns are critical,
the others (ids, owners, timestamps) high.

Requests made as the administrator are not judged: testboost acts as the admin only on routes no
lesser identity reaches, and there choosing a user's ``verified`` flag or a notification's
``user_id`` is what the route is for, not a privilege gained.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from testboost.checks import Finding, register
from testboost.checks.compare import loosely_equal, names_match, normalise_name
from testboost.checks.describe import show
from testboost.explore.exchange import ADMIN, Exchange, ProbeFacts

CHECK = "mass-assignment"
_PRIVILEGES = {
    normalise_name(name)
    for name in (
        "is_admin",
        "admin",
        "role",
        "roles",
        "is_staff",
        "is_superuser",
        "superuser",
        "permissions",
    )
}


def severity_for(column: str) -> str:
    """``critical`` for privilege and password columns, ``high`` for the rest."""
    name = normalise_name(column)
    return "critical" if name in _PRIVILEGES or "password" in name else "high"


@register(CHECK)
def mass_assignment(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Protected fields sent by the client that end up stored."""
    valid_inserts = _valid_inserts(exchanges)
    for exchange in exchanges:
        case = exchange.case
        if case.kind != "protected-field" or not exchange.ok or not case.field:
            continue
        if exchange.request.identity == ADMIN:
            continue
        defaults = valid_inserts.get((exchange.method, exchange.rule), {})
        for change in exchange.changes:
            if change.kind not in ("insert", "update"):
                continue
            hit = _stored_column(change.changed_columns(), case.field, case.value)
            if hit is None:
                continue
            column, value = hit
            if change.kind == "insert" and any(
                column in row and loosely_equal(row[column], case.value)
                for row in defaults.get(change.table, [])
            ):
                continue
            yield Finding.from_exchange(
                CHECK,
                severity_for(column),
                exchange,
                f"the client set {change.table}.{column} = {show(value)} by sending "
                f"{case.field!r}: {show(case.value)} (answered {exchange.status})",
            )
            break


def _stored_column(columns: Mapping[str, Any], field: str, sent: Any) -> tuple[str, Any] | None:
    for column, value in columns.items():
        if names_match(column, field) and loosely_equal(value, sent):
            return column, value
    return None


def _valid_inserts(
    exchanges: Sequence[Exchange],
) -> dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]]:
    inserts: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = {}
    for exchange in exchanges:
        if exchange.case.kind != "valid" or not exchange.ok:
            continue
        tables = inserts.setdefault((exchange.method, exchange.rule), {})
        for change in exchange.changes:
            if change.kind == "insert" and change.after is not None:
                tables.setdefault(change.table, []).append(change.after)
    return inserts
