"""Writes the app makes on every request of a user, whatever the route: not the route's writes.

Apps write on the side of ordinary requests: ``current_user.last_seen = now`` in a
``before_request``, a session or audit-log row per request, ``topic.views += 1`` on a page. Such a
write is not the route's doing, so the write-based checks (``orphaned-rows``, ``missing-auth``,
``validation-gap``, ``mass-assignment``, ``broken-object-auth``) judge every exchange net of it.

What counts as background, per identity (user A, B, the administrator, or anonymous):

- an update of the same table and column, or an insert into the same table, seen on at least
  :data:`MIN_RULES` rules and on at least a quarter of the (method, rule) pairs that identity
  sent, at least once on a request that cannot be the route's own write (a GET, HEAD or
  OPTIONS, or a request answered 4xx: a 401, a 404, a 405 raised before any view ran);
- on a GET, HEAD or OPTIONS, an update that only increments integers by one or sets
  bookkeeping columns (``last_seen``, ``*_at``, ``views``, ``*_count``): a counter a read bumps.

>>> judged = without_background(exchanges)  # doctest: +SKIP
>>> [c.table for c in judged[0].changes]  # the user.last_seen update is gone
[]
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from testboost.explore.exchange import Exchange, RowChange

#: A background write shows on at least this many rules of one identity.
MIN_RULES = 3
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_BOOKKEEPING_NAME = re.compile(
    r"(_at|_on|^last_\w+|_seen|views?|_count|hits|visits?|counter)$", re.IGNORECASE
)

#: (table, kind, column): kind "update" with the column set, or "insert" with column None.
Signature = tuple[str, str, str | None]


def without_background(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """The exchanges with every background write taken out of their changes."""
    background = background_writes(exchanges)
    judged = []
    for exchange in exchanges:
        if not exchange.changes:
            judged.append(exchange)
            continue
        net = tuple(net_changes(exchange, background))
        judged.append(
            exchange if net == exchange.changes else dataclasses.replace(exchange, changes=net)
        )
    return judged


def background_writes(exchanges: Sequence[Exchange]) -> frozenset[Signature]:
    """The writes an identity's requests make whatever the route (see the module docstring)."""
    pairs: dict[str | None, set[tuple[str, str]]] = {}
    seen: dict[tuple[str | None, Signature], set[tuple[str, str]]] = {}
    incidental: set[tuple[str | None, Signature]] = set()
    for exchange in exchanges:
        identity = exchange.request.identity
        pair = (exchange.method, exchange.rule)
        pairs.setdefault(identity, set()).add(pair)
        cannot_be_the_route = exchange.method in _SAFE or 400 <= exchange.status < 500
        for signature in _signatures(exchange.changes):
            seen.setdefault((identity, signature), set()).add(pair)
            if cannot_be_the_route:
                incidental.add((identity, signature))
    background: set[Signature] = set()
    for (identity, signature), where in seen.items():
        rules = {rule for _, rule in where}
        enough = len(rules) >= MIN_RULES and len(where) * 4 >= len(pairs[identity])
        if enough and (identity, signature) in incidental:
            background.add(signature)
    return frozenset(background)


def _signatures(changes: Iterable[RowChange]) -> set[Signature]:
    found: set[Signature] = set()
    for change in changes:
        if change.kind == "insert":
            found.add((change.table, "insert", None))
        elif change.kind == "update":
            found.update((change.table, "update", column) for column in change.changed_columns())
    return found


def net_changes(exchange: Exchange, background: frozenset[Signature]) -> Iterable[RowChange]:
    """The exchange's changes minus background inserts, columns and bumped counters."""
    for change in exchange.changes:
        if change.kind == "insert":
            if (change.table, "insert", None) not in background:
                yield change
            continue
        if change.kind != "update" or change.before is None or change.after is None:
            yield change
            continue
        changed = change.changed_columns()
        kept = {
            column
            for column, value in changed.items()
            if (change.table, "update", column) not in background
            and not (exchange.method in _SAFE and _bookkeeping(column, change.before, value))
        }
        if kept == set(changed):
            yield change
        elif kept:
            yield dataclasses.replace(change, after=_restored(change, set(changed) - kept))


def _bookkeeping(column: str, before: Mapping[str, Any], value: Any) -> bool:
    """A counter bumped by one, or a column named for bookkeeping (``last_seen``, ``views``)."""
    old = before.get(column)
    bumped = (
        isinstance(value, int)
        and isinstance(old, int)
        and not isinstance(value, bool)
        and value - old == 1
    )
    return bumped or bool(_BOOKKEEPING_NAME.search(column))


def _restored(change: RowChange, columns: set[str]) -> dict[str, Any]:
    """The row after the change, with the background columns as they were before it."""
    before = change.before or {}
    after = dict(change.after or {})
    for column in columns:
        after[column] = before.get(column)
    return after
