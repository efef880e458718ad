"""Create the app's schema in the sandbox and seed rows so that routes with ids hit real objects.

Rows are written at the SQLite level in foreign-key order: two rows per table, the first owned by
user A and the second by user B wherever a table points at the user table, unique columns unique,
required columns filled. Enum values come from the app's SQLAlchemy metadata when it has one.
For the N+1 probe, :func:`grow_rows` adds rows under one parent (1, 5 and 20 per parent).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from testboost.analysis.models import find_models
from testboost.explore.database import ColumnInfo, SandboxDatabase, TableInfo
from testboost.explore.polymorphic import discriminators
from testboost.explore.values import valid_value


@dataclass
class Seed:
    """The rows seeded per table (primary keys, in order) and the counter for unique values.

    ``json_text`` maps a column name the app stores JSON text in (see
    :mod:`testboost.analysis.json_columns`) to the empty JSON value it is seeded with.
    """

    keys: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    counter: int = 100
    json_text: Mapping[str, str] = field(default_factory=dict)
    # per table, the columns only a single-table subclass maps: a row seeded as the base class
    # leaves them NULL, as the app does (a ``files`` row of type "standard" has no ``page_id``)
    subclass_only: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def next(self) -> int:
        """A fresh number for unique values."""
        self.counter += 1
        return self.counter


def enum_values(app: Flask) -> dict[tuple[str, str], tuple[str, ...]]:
    """``(table, column) -> allowed values`` for SQLAlchemy ``Enum`` columns of every model base.

    Apps may keep models outside Flask-SQLAlchemy's metadata (Flask-AppBuilder has its own base),
    so the models are found the way the analysis finds them.
    """
    values: dict[tuple[str, str], tuple[str, ...]] = {}
    for model in find_models(app):
        for column in model.columns:
            if column.enum_values:
                values.setdefault((model.table, column.name), column.enum_values)
    # a polymorphic discriminator takes the identities of the mapped classes, the base first: a
    # row of no class cannot be loaded (CTFd's users, challenges, awards)
    for table, kind in discriminators(app).items():
        rest = tuple(v for v in kind.values if v != kind.base)
        values.setdefault((table, kind.column), (kind.base, *rest))
    return values


def column_value(
    column: ColumnInfo,
    n: int,
    enums: Mapping[tuple[str, str], tuple[str, ...]],
    table: str,
    json_text: Mapping[str, str] | None = None,
) -> Any:
    """A storable valid value for a column: one of its enum's values, JSON where the app keeps JSON."""
    allowed = enums.get((table, column.name))
    if allowed:
        return allowed[0]
    if column.affinity in ("str", "json") and column.name in (json_text or {}):
        return (json_text or {})[column.name]
    value = valid_value(column.name, column.affinity, n, length=column.length)
    if column.affinity == "bool" or isinstance(value, bool):
        return int(bool(value))
    if column.affinity == "datetime":
        return "2024-01-02 03:04:05.000000"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def seed_rows(
    database: SandboxDatabase,
    seed: Seed,
    enums: Mapping[tuple[str, str], tuple[str, ...]],
    *,
    user_table: str | None,
    users: tuple[Any, ...],
    per_table: int = 2,
) -> None:
    """Insert ``per_table`` rows into every table but the user table, parents first."""
    for table in database.tables:
        if table.name == user_table:
            seed.keys[table.name] = [(u,) for u in users]
            continue
        existing = list(database.read()[table.name])
        seed.keys[table.name] = existing[:per_table]
        for index in range(len(existing), per_table):
            row = _row(table, index, seed, enums, user_table, users)
            try:
                seed.keys[table.name].append(database.insert(table, row))
            except Exception:
                break


