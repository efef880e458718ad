"""More rows in the tables the list routes read, and which routes get slower for them.

The probe already knows each list route's table (its ``more-rows`` exchanges). :func:`add_rows`
puts ``count`` more rows like the seeded ones (owned by user A) into each of those tables, for a
load test on a fuller database (``--rows``). :func:`measure_growth` times each list route
in-process at several sizes of its table and counts its SQL, so that the routes whose SQL (and so
latency) grows with rows can be named beside the load test's figures.

>>> growth = measure_growth(app, sandbox, result, plan)                     # doctest: +SKIP
>>> [g.rule for g in growth if g.grows]                                     # doctest: +SKIP
['/api/orders']
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

from flask import Flask

from testboost.explore.database import SandboxDatabase
from testboost.explore.exchange import ADMIN, ProbeFacts
from testboost.explore.runner import ProbeResult
from testboost.explore.seeding import Seed, enum_values, more_rows
from testboost.load.plan import LoadPlan, LoadRequest
from testboost.sandbox import Sandbox

#: Rows added to a list route's table at each step of :func:`measure_growth`.
STEPS = (0, 100)
#: Requests timed at each step (their median is kept).
REPEATS = 5


@dataclass(frozen=True)
class Growth:
    """How one list route's time and SQL changed with the rows of its table."""

    method: str
    rule: str
    table: str
    rows: tuple[int, ...]
    milliseconds: tuple[float, ...]
    statements: tuple[int, ...]

    @property
    def grows(self) -> bool:
        """Whether its latency grows with rows: it runs more SQL statements for more rows.

        Judged by the statements, which are the same on any machine; the times are shown beside
        them, but a loaded machine can double a median of a few milliseconds on its own, and a
        list that renders more rows in one query is slower without being a defect.
        """
        return self.statements[-1] > self.statements[0]


def listed_tables(result: ProbeResult) -> dict[tuple[str, str], str]:
    """(method, rule) -> the table its list grows with, from the probe's ``more-rows`` requests."""
    return {
        (e.method, e.rule): e.case.table
        for e in result.exchanges
        if e.case.kind == "more-rows" and e.case.table
    }


class _Filler:
    """Adds rows like the seeded ones to tables of the sandbox database."""

    def __init__(self, app: Flask, sandbox: Sandbox, facts: ProbeFacts) -> None:
        self.database = SandboxDatabase.discover(sandbox.directory)
        self.seed = Seed(keys={t: list(rows) for t, rows in facts.seed_rows.items()}, counter=10**6)
        self.enums = enum_values(app)
        self.user_table = facts.user_table
        self.users = tuple(key for name, key in facts.users.items() if name != ADMIN)

    def add(self, table: str, count: int) -> int:
        info = self.database.table(table)
        if info is None or count <= 0:
            return 0
        return more_rows(
            self.database,
            info,
            self.seed,
            self.enums,
            user_table=self.user_table,
            users=self.users,
            count=count,
        )

    def rows(self, table: str) -> int:
        info = self.database.table(table)
        if info is None:
            return 0
        with closing(sqlite3.connect(info.file)) as connection:
            return int(connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def add_rows(app: Flask, sandbox: Sandbox, result: ProbeResult, count: int) -> dict[str, int]:
    """Put ``count`` more rows into each table a list route reads; table -> rows it has now."""
    filler = _Filler(app, sandbox, result.facts)
    try:
        tables = sorted(set(listed_tables(result).values()))
        for table in tables:
            filler.add(table, count)
        return {table: filler.rows(table) for table in tables}
    finally:
        filler.database.close()


@contextmanager
def _counting(sandbox: Sandbox) -> Iterator[list[str]]:
    seen: list[str] = []

    def on_raw(statement: str) -> None:
        seen.append(statement)

    def on_sql(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    sandbox.statement_listeners.append(on_raw)
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:
        yield seen
        sandbox.statement_listeners.remove(on_raw)
        return
    event.listen(Engine, "before_cursor_execute", on_sql)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", on_sql)
        sandbox.statement_listeners.remove(on_raw)


def measure_growth(
    app: Flask, sandbox: Sandbox, result: ProbeResult, plan: LoadPlan
) -> tuple[Growth, ...]:
    """Time each list route of ``plan`` at :data:`STEPS` more rows; the database is put back.

    Routes are grouped by the table they list: rows are added to one table at a time, every
    route on it is timed, and the database is restored before the next table.
    """
    tables = listed_tables(result)
    by_table: dict[str, list[LoadRequest]] = {}
    for request in plan.requests:
        table = tables.get((request.method, request.rule))
        if table is not None:
            by_table.setdefault(table, []).append(request)
    if not by_table:
        return ()
    filler = _Filler(app, sandbox, result.facts)
    snapshot = filler.database.snapshot()
    client = app.test_client()
    measured: dict[tuple[str, str], tuple[str, list[int], list[float], list[int]]] = {}
    try:
        with sandbox.active(), _counting(sandbox) as seen:
            for table, requests in sorted(by_table.items()):
                added = 0
                for step in STEPS:
                    added += filler.add(table, step - added)
                    rows = filler.rows(table)
                    for request in requests:
                        _, counts, times, statements = measured.setdefault(
                            (request.method, request.rule), (table, [], [], [])
                        )
                        samples = []
                        for _ in range(REPEATS):
                            seen.clear()
                            started = time.perf_counter()
                            client.open(
                                request.path,
                                method=request.method,
                                query_string=list(request.query),
                                headers=list(request.headers),
                            ).close()
                            samples.append((time.perf_counter() - started) * 1000)
                        counts.append(rows)
                        times.append(round(statistics.median(samples), 2))
                        statements.append(len(seen))
                filler.database.restore(snapshot)
    finally:
        filler.database.restore(snapshot)
        filler.database.close()
    return tuple(
        Growth(method, rule, table, tuple(rows), tuple(times), tuple(statements))
        for (method, rule), (table, rows, times, statements) in measured.items()
    )
