"""The world every generated test starts from, as literal data for the generated ``conftest.py``.

The probe drove the app from a known state: the schema created the way the app creates it, users
A and B signed up (or written into the user table) and logged in the way :class:`AuthRecipe` says,
then a couple of rows per table. :func:`build_world` turns what the probe recorded into a
:class:`World` that the conftest template writes out as constants and rebuilds once per test
session, so that each recorded request means the same thing in the generated suite.

>>> world = build_world(app, spec, routes, result, root="Path(__file__).resolve().parents[2]")
...                                                              # doctest: +SKIP
>>> world.credential, world.login_rule
('bearer', '/api/auth/login')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask

from testboost.analysis.inputs import InputSpec
from testboost.config import AuthConfig, load_auth_config
from testboost.explore.exchange import ADMIN
from testboost.explore.identity import LoginWay, credential_body, nestable, wrapped
from testboost.explore.runner import ProbeResult
from testboost.explore.values import PASSWORD, is_email
from testboost.inventory import Route

#: How the conftest makes the tables: ``create_all`` (Flask-SQLAlchemy), a CLI command, or nothing.
SCHEMA_CREATE_ALL = "create_all"
SCHEMA_MIGRATIONS = "migrations"
#: Password hashes are written with a cheap method: the suite logs in twice per session.
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


@dataclass(frozen=True)
class Password:
    """Stands for the test users' password hash in a row written by the conftest."""


@dataclass(frozen=True)
class SuiteUser:
    """User A, B or the administrator: its key, the bodies it signs up and logs in with.

    ``promote`` holds the columns that make the administrator one, written after it signs up.
    ``login_bodies`` has one body per :attr:`World.logins` (None where that login takes none).
    """

    name: str
    key: Any
    register_body: Mapping[str, Any] | None
    login_bodies: tuple[Mapping[str, Any] | None, ...] = ()
    promote: Mapping[str, Any] | None = None

    @property
    def login_body(self) -> Mapping[str, Any] | None:
        """The body of the first login."""
        return self.login_bodies[0] if self.login_bodies else None

    @property
    def bodies(self) -> list[tuple[str, Mapping[str, Any]]]:
        """``(key in USERS[user], body)`` of every login that takes a body: ``login``, ``login_2``."""
        return [(_body_key(i), b) for i, b in enumerate(self.login_bodies) if b is not None]


def _body_key(index: int) -> str:
    return "login" if index == 0 else f"login_{index + 1}"


@dataclass(frozen=True)
class SuiteLogin:
    """One way the suite's users log in (an app may have two: a session form, a token API).

    ``credential`` is a :attr:`LoginWay.credential` (``bearer``, ``cookie``, ``basic``...);
    ``rule`` the login route, with a ``form`` body, HTTP ``basic`` credentials, or the hidden
    fields of ``page``; a token is read at ``token_path`` and sent as ``token_header`` with
    ``token_scheme`` (or in the cookie ``token_cookie``); ``api_key`` is (column of the user's
    key, header it is sent in), or the key goes in the query argument ``api_key_query``.
    """

    credential: str
    rule: str | None = None
    form: bool = False
    basic: bool = False
    page: str | None = None
    token_path: tuple[str, ...] = ()
    token_header: str = "Authorization"
    token_scheme: str = "Bearer"
    api_key: tuple[str, str] | None = None
    index: int = 0
    token_cookie: str = ""
    api_key_query: str = ""

    @property
    def body_key(self) -> str:
        """Where each user's body for this login is kept in the conftest's ``USERS``."""
        return _body_key(self.index)

    @property
    def function(self) -> str:
        """The conftest function that logs a user in this way."""
        return f"_log_in_{self.index + 1}"

    @property
    def cookie(self) -> bool:
        """Whether this login gives a logged-in client rather than request headers.

        A session cookie, a token kept in a cookie, or HTTP Digest (each request signed by the
        client, from a nonce in its session cookie).
        """
        return self.credential in ("cookie", "session-direct", "digest") or bool(self.token_cookie)


