"""What the explorer sends and what it sees: plain frozen records handed on to the checks.

An :class:`Exchange` is one request to one route, with the :class:`Case` that says why it was
sent (a valid request, an unknown id, a missing field, another user's credentials, ...), the
response, the exception the view raised if any, the SQL it ran, the rows it changed in the
sandbox database, and the network it tried to reach.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from testboost.hostguard import HostAttempt
from testboost.sandbox import NetworkAttempt

#: Case kinds, in the order the explorer sends them for one (route, method).
CASE_KINDS = (
    "valid",  # a well-formed request as a logged-in user A, on A's own objects
    "unknown-id",  # path ids that do not exist
    "anonymous",  # the valid request without credentials
    "other-user",  # the valid request as user B, on user A's object
    "missing-field",  # one required input left out
    "wrong-type",  # one input of the wrong JSON type (string for a number, ...)
    "malformed",  # one input with a well-typed but invalid value (bad email, negative quantity)
    "protected-field",  # an extra field naming a column clients must not set (is_admin, id, ...)
    "quote",  # a string input carrying SQL quote characters
    "quote-control",  # the same input with a harmless string, to compare results with "quote"
    "not-json",  # a body that is not JSON at all, on a route that reads JSON
    "json-list",  # a JSON body that is a list, on a route that reads a JSON object
    "bad-query",  # a query argument of the wrong type (page=abc)
    "redirect-target",  # an external URL in a parameter that looks like a redirect target
    "wrong-method",  # a method the route does not accept
    "fuzz",  # a body drawn by Hypothesis, shrunk to the smallest that makes the app fail
    "more-rows",  # the valid GET again with more rows under one parent (value: rows per parent)
    "timing",  # the valid request again, to time a slow route more than once
)
#: The name of the administrator identity, beside "A" and "B".
ADMIN = "admin"


@dataclass(frozen=True)
class ProbeRequest:
    """A request as sent through the test client, in a form that can be replayed and printed."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    json: Any = None
    has_json: bool = False
    body: str | None = None
    content_type: str | None = None
    form: tuple[tuple[str, str], ...] | None = None
    identity: str | None = None

    @property
    def payload(self) -> tuple[str, Any] | None:
        """The body the request carries, as ``(kind, value)``: ``json``, ``form`` or ``raw``.

        JSON wins over a form, a form over a raw body, as the test client sends them.

        >>> ProbeRequest("POST", "/x", form=(("a", "1"),)).payload
        ('form', {'a': '1'})
        """
        if self.has_json:
            return "json", self.json
        if self.form is not None:
            return "form", dict(self.form)
        if self.body is not None:
            return "raw", self.body
        return None

    @property
    def url(self) -> str:
        """Path plus query string."""
        if not self.query:
            return self.path
        from urllib.parse import urlencode

        return f"{self.path}?{urlencode(self.query)}"


@dataclass(frozen=True)
class Case:
    """Why a request was sent: its kind, the input it is about, and the value sent for it."""

    kind: str
    description: str
    field: str | None = None
    location: str | None = None
    value: Any = None
    table: str | None = None


_MISSING_SCHEMA = re.compile(
    r"no such (?:table|column): [\w.\"]+|relation \"?[\w.]+\"? does not exist"
)


@dataclass(frozen=True)
class RaisedError:
    """An exception a view raised: type, message, and the user's ``file:line`` it came from.

    ``deliberate`` is an HTTP 5xx the app raised itself with nothing caught behind it (a bare
    ``abort(500)``): an answer the view chose, not a crash.
    """

    type: str
    message: str
    location: str | None
    traceback: str
    module: str = ""
    deliberate: bool = False

    @property
    def missing_schema(self) -> str | None:
        """The table or column the database lacked (``no such table: user``), if that was it.

        In the sandbox that means testboost did not make the schema the way the app does: a
        fact about the setup, not a defect of the app.
        """
        if not self.is_database_error:
            return None
        match = _MISSING_SCHEMA.search(self.message)
        return match.group(0) if match else None

    @property
    def is_database_error(self) -> bool:
        """Whether the database driver raised it (a SQL syntax error, a constraint, ...)."""
        return self.module.startswith(("sqlite3", "sqlalchemy", "psycopg", "pymysql")) or (
            self.type in {"OperationalError", "ProgrammingError", "IntegrityError"}
        )


