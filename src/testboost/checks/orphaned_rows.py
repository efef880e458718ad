"""``orphaned-rows``: a delete leaves dependent rows behind, or a failed request leaves a write.

- A request answered 2xx that deleted a row (whatever its method: HTML apps delete with POST)
  while rows of a child table still refer to that row's key through a foreign key. Every exchange
  starts from the same seeded database, so the child rows are the seeded ones
  (``facts.seed_rows``, table → primary key → row) plus the rows the request inserted, minus
  those it deleted or re-pointed (ORM cascades and ``ON DELETE CASCADE``/``SET NULL`` show up as
  changes and clear the row). A row whose primary key changed (deleted and inserted again with
  most of its values) is not a delete: ``mass-assignment`` reports a client-set id.
- A request refused (4xx, no exception raised) that left rows changed: a partial write, such as
  an order header committed before its items were refused. The login flow (a failed login may
  count attempts), writes only to log-like tables (``audit_log``, ``login_attempts``...) and
  failures caused by the sandbox refusing a connection (left to ``outbound-network``) are not
  judged. A request that crashed (5xx, raised, timed out) is ``server-error``'s: one cause, one
  finding, whose message names the rows the crash left (:func:`kept_writes`).

Both are high. Without seeded rows only the partial writes are judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from testboost.checks import Finding, register
from testboost.checks.compare import loosely_equal
from testboost.checks.describe import describe_changes, describe_input, join_and
from testboost.checks.outbound_network import blocked_network_fallout
from testboost.checks.rules import is_auth_flow
from testboost.explore.exchange import Exchange, ForeignKey, ProbeFacts, RowChange

CHECK = "orphaned-rows"
_SHOWN = 3
_LOG_TABLE = re.compile(
    r"(^|_)(logs?|audits?|attempts|history|activity|activities)($|_)", re.IGNORECASE
)

Row = Mapping[str, Any]
#: The seeded database as the explorer read it: table → primary key → row.
SeedRows = Mapping[str, Mapping[tuple[Any, ...], Row]]


@register(CHECK)
def orphaned_rows(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Deletes that leave children pointing at nothing, and failed requests that still wrote."""
    seed = facts.seed_rows
    for exchange in exchanges:
        if exchange.status >= 400 and not crashed(exchange) and kept_writes(exchange):
            yield Finding.from_exchange(
                CHECK,
                "high",
                exchange,
                f"answered {exchange.status} {describe_input(exchange)} but "
                f"{describe_changes(exchange.changes)}: a partial write",
                location=exchange.error.location if exchange.error is not None else None,
            )
            continue
        if not seed or not exchange.ok:
            continue
        orphans = list(_orphans(exchange.changes, facts.foreign_keys, seed))
        if orphans:
            shown = "; ".join(orphans[:_SHOWN])
            more = f" (and {len(orphans) - _SHOWN} more)" if len(orphans) > _SHOWN else ""
            yield Finding.from_exchange(
                CHECK, "high", exchange, f"answered {exchange.status} but {shown}{more}"
            )


def crashed(exchange: Exchange) -> bool:
    """The request ended in a crash (5xx, an exception, a time-out): ``server-error`` judges it."""
    return exchange.status >= 500 or exchange.error is not None or exchange.timed_out


def kept_writes(exchange: Exchange) -> bool:
    """A failed request left rows changed that are not a login's or a log's bookkeeping."""
    if is_auth_flow(exchange.rule) or blocked_network_fallout(exchange):
        return False
    return any(not _LOG_TABLE.search(change.table) for change in exchange.changes)


def _orphans(
    changes: Sequence[RowChange],
    foreign_keys: Sequence[ForeignKey],
    seed: SeedRows,
) -> Iterator[str]:
    gone = {(c.table, c.key) for c in changes if c.kind == "delete"}
    after: dict[tuple[str, tuple[Any, ...]], Row] = {}
    for change in changes:
        if change.after is not None:
            after[(change.table, change.key)] = change.after
    inserted = [c.after for c in changes if c.kind == "insert" and c.after is not None]
    for change in changes:
        if change.kind != "delete" or change.before is None:
            continue
        if any(_same_row_rekeyed(change, row) for row in inserted):
            continue
        left = []
        for fk in foreign_keys:
            if fk.parent_table != change.table or change.before.get(fk.parent_column) is None:
                continue
            parent_value = change.before[fk.parent_column]
            children = _rows_now(fk.table, seed, gone, after)
            count = sum(loosely_equal(row.get(fk.column), parent_value) for row in children)
            if count:
                left.append(f"{count} {fk.table} row{'' if count == 1 else 's'} ({fk.column})")
        if left:
            yield f"deleting {change.table} {_key(change.key)} left {join_and(left)} pointing at it"


def _rows_now(
    table: str,
    seed: SeedRows,
    gone: set[tuple[str, tuple[Any, ...]]],
    after: Mapping[tuple[str, tuple[Any, ...]], Row],
) -> list[Row]:
    """The rows of a table after the request: seeded ones as changed, plus inserted ones."""
    rows: dict[tuple[Any, ...], Row] = {}
    for key, row in seed.get(table, {}).items():
        if (table, key) not in gone:
            rows[key] = after.get((table, key), row)
    for (changed_table, key), row in after.items():
        if changed_table == table:
            rows[key] = row
    return list(rows.values())


def _same_row_rekeyed(deleted: RowChange, row: Row) -> bool:
    """Whether an inserted row is the deleted one living on under a new primary key.

    It is when most of the deleted row's other columns (its creation time, its hash...) kept
    their values: a request that changes an id also changes whatever else its body sets.
    """
    before = deleted.before or {}
    others = [c for c, v in before.items() if v not in deleted.key]
    kept = [c for c in others if c in row and row[c] == before[c]]
    return bool(others) and len(kept) * 2 > len(others)


def _key(key: tuple[Any, ...]) -> str:
    return str(key[0]) if len(key) == 1 else str(key)