@dataclass(frozen=True)
class World:
    """Everything the generated ``conftest.py`` needs to rebuild the probe's starting state.

    ``schema`` are the steps that made the probe's tables, to be repeated in that order:
    :data:`SCHEMA_CREATE_ALL`, :data:`SCHEMA_MIGRATIONS` or a CLI command line of the app's
    (``init-db``); none when the app makes its tables itself (in its factory). ``credential`` is the
    probe's :attr:`AuthRecipe.credential`. ``user_rows`` are written into ``user_table`` directly
    when users are not signed up through ``register_rule``; ``seed_rows`` are the other tables'
    rows, parents first. Both hold only rows testboost wrote, with the values it wrote. ``sql`` says how statements are counted: ``sqlalchemy`` engine events,
    ``sqlite3`` trace callbacks, or ``none``. ``json_api`` is true when the app answers JSON.
    """

    spec: str
    root: str
    schema: tuple[str, ...]
    register_rule: str | None
    register_form: bool
    users: tuple[SuiteUser, ...]
    user_table: str | None
    user_rows: tuple[Mapping[str, Any], ...]
    seed_rows: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...]
    sql: str
    json_api: bool
    #: every way users log in, the first first; none when they do not
    logins: tuple[SuiteLogin, ...] = ()
    password: str = PASSWORD
    #: the users' password hash as the app's own hasher made it (None: Werkzeug's, made at run time)
    password_hash: Any = None
    #: (user, paths): guarded GET routes each user was seen logged in on, one per way
    checks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: the app's first-run setup page, sent before anything else: (page, action, fields)
    setup_form: tuple[str, str, Mapping[str, str]] | None = None
    #: whether the app keeps Flask-Caching caches (emptied before each test, as the probe did)
    caches: bool = False
    #: (session key, header, form field) of the CSRF value the app checks on writes, which the
    #: users' clients send with every write; None when the app checks none
    csrf: tuple[str, str, str] | None = None

    @property
    def login(self) -> SuiteLogin:
        """The first way users log in (``credential == "none"`` when there is none)."""
        return self.logins[0] if self.logins else SuiteLogin("none")

    @property
    def credential(self) -> str:
        """The first login's credential: ``bearer``, ``cookie``, ``basic``... or ``none``."""
        return self.login.credential

    @property
    def login_rule(self) -> str | None:
        """The first login's route."""
        return self.login.rule

    @property
    def login_form(self) -> bool:
        """Whether the first login posts a form."""
        return self.login.form

    @property
    def login_page(self) -> str | None:
        """The page whose hidden fields the first login sends back."""
        return self.login.page

    @property
    def token_path(self) -> tuple[str, ...]:
        """Where the first login's answer holds its token."""
        return self.login.token_path

    @property
    def token_header(self) -> str:
        """The header the first login's token is sent in."""
        return self.login.token_header

    @property
    def token_scheme(self) -> str:
        """The scheme the first login's token is sent with."""
        return self.login.token_scheme

    @property
    def check_paths(self) -> dict[str, list[str]]:
        """``{user: [path, ...]}`` of :attr:`checks`, for the conftest."""
        return {user: list(paths) for user, paths in self.checks}

    @property
    def logs_in(self) -> bool:
        """Whether the suite has logged-in users at all."""
        return self.credential != "none" and bool(self.users)

    @property
    def cookie_login(self) -> bool:
        """Whether users hold a session cookie (a logged-in client) from some login."""
        return any(login.cookie for login in self.logins)

    @property
    def header_login(self) -> bool:
        """Whether users send credentials in request headers from some login."""
        return any(not login.cookie for login in self.logins)

    @property
    def jar(self) -> bool:
        """Whether some login gives its users cookies the suite's clients must hold."""
        return any(login.credential == "cookie" or login.token_cookie for login in self.logins)

    @property
    def query_login(self) -> bool:
        """Whether some login's credentials travel in the query string (an API key)."""
        return any(login.api_key_query for login in self.logins)

    def uses(self, *credentials: str) -> bool:
        """Whether some login of the suite is one of ``credentials``."""
        return any(login.credential in credentials for login in self.logins)

    @property
    def names(self) -> tuple[str, ...]:
        """The users' names: ``A``, ``B`` and ``admin`` when the app has administrators."""
        return tuple(user.name for user in self.users)

    def seeded(self, table: str) -> tuple[Mapping[str, Any], ...]:
        """The rows a table starts with in every test (users included when written directly)."""
        if table == self.user_table and self.user_rows:
            return self.user_rows
        return next((rows for name, rows in self.seed_rows if name == table), ())


