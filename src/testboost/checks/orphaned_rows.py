"""``orphaned-rows``: a delete leaves dependent rows behind, or a failed request leaves a write.

- A request answered 2xx that deleted a row (whatever its method: HTML apps delete with POST)
  while rows of a child table still refer to that row's key through a foreign key. Every exchange
  starts from the same seeded database, so the child rows are the seeded ones
  (``seed_rows`` on the facts, table → primary key → row) plus the rows the request inserted,
  minus those it deleted or re-pointed (ORM cascades and ``ON DELETE CASCADE``/``SET NULL``
  show up as changes and clear the row).
- A request that failed (5xx, raised, timed out) but left rows changed: a partial write.
  Failures caused by the sandbox refusing a connection are left to ``outbound-network``.

Both are high. Without ``seed_rows`` (older explorers) only the partial writes are judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from testboost.checks import Finding, register
from testboost.checks.compare import loosely_equal
from testboost.checks.describe import describe_changes, describe_input
from testboost.checks.outbound_network import blocked_network_fallout
from testboost.explore.exchange import Exchange, ForeignKey, ProbeFacts, RowChange

CHECK = "orphaned-rows"
_SHOWN = 3

Row = Mapping[str, Any]
#: The seeded database as the explorer read it: table → primary key → row.
SeedRows = Mapping[str, Mapping[tuple[Any, ...], Row]]


def seeded_rows(facts: ProbeFacts) -> SeedRows | None:
    """The seeded rows of every table, when the explorer provides them (``facts.seed_rows``)."""
    rows: SeedRows | None = getattr(facts, "seed_rows", None)
    return rows


@register(CHECK)
def orphaned_rows(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Deletes that leave children pointing at nothing, and failed requests that still wrote."""
    seed = seeded_rows(facts)
    for exchange in exchanges:
        failed = exchange.status >= 500 or exchange.error is not None or exchange.timed_out
        if failed and exchange.changes and not blocked_network_fallout(exchange):
            yield Finding.from_exchange(
                CHECK,
                "high",
                exchange,
                f"answered {exchange.status} {describe_input(exchange)} but "
                f"{describe_changes(exchange.changes)}: a partial write",
                location=exchange.error.location if exchange.error is not None else None,
            )
            continue
        if seed is None or not exchange.ok:
            continue
        orphans = list(_orphans(exchange.changes, facts.foreign_keys, seed))
        if orphans:
            shown = "; ".join(orphans[:_SHOWN])
            more = f" (and {len(orphans) - _SHOWN} more)" if len(orphans) > _SHOWN else ""
            yield Finding.from_exchange(
                CHECK, "high", exchange, f"answered {exchange.status} but {shown}{more}"
            )


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
    for change in changes:
        if change.kind != "delete" or change.before is None:
            continue
        for fk in foreign_keys:
            if fk.parent_table != change.table or change.before.get(fk.parent_column) is None:
                continue
            parent_value = change.before[fk.parent_column]
            children = _rows_now(fk.table, seed, gone, after)
            left = [row for row in children if loosely_equal(row.get(fk.column), parent_value)]
            if left:
                rows = "row" if len(left) == 1 else "rows"
                yield (
                    f"deleting {change.table} {_key(change.key)} left {len(left)} {fk.table} "
                    f"{rows} whose {fk.column} still points at it"
                )


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


def _key(key: tuple[Any, ...]) -> str:
    return str(key[0]) if len(key) == 1 else str(key)
