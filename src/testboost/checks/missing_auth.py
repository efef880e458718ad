"""``missing-auth``: a request without credentials changes data, or writes where siblings are guarded.

Judged on ``anonymous`` exchanges answered 2xx, in apps that have users or guarded routes, outside
the login flow (login, register, token refresh, password reset are meant to be called without
credentials), and not for a registration (an anonymous request that only inserts into the user
table):

- **critical** when the request changed data and the app shows the data needs credentials: the
  route itself is guarded (the guard fails open), a change updates or deletes a user's row (a row
  of the user table, or of a table with an owner column; view counters and timestamps aside), or
  the request is a write and a sibling write is guarded;
- **high** when a write (POST/PUT/PATCH/DELETE) on a route the inventory marks unguarded succeeds
  while a sibling write demands credentials: another write method of the same rule, or the same
  method on a rule of the same family (``/api/products``, ``/api/products/<id>``,
  ``/api/products/<id>/reviews``). A public GET next to a guarded POST is normal, so reads are
  never flagged on sibling grounds.

A sibling demands credentials when the inventory says so or its own anonymous request was answered
401 or 403.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from testboost.checks import Finding, register
from testboost.checks.describe import describe_changes
from testboost.checks.rules import MUTATING, family, is_auth_flow
from testboost.explore.exchange import Exchange, ProbeFacts, RowChange

CHECK = "missing-auth"
#: Inventory auth kinds that let a request through without credentials.
UNGUARDED = frozenset({"none", "optional"})
_REFUSED = (401, 403)
_BOOKKEEPING_NAME = re.compile(r"(_at|_on|^last_\w+|views?|_count|hits)$", re.IGNORECASE)


@register(CHECK)
def missing_auth(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Anonymous requests that change data or write where sibling writes are guarded."""
    demanding = _demanding(exchanges, facts.guarded)
    if not facts.users and not demanding:
        return
    for exchange in exchanges:
        if exchange.case.kind != "anonymous" or not exchange.ok or is_auth_flow(exchange.rule):
            continue
        if _is_registration(exchange.changes, facts):
            continue
        own_guarded = facts.guarded.get((exchange.method, exchange.rule), "none") not in UNGUARDED
        writes = exchange.method in MUTATING
        sibling = _guarded_sibling(exchange, demanding) if writes else None
        users_rows = [c for c in exchange.changes if _touches_user_data(c, facts)]
        if exchange.changes and (own_guarded or users_rows or sibling):
            yield Finding.from_exchange(
                CHECK,
                "critical",
                exchange,
                f"without credentials {exchange.method} answered {exchange.status} and "
                f"{describe_changes(exchange.changes)}{_because(own_guarded, sibling, users_rows)}",
            )
        elif sibling and not own_guarded:
            yield Finding.from_exchange(
                CHECK,
                "high",
                exchange,
                f"without credentials {exchange.method} answered {exchange.status}, while "
                f"{sibling[0]} {sibling[1]} demands credentials",
            )


def _demanding(
    exchanges: Sequence[Exchange], guarded: Mapping[tuple[str, str], str]
) -> set[tuple[str, str]]:
    """The (method, rule) pairs that demand credentials, by the inventory or by a 401/403."""
    pairs = {pair for pair, kind in guarded.items() if kind not in UNGUARDED}
    pairs.update(
        (e.method, e.rule) for e in exchanges if e.case.kind == "anonymous" and e.status in _REFUSED
    )
    return pairs


def _guarded_sibling(exchange: Exchange, demanding: set[tuple[str, str]]) -> tuple[str, str] | None:
    """A guarded write next to this one: same rule other write method, or same method and family."""
    candidates = sorted(
        (method, rule)
        for method, rule in demanding
        if method in MUTATING
        and (method, rule) != (exchange.method, exchange.rule)
        and (
            rule == exchange.rule
            or (method == exchange.method and family(rule) == family(exchange.rule))
        )
    )
    return candidates[0] if candidates else None


def _is_registration(changes: Sequence[RowChange], facts: ProbeFacts) -> bool:
    return bool(changes) and all(
        c.kind == "insert" and c.table == facts.user_table for c in changes
    )


def _touches_user_data(change: RowChange, facts: ProbeFacts) -> bool:
    """An update or delete of a user's row, other than bookkeeping (a view counter, a timestamp)."""
    if change.kind == "insert" or _bookkeeping(change):
        return False
    return change.table == facts.user_table or change.table in facts.owner_columns


def _bookkeeping(change: RowChange) -> bool:
    if change.kind != "update" or change.before is None:
        return False
    for column, value in change.changed_columns().items():
        before = change.before.get(column)
        counted = isinstance(value, int) and isinstance(before, int) and value - before == 1
        if not counted and not _BOOKKEEPING_NAME.search(column):
            return False
    return True


def _because(
    own_guarded: bool, sibling: tuple[str, str] | None, users_rows: Sequence[RowChange]
) -> str:
    if own_guarded:
        return ", though the route is guarded"
    if sibling is not None:
        return f", while {sibling[0]} {sibling[1]} demands credentials"
    return f" ({users_rows[0].table} rows belong to users)"