def build_world(
    app: Flask, spec: str, routes: tuple[Route, ...], result: ProbeResult, *, root: str
) -> World:
    """The starting state of the probe as literal data; ``root`` is the conftest's project root."""
    facts = result.facts
    recipe = result.recipe
    user_table = facts.user_table if facts.users else None
    rows = facts.seed_rows
    # only the rows testboost wrote, as it wrote them: the app makes its own rows again in the
    # suite (in its own order), and what it changed since (a login time) is not pinned
    written = facts.written_rows
    credential = recipe.credential if user_table else "none"
    configured = load_auth_config() if credential.startswith("configured") else None
    if credential.startswith("configured") and configured is None:
        credential = "none"
    ways: tuple[LoginWay | None, ...] = ()
    if credential != "none":
        ways = recipe.ways or (recipe.way,)
    logins = tuple(
        _suite_login(result, routes, way, configured, index) for index, way in enumerate(ways)
    )
    register = recipe.register if credential != "none" else None
    table_rows = rows.get(user_table or "", {})
    users: list[SuiteUser] = []
    user_rows: list[Mapping[str, Any]] = []
    first_row: Mapping[str, Any] | None = None
    for name in sorted(facts.users, key=_user_order):
        key = facts.users[name]
        row = _user_row(table_rows, key)
        first_row = first_row if first_row is not None else row
        values = _identity_values(name, row)
        users.append(
            SuiteUser(
                name=name,
                key=key,
                register_body=_register_body(
                    result.inputs, routes, register, recipe.register_wrap, values, name
                )
                if register
                else None,
                login_bodies=tuple(
                    _login_body(result.inputs, routes, login, way, configured, values, name)
                    for login, way in zip(logins, ways, strict=True)
                ),
                promote=_promotion(row, first_row) if register and name == ADMIN else None,
            )
        )
        if not register and row is not None:
            own = _user_row(written.get(user_table or "", {}), key)
            user_rows.append(_literal_row(own if own is not None else row, password_hash=True))
    seed_rows = tuple(
        (table, tuple(_literal_row(row, password_hash=False) for row in own_rows))
        for table, table_rows in rows.items()
        if table != user_table
        and (own_rows := [written[table][k] for k in table_rows if k in written.get(table, {})])
    )
    return World(
        spec=spec,
        root=root,
        schema=result.schema_steps,
        register_rule=register,
        register_form=_is_form(result.inputs, routes, register),
        users=tuple(users) if logins else (),
        user_table=user_table,
        user_rows=tuple(user_rows) if logins else (),
        seed_rows=seed_rows,
        sql=_sql_kind(app, result),
        json_api=_json_api(result),
        logins=logins,
        checks=tuple(sorted(recipe.check_paths.items())),
        password_hash=_stored_hash(first_row) if recipe.hasher and user_rows else None,
        setup_form=(
            (result.setup_form.page, result.setup_form.action, dict(result.setup_form.body))
            if result.setup_form is not None and result.setup_form.done
            else None
        ),
        caches=isinstance(app.extensions.get("cache"), dict) and bool(app.extensions["cache"]),
        csrf=(
            (recipe.csrf.key, recipe.csrf.header, recipe.csrf.field)
            if recipe.csrf is not None and recipe.csrf_users and logins
            else None
        ),
    )


