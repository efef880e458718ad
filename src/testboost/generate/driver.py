"""Replays requests in the generated suite's own world, in a process of its own.

``python -m testboost.generate.driver CONFTEST PROJECT_ROOT [REPLICA]`` imports a generated ``conftest.py``,
starts its test session (the app built from the spec, schema, users, seed rows, snapshot) inside
its guard, then reads jobs as JSON lines on stdin and answers each line with one JSON line. A job
is a list of steps sent in order from the restored snapshot; each step answers with what the app
sent back and how many SQL statements it ran. Using the conftest itself means the values the
generated tests assert on are exactly the values the tests will see.

Anything the app prints goes to stderr: stdout carries the answers only.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import json
import os
import random
import sqlite3
import sys
import tempfile
import traceback
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from testboost.explore.timelimit import time_limit

TEXT_LIMIT = 20000
#: Seconds one job may take: a request the app answers only after minutes (a sleep taken from
#: the query) makes no test, rather than a replay that never ends.
JOB_SECONDS = 20.0
#: Bytes of a binary body sent back as they are (its start: a file's magic number).
HEAD_BYTES = 64
#: Media types whose bodies are bytes whatever they decode to.
_BINARY_TYPES = ("image/", "audio/", "video/", "font/")
_BINARY_SUBTYPES = (
    "application/octet-stream",
    "application/zip",
    "application/gzip",
    "application/pdf",
)


def _is_binary(data: bytes, mimetype: str, charset: str, encoding: str) -> bool:
    """Whether a body is bytes rather than text: compressed, of a binary type, or undecodable."""
    if encoding not in ("", "identity") or b"\x00" in data:
        return True
    if mimetype.startswith(_BINARY_TYPES) or mimetype.startswith(_BINARY_SUBTYPES):
        return True
    try:
        data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return True
    return False


def _decoded(data: bytes, encoding: str) -> bytes | None:
    """A compressed body as the client reads it (gzip and deflate: the standard library's)."""
    try:
        if encoding == "gzip":
            return gzip.decompress(data)
        if encoding == "deflate":
            return zlib.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None
    return None


def _body(data: bytes, mimetype: str, charset: str, encoding: str) -> dict[str, Any]:
    """What the generator needs of a body: its text, or for bytes their stable properties."""
    if not _is_binary(data, mimetype, charset, encoding):
        return {"text": data.decode(charset, errors="replace")[:TEXT_LIMIT], "binary": False}
    found: dict[str, Any] = {
        "text": "",
        "binary": True,
        "size": len(data),
        "digest": hashlib.sha256(data).hexdigest(),
        "head": base64.b64encode(data[:HEAD_BYTES]).decode("ascii"),
        "encoding": encoding,
    }
    plain = _decoded(data, encoding)
    if plain is not None:
        text = plain.decode(charset, errors="replace")
        found["decoded_text"] = text[:TEXT_LIMIT]
        try:
            found["decoded_json"] = json.loads(text)
            found["decoded_is_json"] = True
        except ValueError:
            found["decoded_is_json"] = False
    return found


def _load(conftest: Path, root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("testboost_generated_conftest", conftest)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {conftest}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__dict__["PROJECT_ROOT"] = root  # the conftest runs from a temporary copy
    return module


def _substitute(value: Any, bound: dict[str, Any]) -> Any:
    if isinstance(value, str):
        for name, found in bound.items():
            value = value.replace("{" + name + "}", str(found))
        return value
    if isinstance(value, dict):
        if set(value) == {"$var"}:
            return bound.get(value["$var"])
        return {k: _substitute(v, bound) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, bound) for v in value]
    return value


def _send(
    conftest: ModuleType,
    session: Any,
    step: dict[str, Any],
    bound: dict[str, Any],
    clients: dict[str | None, Any],
) -> dict[str, Any]:
    identity = step.get("identity")
    if identity not in clients:  # one client per identity and job: cookies last the whole job
        clients[identity] = session.client(identity)
    client = clients[identity]
    extra = {name: _substitute(value, bound) for name, value in step.get("headers") or []}
    headers = {**session.headers(identity), **extra}
    arguments: dict[str, Any] = {
        "method": step["method"],
        "path": _substitute(step["path"], bound),
        "headers": headers,
    }
    if step.get("query"):
        arguments["query_string"] = [tuple(pair) for pair in _substitute(step["query"], bound)]
    if step.get("has_json"):
        arguments["json"] = _substitute(step.get("json"), bound)
    elif step.get("form") is not None:
        arguments["data"] = dict(_substitute(step["form"], bound))
    elif step.get("body") is not None:
        arguments["data"] = step["body"]
        arguments["content_type"] = step.get("content_type") or "text/plain"
    counter = conftest.QueryCounter()
    with counter:
        response = client.open(**arguments)
        data = response.get_data()
    charset = response.mimetype_params.get("charset", "utf-8")
    encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    body = _body(data, response.mimetype or "", charset, encoding)
    parsed = response.get_json(silent=True) if response.is_json else None
    for name, path in (step.get("bind") or {}).items():
        value: Any = parsed
        for key in path:
            value = value[key] if isinstance(value, dict | list) else None
        bound[name] = value
    for name, (table, column) in (step.get("bind_added") or {}).items():
        added = session.database.added(table)
        bound[name] = added[0][column] if added else None
    return {
        "status": response.status_code,
        "content_type": response.content_type or "",
        "location": response.headers.get("Location"),
        **body,
        "json": parsed,
        "is_json": response.is_json and parsed is not None,
        "statements": counter.count,
    }


def _inspect(session: Any, queries: list[dict[str, Any]]) -> list[Any]:
    database = session.database
    answers: list[Any] = []
    for query in queries:
        try:
            if query["kind"] == "row":
                answers.append(database.row(query["table"], **query["where"]))
            elif query["kind"] == "added":
                answers.append(database.added(query["table"]))
            elif query["kind"] == "rows":
                answers.append(database.rows(query["table"]))
            else:
                answers.append(None)
        except Exception as exc:  # a table that is not there: say so, go on
            answers.append({"error": f"{type(exc).__name__}: {exc}"})
    return answers


#: the primary key of each (database file, table): a schema does not change between jobs
_KEYS: dict[tuple[str, str], list[str]] = {}


def _read(database: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Every row of every table, keyed by its primary key; one connection per database file.

    A table is read from the first file (in name order) that holds it, as the conftest's
    ``Database.connect`` finds it.
    """
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for file in sorted(Path(database.directory).glob("*.sqlite")):
        connection = sqlite3.connect(str(file))
        connection.row_factory = sqlite3.Row
        try:
            names = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            for table in names:
                if table in state:
                    continue
                keys = _KEYS.get((str(file), table))
                if keys is None:
                    columns = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
                    ordered = sorted(columns, key=lambda column: column["pk"])
                    keys = _KEYS[(str(file), table)] = [c["name"] for c in ordered if c["pk"]]
                rows = [dict(row) for row in connection.execute(f'SELECT * FROM "{table}"')]
                state[table] = {
                    json.dumps([row.get(k) for k in keys], default=repr): row for row in rows
                }
        finally:
            connection.close()
    return state


def _rows_before(session: Any, filled: bool) -> dict[str, dict[str, dict[str, Any]]]:
    """The rows a job starts from: the snapshot just put back (read once per session), or, after
    a ``fill``, what the database holds now."""
    if filled:
        return _read(session.database)
    rows: dict[str, dict[str, dict[str, Any]]] | None = getattr(session, "_tb_rows", None)
    if rows is None:
        rows = _read(session.database)
        session._tb_rows = rows
    return rows


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    changes = []
    for table in sorted(after.keys() | before.keys()):
        old, new = before.get(table, {}), after.get(table, {})
        for key in sorted(old.keys() | new.keys()):
            was, now = old.get(key), new.get(key)
            if was == now:
                continue
            kind = "insert" if was is None else "delete" if now is None else "update"
            changes.append(
                {"table": table, "kind": kind, "key": json.loads(key), "before": was, "after": now}
            )
    return changes


class JobTimeout(BaseException):
    """Raised in the middle of a job past :data:`JOB_SECONDS` (a BaseException: the app's own
    ``except Exception`` must not swallow it)."""


def _run_job(conftest: ModuleType, session: Any, guard: Any, job: dict[str, Any]) -> dict[str, Any]:
    """One job, stopped with an error answer past :data:`JOB_SECONDS` (time spent waiting for
    a CPU on a loaded machine not counted)."""
    try:
        with time_limit(JOB_SECONDS, JobTimeout):
            return _run_job_steps(conftest, session, guard, job)
    except JobTimeout:
        return {"steps": [], "error": f"the job took more than {JOB_SECONDS:g} s"}


def _run_job_steps(
    conftest: ModuleType, session: Any, guard: Any, job: dict[str, Any]
) -> dict[str, Any]:
    session.database.restore()
    restore_caches = getattr(conftest, "_restore_caches", None)
    if restore_caches is not None:  # the app's caches too, as the conftest does before each test
        restore_caches(session.caches)
    guard.attempts.clear()
    bound: dict[str, Any] = {}
    clients: dict[str | None, Any] = {}
    observations: list[dict[str, Any]] = []
    try:
        if job.get("fill"):
            table, count = job["fill"]
            session.database.fill(table, count)
        before = _rows_before(session, bool(job.get("fill")))
        for step in job["steps"]:
            observations.append(_send(conftest, session, step, bound, clients))
        changes = _changes(before, _read(session.database))
        inspected = _inspect(session, job.get("inspect") or [])
    except Exception:
        return {"steps": observations, "error": traceback.format_exc()[-3000:]}
    return {
        "steps": observations,
        "inspect": inspected,
        "changes": changes,
        "network": list(guard.attempts),
        "bound": bound,
        "error": None,
    }


def _logged_in(conftest: ModuleType, session: Any) -> dict[str, str | None]:
    """Each user of the conftest: ``None`` when logged in, else why not (the login failed, or a
    guarded page still turned the user away)."""
    users: dict[str, str | None] = {}
    for name in getattr(conftest, "USERS", {}):
        reason = getattr(session, "failed", {}).get(name)
        if reason is None and hasattr(session, "check_logged_in"):
            try:
                session.check_logged_in(name)
            except AssertionError as error:
                reason = str(error)
        users[name] = reason
    return users


def main(argv: list[str], stdin: TextIO, answers: TextIO) -> int:
    """Serve jobs from ``stdin`` until it closes; ``argv`` is ``[CONFTEST, PROJECT_ROOT, REPLICA]``."""
    # each replay process has its own random state (and hash seed, set by the parent): what two
    # of them agree on does not come from one process's luck
    random.seed(int(argv[2]) if len(argv) > 2 else 0)
    conftest = _load(Path(argv[0]), Path(argv[1]))
    # inside the replayer's own temporary directory, which it removes when it closes
    directory = Path(tempfile.mkdtemp(prefix="testboost-replay-", dir=Path(argv[0]).parent))
    with conftest.Guard().active(directory) as guard:
        try:
            session = conftest.start_session(directory)
        except BaseException:
            answers.write(json.dumps({"setup_error": traceback.format_exc()[-4000:]}) + "\n")
            answers.flush()
            return 1
        answers.write(json.dumps({"ready": True, "users": _logged_in(conftest, session)}) + "\n")
        answers.flush()
        for line in stdin:
            if not line.strip():
                continue
            jobs = json.loads(line)["jobs"]
            results = [_run_job(conftest, session, guard, job) for job in jobs]
            answers.write(json.dumps({"results": results}, default=repr) + "\n")
            answers.flush()
    return 0


if __name__ == "__main__":
    # Keep the answers channel for ourselves: whatever the app prints goes to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.exit(main(sys.argv[1:], sys.stdin, channel))
