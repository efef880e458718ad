"""The sandbox's SQLite databases seen from outside the app: schema, rows, snapshots, diffs.

The explorer works at this level rather than through the app's ORM, so the same code serves
Flask-SQLAlchemy apps, plain SQLAlchemy apps and raw ``sqlite3`` apps (flaskr): every database the
app uses lives as a SQLite file in the sandbox directory.

>>> database = SandboxDatabase.discover(sandbox.directory)        # doctest: +SKIP
>>> snapshot = database.snapshot(); ...; database.restore(snapshot)
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testboost.explore.exchange import ForeignKey, RowChange

Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


@dataclass(frozen=True)
class ColumnInfo:
    """A column as SQLite declares it."""

    name: str
    declared: str
    not_null: bool
    has_default: bool
    primary_key: bool
    unique: bool

    @property
    def affinity(self) -> str:
        """``int``, ``float``, ``bool``, ``datetime``, ``date``, ``json`` or ``str``."""
        declared = self.declared.upper()
        if "BOOL" in declared:
            return "bool"
        if "INT" in declared:
            return "int"
        if any(word in declared for word in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
            return "float"
        if "DATETIME" in declared or "TIMESTAMP" in declared:
            return "datetime"
        if "DATE" in declared:
            return "date"
        if "JSON" in declared:
            return "json"
        return "str"

    @property
    def binary(self) -> bool:
        """Whether the column holds bytes (``BLOB``, ``BINARY``, ``BYTEA``): text goes in encoded."""
        return any(word in self.declared.upper() for word in ("BLOB", "BINARY", "BYTEA"))

    @property
    def length(self) -> int | None:
        """The declared length of a ``VARCHAR(n)``, if any."""
        match = re.search(r"CHAR\s*\((\d+)\)", self.declared, re.IGNORECASE)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class TableInfo:
    """A table: its file, columns, primary key and foreign keys."""

    file: Path
    name: str
    columns: tuple[ColumnInfo, ...]
    foreign_keys: tuple[ForeignKey, ...]

    @property
    def primary_key(self) -> tuple[str, ...]:
        """Primary key column names (``rowid`` when the table declares none)."""
        keys = tuple(c.name for c in self.columns if c.primary_key)
        return keys or ("rowid",)

    def column(self, name: str) -> ColumnInfo | None:
        """The column called ``name``, if any."""
        return next((c for c in self.columns if c.name == name), None)


class SandboxDatabase:
    """All SQLite databases in the sandbox directory, read and restored from outside the app."""

    def __init__(self, tables: tuple[TableInfo, ...]) -> None:
        self.tables = tables
        self._connections: dict[Path, sqlite3.Connection] = {}
        #: the rows testboost itself wrote (table -> primary key -> values as written), in order
        self.written: Rows = {}

    @classmethod
    def discover(cls, directory: Path) -> SandboxDatabase:
        """Every non-empty SQLite file in ``directory`` and its user tables, in foreign-key order."""
        tables: list[TableInfo] = []
        for file in sorted(directory.glob("*.sqlite")):
            if file.stat().st_size == 0:
                continue
            with _connect(file) as connection:
                tables.extend(_read_schema(file, connection))
        return cls(tuple(_fk_order(tables)))

    def table(self, name: str) -> TableInfo | None:
        """The table called ``name`` (case-insensitive), if any."""
        lowered = name.lower()
        return next((t for t in self.tables if t.name.lower() == lowered), None)

    @property
    def foreign_keys(self) -> tuple[ForeignKey, ...]:
        """Every foreign key of every table."""
        return tuple(fk for table in self.tables for fk in table.foreign_keys)

    def _connection(self, file: Path) -> sqlite3.Connection:
        if file not in self._connections:
            self._connections[file] = _connect(file)
        return self._connections[file]

    def close(self) -> None:
        """Close the connections this object opened."""
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    # -- rows -------------------------------------------------------------------------------------

    def read(self) -> Rows:
        """Every row of every table, keyed by table then primary key."""
        rows: Rows = {}
        for table in self.tables:
            keys = table.primary_key
            connection = self._connection(table.file)
            select = "rowid, *" if keys == ("rowid",) else "*"
            cursor = connection.execute(f'SELECT {select} FROM "{table.name}"')
            names = [d[0] for d in cursor.description]
            table_rows: dict[tuple[Any, ...], dict[str, Any]] = {}
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                table_rows[tuple(row[k] for k in keys)] = row
            rows[table.name] = table_rows
        return rows

    def insert(self, table: TableInfo, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """Insert a row and return its primary key; text for a bytes column goes in encoded.

        (SQLAlchemy's ``LargeBinary`` reads ``bytes(value)`` back, which fails on text, and the
        app itself only ever stores bytes there.)
        """
        values = {
            name: value.encode()
            if isinstance(value, str)
            and (column := table.column(name)) is not None
            and column.binary
            else value
            for name, value in values.items()
        }
        connection = self._connection(table.file)
        names = list(values)
        columns = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        try:
            cursor = connection.execute(
                f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})',
                [values[n] for n in names],
            )
            connection.commit()
        except sqlite3.Error:
            connection.rollback()  # an open transaction would make the file unrestorable
            raise
        keys = table.primary_key
        key = tuple(values[k] for k in keys) if all(k in values for k in keys) else None
        if key is None and len(keys) == 1:
            key = (cursor.lastrowid,)
        if key is not None:
            self.written.setdefault(table.name, {})[key] = {
                **({keys[0]: key[0]} if len(keys) == 1 else {}),
                **values,
            }
        return key if key is not None else tuple(values.get(k) for k in keys)

    def versions(self) -> tuple[int, ...]:
        """SQLite's ``data_version`` of every file: it moves when another connection commits.

        Comparing it before and after a request tells, for the price of one pragma per file,
        whether the app wrote anything at all.
        """
        return tuple(
            self._connection(file).execute("PRAGMA data_version").fetchone()[0]
            for file in sorted({t.file for t in self.tables})
        )

    def update(self, table: TableInfo, key: tuple[Any, ...], values: Mapping[str, Any]) -> None:
        """Set columns of the row with primary key ``key``."""
        connection = self._connection(table.file)
        assignments = ", ".join(f'"{name}" = ?' for name in values)
        condition = " AND ".join(f'"{name}" = ?' for name in table.primary_key)
        try:
            connection.execute(
                f'UPDATE "{table.name}" SET {assignments} WHERE {condition}',
                [*values.values(), *key],
            )
            connection.commit()
        except sqlite3.Error:
            connection.rollback()
            raise
        own = self.written.get(table.name, {}).get(tuple(key))
        if own is not None:
            own.update(values)

    def written_rows(self) -> Rows:
        """A copy of :attr:`written`: the rows testboost wrote itself, not the app."""
        return {t: {k: dict(row) for k, row in rows.items()} for t, rows in self.written.items()}

    # -- snapshots --------------------------------------------------------------------------------

    def snapshot(self) -> dict[Path, sqlite3.Connection]:
        """An in-memory copy of every database file."""
        copies: dict[Path, sqlite3.Connection] = {}
        for file in {t.file for t in self.tables}:
            copy = sqlite3.connect(":memory:", check_same_thread=False)
            self._connection(file).backup(copy)
            copies[file] = copy
        return copies

    def restore(self, snapshot: Mapping[Path, sqlite3.Connection]) -> None:
        """Put every database file back to the state of ``snapshot``."""
        close_app_sessions()
        for file, copy in snapshot.items():
            target = self._connection(file)
            if target.in_transaction:  # SQLite refuses a backup into a file being read or written
                target.rollback()
            copy.backup(target)


def close_app_sessions() -> None:
    """Close every SQLAlchemy session: one the app left open (a view that raised) holds a lock."""
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.orm import close_all_sessions

        close_all_sessions()


def diff(before: Rows, after: Rows) -> tuple[RowChange, ...]:
    """The rows inserted, updated and deleted between two reads, in table then key order."""
    changes: list[RowChange] = []
    for table in after.keys() | before.keys():
        old, new = before.get(table, {}), after.get(table, {})
        for key in sorted(old.keys() | new.keys(), key=repr):
            was, now = old.get(key), new.get(key)
            if was == now:
                continue
            kind = "insert" if was is None else "delete" if now is None else "update"
            changes.append(RowChange(table, kind, key, was, now))
    return tuple(sorted(changes, key=lambda c: (c.table, repr(c.key))))


def _connect(file: Path) -> sqlite3.Connection:
    # The raw connect: the sandbox's own files must not be redirected again.
    connect = getattr(sqlite3.connect, "__wrapped__", sqlite3.connect)
    connection: sqlite3.Connection = connect(str(file), check_same_thread=False, timeout=5)
    # a throwaway file: no waiting on the disk at each commit (a seeded row, a snapshot put back)
    connection.execute("PRAGMA synchronous = OFF")
    return connection


def _read_schema(file: Path, connection: sqlite3.Connection) -> Iterable[TableInfo]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version' ORDER BY name"
        )
    ]
    for name in names:
        unique = _unique_columns(connection, name)
        columns = tuple(
            ColumnInfo(
                name=row[1],
                declared=row[2] or "",
                not_null=bool(row[3]),
                has_default=row[4] is not None,
                primary_key=bool(row[5]),
                unique=row[1] in unique,
            )
            for row in connection.execute(f'PRAGMA table_info("{name}")')
        )
        foreign_keys = tuple(
            ForeignKey(name, row[3], row[2], row[4] or "id")
            for row in connection.execute(f'PRAGMA foreign_key_list("{name}")')
        )
        yield TableInfo(file, name, columns, foreign_keys)


def _unique_columns(connection: sqlite3.Connection, table: str) -> set[str]:
    unique: set[str] = set()
    for index in connection.execute(f'PRAGMA index_list("{table}")'):
        if index[2]:
            columns = list(connection.execute(f'PRAGMA index_info("{index[1]}")'))
            if len(columns) == 1:
                unique.add(columns[0][2])
    return unique


def _fk_order(tables: list[TableInfo]) -> list[TableInfo]:
    """Parents before children (a topological order; cycles keep their name order)."""
    by_name = {t.name: t for t in tables}
    ordered: list[TableInfo] = []
    visiting: set[str] = set()

    def visit(table: TableInfo) -> None:
        if table in ordered or table.name in visiting:
            return
        visiting.add(table.name)
        for fk in table.foreign_keys:
            parent = by_name.get(fk.parent_table)
            if parent is not None and parent is not table:
                visit(parent)
        visiting.discard(table.name)
        ordered.append(table)

    for table in tables:
        visit(table)
    return ordered