def _suite_login(
    result: ProbeResult,
    routes: tuple[Route, ...],
    way: LoginWay | None,
    configured: AuthConfig | None,
    index: int,
) -> SuiteLogin:
    """How the conftest logs in ``way``, as the probe found it: token place, Basic, form page."""
    if configured is not None and (way is None or (way.configured and way.kind in _ROUTE_KINDS)):
        return SuiteLogin(
            "bearer" if configured.token else "cookie",
            rule=configured.login,
            form=configured.form,
            basic=configured.basic,
            page=way.page if way is not None else None,
            token_path=tuple(configured.token.split(".")) if configured.token else (),
            token_header=configured.header,
            token_scheme=configured.scheme,
            index=index,
            token_cookie=configured.cookie or "",
        )
    credential = way.credential if way is not None else result.recipe.credential
    login = SuiteLogin(
        credential,
        rule=way.route if way is not None and credential in _LOGIN_CREDENTIALS else None,
        form=_is_form(result.inputs, routes, way.route if way is not None else None),
        basic=bool(way and way.basic),
        page=way.page if way is not None else None,
        index=index,
    )
    if way is not None and way.placement is not None and way.placement.where == "header":
        login = replace(
            login,
            token_path=way.token_path,
            token_header=way.placement.name,
            token_scheme=way.placement.scheme,
        )
        if way.kind == "api-key" and way.key_column:
            login = replace(login, api_key=(way.key_column, way.placement.name))
    elif way is not None and way.placement is not None:
        name = way.placement.name
        if way.kind == "api-key" and way.key_column and way.placement.where == "query":
            login = replace(login, api_key=(way.key_column, ""), api_key_query=name)
        elif way.placement.where == "cookie" and way.kind == "token":
            login = replace(login, token_path=way.token_path, token_cookie=name)
    return login


_LOGIN_CREDENTIALS = ("bearer", "cookie", "configured-token", "configured-cookie")
#: the kinds of way that log in through a route (the others send credentials with every request)
_ROUTE_KINDS = ("token", "cookie")


def _user_order(name: str) -> tuple[int, str]:
    order = ("A", "B", ADMIN)
    return (order.index(name) if name in order else len(order), name)


def _promotion(row: Mapping[str, Any] | None, first: Mapping[str, Any] | None) -> dict[str, Any]:
    """The columns where the administrator's row differs from user A's on privilege columns."""
    if row is None:
        return {}
    return {
        column: value
        for column, value in row.items()
        if column.lower() in _PRIVILEGE_COLUMNS and (first or {}).get(column) != value
    }


_PRIVILEGE_COLUMNS = (
    "is_admin",
    "admin",
    "is_staff",
    "staff",
    "is_superuser",
    "superuser",
    "role",
    "roles",
    "user_role",
    "user_type",
    "type",
    "kind",
    "level",
)


def _sql_kind(app: Flask, result: ProbeResult) -> str:
    if "sqlalchemy" in app.extensions:
        return "sqlalchemy"
    if result.facts.seed_rows or any(e.sql for e in result.exchanges):
        return "sqlite3"
    return "none"


def _json_api(result: ProbeResult) -> bool:
    answered = [e for e in result.exchanges if e.body]
    if not answered:
        return False
    return sum(1 for e in answered if e.is_json) * 2 >= len(answered)


def _user_row(
    rows: Mapping[tuple[Any, ...], Mapping[str, Any]], key: Any
) -> Mapping[str, Any] | None:
    for row_key, row in rows.items():
        if row_key and row_key[0] == key:
            return row
    return None


def _identity_values(name: str, row: Mapping[str, Any] | None) -> dict[str, str]:
    """The email and username user ``name`` has: from its row when known, else the probe's."""
    values = {
        "email": f"tb-user-{name.lower()}@example.com",
        "username": f"tbuser{name.lower()}",
        "name": "",
    }
    for column, value in (row or {}).items():
        if not isinstance(value, str):
            continue
        lowered = column.lower()
        if is_email(lowered):
            values["email"] = value
        elif lowered in ("username", "login", "user_name"):
            values["username"] = value
    # a login body's "name" field names the user (CTFd's form takes a name or an email)
    values["name"] = values["username"]
    return values