def seed_user_parents(
    database: SandboxDatabase,
    user_table: TableInfo,
    seed: Seed,
    enums: Mapping[tuple[str, str], tuple[str, ...]],
    per_table: int = 2,
) -> None:
    """Fill the empty tables the user table points at (roles, groups) before users are made.

    A user the app makes belongs to a role the app made whole (flasky's ``Role.__init__`` sets
    ``permissions``); a role row with only its required columns (``permissions`` NULL) makes
    ``user.can(...)`` crash on every page, which is testboost's doing. Seeded first, full rows
    are the ones the users are given.
    """
    for fk in user_table.foreign_keys:
        parent = database.table(fk.parent_table)
        if parent is None or parent.name == user_table.name or database.read()[parent.name]:
            continue
        if any(p.parent_table == user_table.name for p in parent.foreign_keys):
            continue
        seed.keys[parent.name] = []
        for index in range(per_table):
            try:
                row = _row(parent, index, seed, enums, None, ())
                seed.keys[parent.name].append(database.insert(parent, row))
            except Exception:  # a parent it cannot make whole: the identities make their own
                break


def more_rows(
    database: SandboxDatabase,
    table: TableInfo,
    seed: Seed,
    enums: Mapping[tuple[str, str], tuple[str, ...]],
    *,
    user_table: str | None,
    users: tuple[Any, ...],
    count: int,
) -> int:
    """Insert ``count`` more rows like the first seeded one (owned by A); how many went in."""
    inserted = 0
    for _ in range(count):
        try:
            database.insert(table, _row(table, 0, seed, enums, user_table, users))
        except Exception:
            break
        inserted += 1
    return inserted


#: Rows per parent the N+1 probe sends a read route with: one statement per row shows as growth.
ROWS_PER_PARENT = (1, 5, 20)


def grow_rows(
    database: SandboxDatabase,
    tables: Collection[str],
    seed: Seed,
    enums: Mapping[tuple[str, str], tuple[str, ...]],
    *,
    per_parent: int,
    parents: Mapping[str, Any],
    user_table: str | None,
    users: tuple[Any, ...],
) -> int:
    """Insert ``per_parent`` rows into each of ``tables`` (parents first); how many went in.

    A new row's foreign key points at the row ``parents`` names for its parent table (the row a
    route's path names: the children of ``/projects/1/tasks`` all go under project 1); else at
    the row added to the parent table at the same position in this round, so that each child has
    parents of its own and a lazy many-to-one load cannot be answered from the session's identity
    map; else at the first seeded row (user A's).
    """
    added: dict[str, list[tuple[Any, ...]]] = {}
    inserted = 0
    for table in database.tables:
        if table.name not in tables or table.name == user_table:
            continue
        for position in range(per_parent):
            row = _row(table, 0, seed, enums, user_table, users)
            for fk in table.foreign_keys:
                parent = database.table(fk.parent_table)
                if parent is None or parent.primary_key != (fk.parent_column,):
                    continue
                if fk.parent_table in parents:
                    row[fk.column] = parents[fk.parent_table]
                elif added.get(fk.parent_table):
                    fresh = added[fk.parent_table]
                    row[fk.column] = fresh[position % len(fresh)][0]
            try:
                added.setdefault(table.name, []).append(database.insert(table, row))
            except Exception:
                break
            inserted += 1
    return inserted


def _row(
    table: TableInfo,
    index: int,
    seed: Seed,
    enums: Mapping[tuple[str, str], tuple[str, ...]],
    user_table: str | None,
    users: tuple[Any, ...],
) -> dict[str, Any]:
    foreign = {fk.column: fk for fk in table.foreign_keys}
    row: dict[str, Any] = {}
    n = seed.next()
    subclass_only = seed.subclass_only.get(table.name, frozenset())
    for column in table.columns:
        if column.primary_key and column.affinity == "int" and len(table.primary_key) == 1:
            continue
        if column.name in subclass_only and not column.not_null:
            continue
        fk = foreign.get(column.name)
        if fk is not None:
            if fk.parent_table == user_table and users:
                row[column.name] = users[min(index, len(users) - 1)]
                continue
            parents = seed.keys.get(fk.parent_table) or []
            if parents:
                row[column.name] = parents[min(index, len(parents) - 1)][0]
                continue
            if not column.not_null:
                continue
        row[column.name] = column_value(column, n, enums, table.name, seed.json_text)
    return row
