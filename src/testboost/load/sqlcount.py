"""Count the SQL statements each request runs while the app is served under load.

:class:`StatementCounter` wraps the app's WSGI callable: it matches each request to its
(method, rule), counts the statements SQLAlchemy (``before_cursor_execute``) and raw ``sqlite3``
connections (the sandbox's statement listeners) run in that request's thread, and keeps totals per
(method, rule). Each server process writes its totals to ``sql-<pid>.json`` in ``directory``
(at most every half second, and on :meth:`flush`); :func:`merge_counts` adds the files up.

>>> counter = StatementCounter(app, sandbox, directory)             # doctest: +SKIP
>>> serve(counter, ...)                                             # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from testboost.sandbox import Sandbox

_FLUSH_EVERY = 0.5
_SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


class StatementCounter:
    """A WSGI middleware counting requests and SQL statements per (method, rule)."""

    def __init__(self, app: Flask, sandbox: Sandbox, directory: Path) -> None:
        self.app = app
        self.directory = directory
        self.totals: dict[tuple[str, str], list[int]] = {}
        self._local = threading.local()
        self._lock = threading.Lock()
        self._flushed = 0.0
        sandbox.statement_listeners.append(self._on_raw)
        try:
            from sqlalchemy import event
            from sqlalchemy.engine import Engine
        except ImportError:
            return
        event.listen(Engine, "before_cursor_execute", self._on_sql)

    def _count(self, statement: str) -> None:
        if getattr(self._local, "statements", None) is None:
            return
        if not statement.lstrip().upper().startswith(_SKIPPED):
            self._local.statements += 1

    def _on_sql(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._count(statement)

    def _on_raw(self, statement: str) -> None:
        self._count(statement)

    def _rule(self, environ: Mapping[str, Any]) -> str:
        try:
            rule, _ = self.app.url_map.bind_to_environ(dict(environ)).match(return_rule=True)
        except Exception:
            return "(no route)"
        return str(rule.rule)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        key = (str(environ.get("REQUEST_METHOD", "GET")), self._rule(environ))
        self._local.statements = 0
        try:
            # the body is read here so that views running while it streams are counted too
            answer = self.app(environ, start_response)
            try:
                body = list(answer)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
        finally:
            statements, self._local.statements = self._local.statements, None
            with self._lock:
                total = self.totals.setdefault(key, [0, 0])
                total[0] += 1
                total[1] += statements
            if time.monotonic() - self._flushed > _FLUSH_EVERY:
                self.flush()
        return body

    def flush(self) -> None:
        """Write this process's totals to ``sql-<pid>.json`` (atomically)."""
        with self._lock:
            self._flushed = time.monotonic()
            rows = [[m, r, n, s] for (m, r), (n, s) in sorted(self.totals.items())]
        target = self.directory / f"sql-{os.getpid()}.json"
        scratch = target.with_suffix(".tmp")
        scratch.write_text(json.dumps(rows))
        os.replace(scratch, target)


def merge_counts(directory: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """(method, rule) -> (requests, statements), added up over every server process's file."""
    merged: dict[tuple[str, str], list[int]] = {}
    for file in sorted(directory.glob("sql-*.json")):
        try:
            rows = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        for method, rule, requests, statements in rows:
            total = merged.setdefault((method, rule), [0, 0])
            total[0] += requests
            total[1] += statements
    return {key: (value[0], value[1]) for key, value in merged.items()}