def _input_spec(
    inputs: Mapping[tuple[str, str], InputSpec], routes: tuple[Route, ...], rule: str | None
) -> InputSpec:
    route = next((r for r in routes if r.rule == rule and "POST" in r.methods), None)
    if route is None:
        return InputSpec()
    return inputs.get((route.endpoint, "POST"), InputSpec())


def _is_form(
    inputs: Mapping[tuple[str, str], InputSpec], routes: tuple[Route, ...], rule: str | None
) -> bool:
    spec = _input_spec(inputs, routes, rule)
    return bool(spec.form_body and not spec.json_body)


def _credential_body(
    inputs: Mapping[tuple[str, str], InputSpec],
    routes: tuple[Route, ...],
    rule: str | None,
    values: Mapping[str, str],
) -> dict[str, Any]:
    """The sign-up or login body, filled the way the probe filled it."""
    return credential_body(_input_spec(inputs, routes, rule), values)


def _register_body(
    inputs: Mapping[tuple[str, str], InputSpec],
    routes: tuple[Route, ...],
    rule: str,
    wrap: str,
    values: Mapping[str, str],
    name: str,
) -> dict[str, Any]:
    """The body user ``name`` signs up with, nested under ``wrap`` as the probe sent it."""
    values = {**values, "name": f"Testboost User {name}"}
    body = _credential_body(inputs, routes, rule, values)
    return wrapped(nestable(body, values), wrap) if wrap else body


def _login_body(
    inputs: Mapping[tuple[str, str], InputSpec],
    routes: tuple[Route, ...],
    login: SuiteLogin,
    way: LoginWay | None,
    configured: AuthConfig | None,
    values: Mapping[str, str],
    name: str,
) -> dict[str, Any] | None:
    """The body user ``name`` logs in ``login`` with (None when that login takes none)."""
    if configured is not None and (way is None or (way.configured and way.kind in _ROUTE_KINDS)):
        return configured.fill({**values, "password": PASSWORD, "name": name})
    user_field = way.user_field if way is not None else "username"
    if login.credential in ("basic", "digest") or login.basic:
        return {"username": values[user_field], "password": PASSWORD}
    if login.credential == "bearer" and user_field != "username":
        return {"username": values[user_field], "password": PASSWORD}
    if login.rule and login.credential in ("bearer", "cookie"):
        if login.page:  # the probe filled the page's form: a "name" field took the username
            values = {**values, "name": values["username"]}
        body = _credential_body(inputs, routes, login.rule, values)
        return wrapped(nestable(body, values), way.wrap) if way and way.wrap else body
    return None


def _stored_hash(row: Mapping[str, Any] | None) -> Any:
    """The password hash in a user's row (made by the app's own hasher in the probe)."""
    return next(
        (
            v
            for c, v in (row or {}).items()
            if _is_password_column(c) and isinstance(v, str | bytes)
        ),
        None,
    )


def _is_password_column(column: str) -> bool:
    lowered = column.lower()
    return "password" in lowered or lowered in ("pw_hash", "hash", "passwd")


def _literal_row(row: Mapping[str, Any], *, password_hash: bool) -> dict[str, Any]:
    """A seeded row as written by the conftest: a user's password hash is made at run time."""
    written: dict[str, Any] = {}
    for column, value in row.items():
        if password_hash and _is_password_column(column) and isinstance(value, str | bytes):
            written[column] = Password()
        else:
            written[column] = value
    return written


def is_datetime_text(value: Any) -> bool:
    """Whether a value is a date-time written as text (``2024-01-02 03:04:05``)."""
    return isinstance(value, str) and bool(_DATETIME.match(value))