@dataclass(frozen=True)
class RowChange:
    """One row the request inserted, updated or deleted in the sandbox database."""

    table: str
    kind: str  # "insert" | "update" | "delete"
    key: tuple[Any, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    def changed_columns(self) -> dict[str, Any]:
        """Columns whose value the request set (all columns of an inserted row)."""
        if self.after is None:
            return {}
        if self.before is None:
            return dict(self.after)
        return {k: v for k, v in self.after.items() if self.before.get(k) != v}


@dataclass(frozen=True)
class Exchange:
    """One request to one (method, rule), what came back, and what it did to the sandbox."""

    rule: str
    endpoint: str
    method: str
    case: Case
    request: ProbeRequest
    status: int
    content_type: str
    headers: tuple[tuple[str, str], ...]
    body: str
    json: Any = None
    error: RaisedError | None = None
    sql: tuple[str, ...] = ()
    changes: tuple[RowChange, ...] = ()
    network: tuple[NetworkAttempt, ...] = ()
    #: Writes, deletes, commands and processes outside the sandbox, refused during the request.
    host: tuple[HostAttempt, ...] = ()
    seconds: float = 0.0
    #: CPU time the request took in this thread: what the machine's load does not inflate.
    cpu_seconds: float = 0.0
    timed_out: bool = False
    is_json: bool = field(default=False)
    #: ORM relationship loads the request made, ``(relationship, file:line)`` each (recorded on
    #: ``more-rows`` requests, to name what an N+1 loads: ``("Task.assignee", "app.py:42")``).
    lazy_loads: tuple[tuple[str, str | None], ...] = ()

    def header(self, name: str) -> str | None:
        """A response header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def ok(self) -> bool:
        """Whether the app answered 2xx."""
        return 200 <= self.status < 300


@dataclass(frozen=True)
class ForeignKey:
    """``table.column`` refers to ``parent_table.parent_column``."""

    table: str
    column: str
    parent_table: str
    parent_column: str


@dataclass(frozen=True)
class ProbeFacts:
    """What the explorer learned about the app that the checks need to judge exchanges.

    ``users`` maps an identity (``"A"``, ``"B"``) to that user's primary key; ``user_table`` is
    the table they live in; ``owner_columns`` maps a table to its column that points at the user
    table (``orders.user_id``); ``secrets`` are configuration values that must never appear in a
    response (``SECRET_KEY``, ``JWT_SECRET_KEY``, ...); ``protected_columns`` maps a table to the
    columns a client must not set; ``seed_rows`` is the seeded database every exchange starts
    from (table -> primary key -> row). A user's own row counts as owned by that user: the user
    table's owner column is its primary key. ``written_rows`` are the rows of ``seed_rows`` that
    testboost wrote itself, with the values it wrote (the app's own rows, and what the app changed
    since, such as a login time, are not in them): what a generated suite writes again.
    """

    app: str
    users: Mapping[str, Any] = field(default_factory=dict)
    user_table: str | None = None
    owner_columns: Mapping[str, str] = field(default_factory=dict)
    foreign_keys: tuple[ForeignKey, ...] = ()
    secrets: tuple[str, ...] = ()
    protected_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    secret_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    guarded: Mapping[tuple[str, str], str] = field(default_factory=dict)
    seed_rows: Mapping[str, Mapping[tuple[Any, ...], Mapping[str, Any]]] = field(
        default_factory=dict
    )
    written_rows: Mapping[str, Mapping[tuple[Any, ...], Mapping[str, Any]]] = field(
        default_factory=dict
    )


def listed(payload: Any) -> list[Any]:
    """The list a list route answers: the body itself, or under items/results/data/..."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in ("items", "results", "data", "objects", "records", "rows", "result"):
            if isinstance(payload.get(key), list):
                return list(payload[key])
    return []
