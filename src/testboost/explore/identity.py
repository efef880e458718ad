"""Two users, A and B, and how each one presents credentials to the app.

The app's own register and login routes are preferred (that is also how a generated suite's
fixtures log in); failing those, users are written into the user table directly with the app's
own password hasher (see :mod:`testboost.explore.hashers`), and the credential is built the way the app's auth library accepts it (a JWT made
with the app's key, a Flask-Login session).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin

from flask import Flask
from flask.testing import FlaskClient

from testboost.analysis.inputs import InputSpec
from testboost.compat import client_cookies, set_client_cookies
from testboost.config import AuthConfig
from testboost.explore.admins import (
    ADMIN_NAME,
    ROLE_TABLES,
    RoleLink,
    add_link,
    link_admin,
    no_admin_line,
    role_links,
    role_name,
)
from testboost.explore.csrf import CsrfCheck, arm_users
from testboost.explore.database import SandboxDatabase, TableInfo, close_app_sessions
from testboost.explore.digest import DigestClient, digest_client, stop_signing
from testboost.explore.exchange import ADMIN
from testboost.explore.hashers import WERKZEUG, Hasher, hasher_of
from testboost.explore.login import (
    Evidence,
    Placement,
    Verifier,
    basic_header,
    find_token,
    login_form,
)
from testboost.explore.polymorphic import discriminators
from testboost.explore.seeding import column_value
from testboost.explore.values import PASSWORD, is_email, valid_value
from testboost.inventory import Route
from testboost.sandbox import user_frame_location

#: The generated conftest's fixtures for each identity: credential headers, or a logged-in
#: client for apps that log in with a session cookie. Reproducers use the same names.
HEADER_FIXTURES = {"A": "auth_headers", "B": "other_auth_headers", "admin": "admin_headers"}
CLIENT_FIXTURES = {"A": "user_client", "B": "other_user_client", "admin": "admin_client"}
#: Columns of the user table that hold the name a user logs in with.
USERNAME_COLUMNS = ("username", "login", "user_name")
#: Field names that take a user's username, and a display name.
USERNAME_FIELDS = ("username", "user", "login", "user_name")
NAME_FIELDS = ("name", "full_name", "display_name")
_ADMIN_FLAGS = ("is_admin", "admin", "is_staff", "staff", "is_superuser", "superuser")
_ROLE_COLUMNS = ("role", "roles", "user_role", "user_type", "type", "kind", "level")

#: Keys a JSON API nests credentials under (``{"user": {"email": ..., "password": ...}}``,
#: the RealWorld API's shape), tried when the flat body is refused.
WRAPPERS = ("user", "data")


def wrapped(body: dict[str, Any], wrap: str) -> dict[str, Any]:
    """``body`` nested under ``wrap`` (unchanged when ``wrap`` is empty)."""
    return {wrap: body} if wrap else body


_REGISTER = re.compile(r"(register|signup|sign-up|sign_up|join)", re.IGNORECASE)
#: ``/auth`` is Flask-JWT's login route
_LOGIN = re.compile(
    r"(login|log-in|signin|sign-in|sign_in|token|session|/auth)s?/?$", re.IGNORECASE
)
_USER_TABLES = ("user", "users", "account", "accounts", "member", "members", "customer")


@dataclass
class Identity:
    """A user the explorer acts as: its key in the user table, headers, and own cookie jar."""

    name: str
    key: Any
    login: str
    email: str | None = None
    username: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    #: headers the login route itself wants (HTTP Basic for a token route behind it)
    login_headers: dict[str, str] = field(default_factory=dict)
    client: FlaskClient | None = None
    cookies: list[Any] = field(default_factory=list)

    def remember_cookies(self) -> None:
        """Keep the cookie jar as it is after login, to put back before every request."""
        if self.client is not None:
            self.cookies = client_cookies(self.client)

    def restore_cookies(self) -> None:
        """Put the logged-in cookie jar back (a logout route may have cleared it)."""
        if self.client is not None:
            set_client_cookies(self.client, self.cookies)


@dataclass(frozen=True)
class LoginWay:
    """How every user logs in, as found (and verified) on user A.

    ``kind`` is ``token`` (a login answer's token sent by ``placement``), ``cookie`` (the session
    the login sets), ``basic`` (HTTP Basic on every request), ``digest`` (HTTP Digest on every
    request, signed by the user's client), ``api-key`` (``key_column`` of the
    user's row sent by ``placement``), ``jwt-direct`` or ``session-direct`` (made with the app's
    auth library, without a route). A login ``route`` takes a JSON body, a ``form`` or, with
    ``basic``, HTTP Basic credentials; ``page`` is the page whose form's hidden fields (the CSRF
    token, a nonce) go with it. ``user_field`` says whether the user is named by ``username`` or
    ``email``. ``configured`` is true when ``[tool.testboost.auth]`` stated it.
    """

    kind: str
    route: str | None = None
    form: bool = False
    basic: bool = False
    page: str | None = None
    placement: Placement | None = None
    token_path: tuple[str, ...] = ()
    key_column: str | None = None
    user_field: str = "username"
    configured: bool = False
    #: the key the JSON body is nested under (``{"user": {...}}``), empty when flat
    wrap: str = ""

    @property
    def credential(self) -> str:
        """The name the report and the generated suite know it by (``bearer``, ``cookie``...)."""
        if self.configured and self.kind in ("token", "cookie"):
            return "configured-token" if self.kind == "token" else "configured-cookie"
        return "bearer" if self.kind == "token" else self.kind

    def describe(self) -> str:
        """One line for people: ``POST /api/tokens with HTTP Basic, token as Authorization: Bearer``."""
        sent = "HTTP Basic" if self.basic else "a form" if self.form else "JSON"
        if self.wrap:
            sent += f' nested under "{self.wrap}"'
        how = f"POST {self.route} with {sent}" if self.route else ""
        if self.page:
            how += f" (hidden fields of {self.page})"
        placement = self.placement.label if self.placement else ""
        text = {
            "token": f"{how}, token as {placement}",
            "cookie": f"{how}, session cookie",
            "basic": f"HTTP Basic on every request ({self.user_field})",
            "digest": f"HTTP Digest on every request ({self.user_field})",
            "api-key": f"API key in {self.key_column}, sent as {placement}",
            "jwt-direct": "a JWT made with the app's key (flask-jwt-extended)",
            "session-direct": "a Flask-Login session written directly",
        }.get(self.kind, self.kind)
        return f"{text} ([tool.testboost.auth])" if self.configured else text


@dataclass(frozen=True)
class AuthRecipe:
    """How users were made and how they logged in, for the report and the generated suite.

    ``attempts`` are the logins tried, one line each; ``checks`` the guarded path each identity
    was verified on; ``suggestion`` a ``[tool.testboost.auth]`` text when no login worked.
    """

    register: str | None
    login: str | None
    credential: (
        str  # "bearer", "cookie", "basic", "api-key", "jwt-direct", "session-direct", "none"
    )
    way: LoginWay | None = None
    attempts: tuple[str, ...] = ()
    checks: Mapping[str, str] = field(default_factory=dict)
    suggestion: str = ""
    #: every route tried as a login route: their refusals are answers to bad credentials
    login_routes: tuple[str, ...] = ()
    #: every way that logged users in, ``way`` first (a session form and a token API, say)
    ways: tuple[LoginWay, ...] = ()
    #: per user, a guarded path each of its ways was verified on
    check_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: the key the sign-up body is nested under (``{"user": {...}}``), empty when flat
    register_wrap: str = ""
    #: the app's own password hasher users were written with; empty for Werkzeug's
    hasher: str = ""
    #: a ``[tool.testboost] setup`` text for pairs users were turned away from (their roles)
    setup_hint: str = ""
    #: the CSRF check the app makes on writes, and the users whose clients send its value
    csrf: CsrfCheck | None = None
    csrf_users: tuple[str, ...] = ()

    def describe(self) -> str:
        """The ways users logged in, for people: ``"none"`` when none did."""
        return " + ".join(w.describe() for w in self.ways) or "none"


def configured_way(c: AuthConfig) -> LoginWay:
    """The way ``[tool.testboost.auth]`` states: a login route, or credentials on every request."""
    if c.cookie:
        placement = Placement("cookie", c.cookie)
    elif c.query:
        placement = Placement("query", c.query)
    else:
        placement = Placement("header", c.header, c.scheme)
    if c.login is None:
        kind = "digest" if c.digest else "api-key" if c.api_key else "basic"
        return LoginWay(
            kind,
            placement=placement if c.api_key else None,
            key_column=c.api_key,
            user_field=c.user_field,
            configured=True,
        )
    return LoginWay(
        "token" if c.token else "cookie",
        c.login,
        form=c.form,
        basic=c.basic,
        page=c.login if c.form else None,
        placement=placement if c.token else None,
        token_path=tuple(c.token.split(".")) if c.token else (),
        user_field=c.user_field,
        configured=True,
    )


def find_user_table(database: SandboxDatabase) -> TableInfo | None:
    """The table users live in: one with a password column and an email or username."""
    for table in database.tables:
        names = {c.name.lower() for c in table.columns}
        has_secret = any("password" in n or n in ("pw_hash", "hash") for n in names)
        if has_secret and ({"email", "username", "login", "name"} & names):
            return table
    return next((t for t in database.tables if t.name.lower() in _USER_TABLES), None)


def _json_post_routes(
    routes: tuple[Route, ...], inputs: Mapping[tuple[str, str], InputSpec], pattern: re.Pattern[str]
) -> list[Route]:
    found = []
    for route in routes:
        if route.kind != "view" or "POST" not in route.methods or route.params:
            continue
        if pattern.search(route.rule) or pattern.search(route.endpoint.rpartition(".")[2]):
            found.append(route)
    return sorted(found, key=lambda r: len(r.rule))


def credential_body(spec: InputSpec, values: Mapping[str, str]) -> dict[str, Any]:
    """A register/login body from the route's inferred fields and one user's ``values``.

    ``values`` holds ``email``, ``username`` and ``name``; passwords are :data:`PASSWORD`. The
    generated suite's conftest fills its sign-up and login bodies with the same function, so it
    logs in exactly as the probe did.
    """
    body: dict[str, Any] = {}
    fields = [f for f in spec.fields if f.location in ("json", "form")]
    nest = [f for f in fields if f.type in ("dict", "object")]
    if len(fields) == 1 and nest:  # ``{"user": {...}}``: the credentials go inside
        return {nest[0].name: plain_credentials(values)}
    for f in fields:
        lowered = f.name.lower()
        if "password" in lowered or lowered in ("pw", "pass"):
            body[f.name] = PASSWORD
        elif is_email(lowered):
            body[f.name] = values["email"]
        elif lowered in USERNAME_FIELDS:
            body[f.name] = values["username"]
        elif lowered in NAME_FIELDS:
            body[f.name] = values["name"]
        elif f.required:
            body[f.name] = valid_value(f.name, f.type, 7)
    return body or plain_credentials(values)


def plain_credentials(values: Mapping[str, str]) -> dict[str, Any]:
    """``email``, ``username`` and ``password``: the body when nothing better is known."""
    return {"email": values["email"], "username": values["username"], "password": PASSWORD}


def nestable(body: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """What goes inside a nested body: ``body`` if it holds a password, else the plain one."""
    return body if PASSWORD in body.values() else plain_credentials(values)


def _body(spec: InputSpec, values: Mapping[str, str]) -> tuple[dict[str, Any], bool]:
    """The credential body and whether it is sent as a form."""
    return credential_body(spec, values), bool(spec.form_body and not spec.json_body)


def _post(client: FlaskClient, rule: str, body: dict[str, Any], form: bool) -> Any:
    if form:
        return client.post(rule, data=body)
    return client.post(rule, json=body)


def make_identities(
    app: Flask,
    routes: tuple[Route, ...],
    inputs: Mapping[tuple[str, str], InputSpec],
    database: SandboxDatabase,
    enums: Mapping[tuple[str, str], tuple[str, ...]] | None = None,
    configured: AuthConfig | None = None,
) -> tuple[dict[str, Identity], AuthRecipe, TableInfo | None]:
    """Create users A, B and an administrator, log each in; return them and the recipe used.

    The administrator is user A's twin with every admin-looking column of the user table set
    (``is_admin``, ``is_staff``, ``role = "admin"``...); without such a column there is none.
    ``enums`` gives the allowed values of enum columns, to pick the admin-looking one;
    ``configured`` is the project's own login recipe (``[tool.testboost.auth]``), tried first.
    """
    users: dict[str, Identity] = {}
    register_routes = _json_post_routes(routes, inputs, _REGISTER)
    login_routes = _json_post_routes(routes, inputs, _LOGIN)
    register_used: str | None = None
    register_wrap = ""
    for name in ("A", "B", ADMIN):
        values = {
            "email": f"tb-user-{name.lower()}@example.com",
            "username": f"tbuser{name.lower()}",
            "name": f"Testboost User {name}",
        }
        identity = Identity(name, None, "none", values["email"], values["username"])
        identity.client = digest_client(app)  # a plain client until it logs in with Digest
        for route in register_routes:
            body, form = _body(inputs.get((route.endpoint, "POST"), InputSpec()), values)
            for wrap in ("", *(() if form else WRAPPERS)):
                sent = wrapped(nestable(body, values), wrap) if wrap else body
                response = _post(identity.client, route.rule, sent, form)
                if response.status_code < 400:
                    register_used, register_wrap = route.rule, wrap
                    break
            if register_used == route.rule:
                break
        users[name] = identity
    user_table = find_user_table(database)
    if user_table is None:
        return {}, AuthRecipe(None, None, "none"), None
    hasher = hasher_of(app)
    links = role_links(app, database, user_table)
    kind = discriminators(app).get(user_table.name)
    fixed = {kind.column: kind.base} if kind is not None else {}
    if not _ensure_rows(database, user_table, users, hasher, links, fixed):
        # a sign-up route that answered < 400 without making the user (a form re-rendered
        # with its errors) did not sign anyone up: the suite must write the rows too
        register_used = None
    roles = {c: v for (t, c), v in (enums or {}).items() if t == user_table.name}
    if kind is not None:  # only a class the app maps: a row of no class cannot be loaded
        roles[kind.column] = kind.values
    admin_made = _promote(database, user_table, users[ADMIN], roles, links)
    if not admin_made:
        del users[ADMIN]
    logins = _Logins(app, routes, inputs, database, user_table, configured, login_routes)
    logins.hasher = hasher.name
    if register_used is None:
        logins.attempts.append(
            f"users written into {user_table.name} directly, with a {hasher.name} password hash"
        )
    ways = logins.log_in_all(users)
    if admin_made:
        ways = _only_admins_get_in(logins, database, links, users, ways)
    else:
        logins.attempts.append(no_admin_line(user_table, links))
    csrf, armed = arm_users(app, users, configured, logins.attempts) if ways else (None, ())
    close_app_sessions()  # nothing the logins left open may hold a lock while routes are driven
    way = ways[0] if ways else None
    recipe = AuthRecipe(
        register_used,
        way.route if way is not None else None,
        way.credential if way is not None else "none",
        way=way,
        attempts=tuple(logins.attempts),
        checks=dict(logins.checks),
        check_paths={k: tuple(v) for k, v in logins.check_paths.items()},
        suggestion=logins.suggestion() if way is None else "",
        login_routes=tuple(r.rule for r in login_routes),
        ways=ways,
        register_wrap=register_wrap if register_used else "",
        hasher="" if hasher is WERKZEUG else hasher.name,
        setup_hint=setup_hint(app, user_table),
        csrf=csrf,
        csrf_users=armed,
    )
    return users, recipe, user_table


def _promote(
    database: SandboxDatabase,
    table: TableInfo,
    identity: Identity,
    enums: Mapping[str, tuple[str, ...]] | None,
    links: Sequence[RoleLink] = (),
) -> bool:
    """Make ``identity`` an administrator: an admin flag or role column of the user table, a
    role row the app named for administrators (through a foreign key or an association table);
    whether any of them did."""
    values: dict[str, Any] = {}
    for column in table.columns:
        lowered = column.name.lower()
        if lowered in _ADMIN_FLAGS:
            values[column.name] = 1
        elif lowered in _ROLE_COLUMNS:
            allowed = (enums or {}).get(column.name, ("admin",))
            chosen = next((v for v in allowed if "admin" in v.lower()), None)
            if chosen is not None:
                values[column.name] = chosen
    values.update(_admin_role(database, table))
    if identity.key is None:
        return False
    if values:
        database.update(table, (identity.key,), values)
    linked = link_admin(database, links, identity.key)
    return bool(values) or linked is not None


_SETUP_COMMAND = re.compile(r"deploy|init|seed|setup|bootstrap|insert|roles?", re.IGNORECASE)


def setup_hint(app: Flask, table: TableInfo) -> str:
    """A ``[tool.testboost] setup`` text naming the app's own command that makes its roles.

    Only for a user table that points at a role or group table (the rows the app's own setup
    makes, with the permissions users need), and an app command whose name says it sets up.
    """
    if not any(ROLE_TABLES.search(fk.parent_table) for fk in table.foreign_keys):
        return ""
    commands = [name for name in getattr(app.cli, "commands", {}) if _SETUP_COMMAND.search(name)]
    if not commands:
        return ""
    return (
        "[tool.testboost]\n"
        f'setup = ["flask {commands[0]}"]  # your command that makes the roles users need'
    )


def _admin_role(database: SandboxDatabase, table: TableInfo) -> dict[str, Any]:
    """``{role_id: key}`` of a role or group row the app named for administrators, if any.

    flasky's users point at ``roles``; the row its ``flask deploy`` makes as "Administrator" is
    what makes one. Only rows the app made count: testboost never invents an administrator role.
    """
    values: dict[str, Any] = {}
    for fk in table.foreign_keys:
        if fk.parent_table == table.name or not ROLE_TABLES.search(fk.parent_table):
            continue
        for row in database.read().get(fk.parent_table, {}).values():
            texts = [v for v in row.values() if isinstance(v, str)]
            if any("admin" in t.lower() for t in texts):
                values[fk.column] = row.get(fk.parent_column)
                break
    return values


def _ensure_rows(
    database: SandboxDatabase,
    table: TableInfo,
    users: dict[str, Identity],
    hasher: Hasher,
    links: Sequence[RoleLink] = (),
    fixed: Mapping[str, Any] | None = None,
) -> bool:
    """Find each user's row (registered through the app) or insert it directly.

    True when the app made every row itself. Rows written directly get a value in every
    column without a foreign key, as the model's Python-side defaults would have given them
    (a ``last_seen`` the app reads back is not NULL).
    """
    made_by_app = True
    rows = database.read()[table.name]
    foreign = {fk.column for fk in table.foreign_keys}
    # the column a user logs in by name with: a ``name`` only without a better one (CTFd's users)
    names = [c.name.lower() for c in table.columns]
    login_column = next((n for n in (*USERNAME_COLUMNS, "name") if n in names), "")
    parents = _parent_rows(database, table) if any(i.key is None for i in users.values()) else {}
    for number, identity in enumerate(users.values(), start=1):
        for key, row in rows.items():
            if identity.email in row.values() or identity.username in row.values():
                identity.key = key[0]
                break
        if identity.key is not None:
            continue
        made_by_app = False
        values: dict[str, Any] = {}
        for column in table.columns:
            lowered = column.name.lower()
            if column.primary_key and column.affinity == "int":
                continue
            if fixed and column.name in fixed:  # a polymorphic discriminator: the base class
                values[column.name] = fixed[column.name]
            elif ("password" in lowered or lowered in ("pw_hash", "hash")) and column.affinity in (
                "str",
                "json",
            ):  # a ``change_password`` flag is no password
                binary = any(w in column.declared.upper() for w in ("BLOB", "BINARY"))
                values[column.name] = hasher.hash(PASSWORD, binary=binary)
            elif is_email(lowered):
                values[column.name] = identity.email
            elif lowered == login_column:
                values[column.name] = identity.username
            elif lowered in ("active", "is_active", "enabled", "confirmed", "is_verified"):
                values[column.name] = 1
            elif column.name in parents:
                values[column.name] = parents[column.name]
            elif column.name in foreign or column.has_default:
                continue
            elif column.not_null or (
                column.affinity in ("datetime", "date") and not _STATE_WORDS.search(lowered)
            ):
                values[column.name] = column_value(column, 900 + number, {}, table.name)
        identity.key = database.insert(table, values)[0]
        _link_roles(database, links, identity.key)
    return made_by_app


#: Date columns that would change what a user may do if they held a date.
_STATE_WORDS = re.compile(r"delet|ban|lock|expir|disabl|revok|suspend", re.IGNORECASE)


def _parent_rows(database: SandboxDatabase, table: TableInfo) -> dict[str, Any]:
    """A row for every foreign key of the user table (a default group, a role, a profile).

    A user the app makes always has them (a forum's primary group, ...): a user row without
    them is a user the app could not have made, and whatever crashes on it is no finding. The
    parent's first row is used; an empty parent table gets one.
    """
    values: dict[str, Any] = {}
    for fk in table.foreign_keys:
        if fk.parent_table == table.name:
            continue
        key = _first_or_new(database, fk.parent_table, fk.parent_column)
        if key is not None:
            values[fk.column] = key
    return values


def _first_or_new(database: SandboxDatabase, name: str, column: str) -> Any:
    parent = database.table(name)
    if parent is None:
        return None
    rows = database.read()[parent.name]
    if rows:
        return next(iter(rows.values())).get(column)
    # every column the way seeding fills one: a NULL the app never writes (flasky's
    # ``roles.permissions``, set by ``Role.__init__``) makes users the app could not have made
    new: dict[str, Any] = {}
    foreign = {fk.column for fk in parent.foreign_keys}
    for c in parent.columns:
        if c.primary_key and c.affinity == "int" and len(parent.primary_key) == 1:
            continue
        if c.name in foreign and not c.not_null:
            continue
        new[c.name] = column_value(c, 800, {}, parent.name)
    try:
        database.insert(parent, new)
    except Exception:  # a parent it cannot make: the user row goes without
        return None
    rows = database.read()[parent.name]
    return next(iter(rows.values())).get(column) if rows else None


def _only_admins_get_in(
    logins: _Logins,
    database: SandboxDatabase,
    links: Sequence[RoleLink],
    users: dict[str, Identity],
    ways: tuple[LoginWay, ...],
) -> tuple[LoginWay, ...]:
    """When the role the app gives its users lets nobody in and its administrators' role does
    (Flask-AppBuilder's "Public" grants nothing), link A and B to the administrators' role too,
    as the app's administrator would, and log them in again."""
    ordinary = [users[name] for name in ("A", "B") if name in users]

    def shut_out(identity: Identity) -> bool:
        client = identity.client
        return client is not None and not logins.verifier.passes(
            client, identity.headers, identity.query
        )

    if not links or not ordinary or not logins.verifier.probes or shut_out(users[ADMIN]):
        return ways
    if not all(shut_out(identity) for identity in ordinary):
        return ways
    linked = [i.name for i in ordinary if link_admin(database, links, i.key) is not None]
    if not linked:
        return ways
    for identity in ordinary:
        _forget(identity)
    logins.attempts.append(
        f"{', '.join(linked)}: turned away with the role the app gives its users; linked to "
        "its administrators' role as well, as its administrator would"
    )
    return logins.log_in_all({i.name: i for i in ordinary}) or ways


def _link_roles(database: SandboxDatabase, links: Sequence[RoleLink], key: Any) -> None:
    """Link a directly made user to a role or group through an association table, if any: the
    first row not named for administrators (the one the app gives its users), or a new row when
    the table is empty; never an administrator's role."""
    for link in links:
        rows = database.read().get(link.role_table, {}).values()
        ordinary = [r for r in rows if not ADMIN_NAME.search(role_name(r))]
        if ordinary:
            parent = ordinary[0].get(link.role_key)
        elif rows:
            continue  # only an administrators' role: the user goes without
        else:
            parent = _first_or_new(database, link.role_table, link.role_key)
        if parent is not None:
            add_link(database, link, key, parent)


class _Logins:
    """Tries the ways to log in on user A, in order of evidence; the others follow A's way."""

    def __init__(
        self,
        app: Flask,
        routes: tuple[Route, ...],
        inputs: Mapping[tuple[str, str], InputSpec],
        database: SandboxDatabase,
        user_table: TableInfo,
        configured: AuthConfig | None,
        login_routes: list[Route],
    ) -> None:
        self.app = app
        self.routes = routes
        self.inputs = inputs
        self.database = database
        self.user_table = user_table
        self.configured = configured
        self.login_routes = login_routes
        self.evidence = Evidence.of(app, routes)
        rules = [r.rule for r in login_routes]
        rules += [configured.login] if configured is not None and configured.login else []
        self.verifier = Verifier(app, routes, rules)
        self.attempts: list[str] = []
        self.hasher = WERKZEUG.name
        #: the probe each user was first seen logged in on, and one per way it logged in
        self.checks: dict[str, str] = {}
        self.check_paths: dict[str, list[str]] = {}

    # -- the whole run --------------------------------------------------------------------------

    def log_in_all(self, users: dict[str, Identity]) -> tuple[LoginWay, ...]:
        """Log every user in; the ways that worked for A, the first one first (none: empty).

        An app may have two ways in (a session form for its pages, a token or HTTP Basic for its
        API): once a way works, the others are still tried on A, and each one that gets A
        through a probe the ways so far did not is kept too. Every user then holds every way
        (the session cookie and the header at once), as a browser and an API client would.
        """
        ways: list[LoginWay] = []
        for identity in users.values():
            held: list[LoginWay] = []
            for way in ways:
                used = self._use(way, identity) if not held else self._add(way, identity, held)
                if used is not None:
                    held.append(used)
            if not held:
                for candidate in self._candidates():
                    if held and not self._left(identity):
                        break
                    if held and _conflicts(candidate, held):
                        continue
                    used = (
                        self._add(candidate, identity, held)
                        if held
                        else self._use(candidate, identity)
                    )
                    if used is not None:
                        held.append(used)
                ways = ways or held
            identity.remember_cookies()
        if not ways and not self.attempts:
            self.attempts.append("no login route, API key or auth library testboost can use")
        return tuple(ways)

    def _left(self, identity: Identity) -> bool:
        """Whether some probe still turns ``identity`` away with what it holds."""
        assert identity.client is not None
        passed = self.verifier.passes(identity.client, identity.headers, identity.query)
        return len(passed) < len(self.verifier.probes)

    def _add(self, way: LoginWay, identity: Identity, held: list[LoginWay]) -> LoginWay | None:
        """Log ``identity`` in ``way`` too, kept only when it gets through a probe it did not.

        The new way is tried alone, then together with what the user held: the header or cookie
        of the earlier way wins a clash, and together they must pass every probe the earlier
        ways passed and more.
        """
        assert identity.client is not None
        client = identity.client
        headers, query = dict(identity.headers), dict(identity.query)
        cookies, login, basic = client_cookies(client), identity.login, identity.login_headers
        before = set(self.verifier.passes(client, headers, query))
        used = self._use(way, identity)
        if used is not None:
            # the earlier session wins a clash; without one, the old cookies carry no login (a
            # sign-up's flash message) and must not replace the new session
            new = client_cookies(client)
            earlier_session = any(h.kind in _COOKIE_KINDS for h in held)
            set_client_cookies(client, [*new, *cookies] if earlier_session else [*cookies, *new])
            identity.headers = {**identity.headers, **headers}
            identity.query = {**identity.query, **query}
            after = set(self.verifier.passes(client, identity.headers, identity.query))
            if after > before:
                self.attempts.append(
                    f"{identity.name}: kept beside the earlier login: it also gets through "
                    + ", ".join(f"GET {p}" for p in sorted(after - before))
                )
                identity.login, identity.login_headers = login, basic or identity.login_headers
                return used
        set_client_cookies(client, cookies)
        identity.headers, identity.query = headers, query
        identity.login, identity.login_headers = login, basic
        return None

    def _candidates(self) -> list[LoginWay]:
        ways: list[LoginWay] = []
        if self.configured is not None and self.configured.states_login:
            ways.append(configured_way(self.configured))
        for route in self.login_routes:
            handler = route.handler("POST")
            spec = self.inputs.get((route.endpoint, "POST"), InputSpec())
            reads_basic = handler is not None and (
                handler.auth.kind == "basic" or "request.authorization" in _source_of(handler)
            )
            if reads_basic:
                ways.append(LoginWay("token", route.rule, basic=True))
                ways.append(LoginWay("token", route.rule, basic=True, user_field="email"))
                continue
            form = bool(spec.form_body and not spec.json_body)
            page = route.rule if "GET" in route.methods else None
            ways.append(LoginWay("token", route.rule, form=form, page=page if form else None))
            if page is not None and not form:
                ways.append(LoginWay("token", route.rule, form=True, page=page))
        key_column = next(
            (
                c.name
                for c in self.user_table.columns
                if c.name.lower() in _API_KEY_COLUMNS and not c.primary_key
            ),
            None,
        )
        if key_column is not None:
            ways.extend(
                LoginWay("api-key", placement=p, key_column=key_column)
                for p in self.evidence.key_places
            )
        if self.evidence.digest or self.verifier.digest:
            ways.append(LoginWay("digest"))
            ways.append(LoginWay("digest", user_field="email"))
        if self.evidence.basic:
            ways.append(LoginWay("basic"))
            ways.append(LoginWay("basic", user_field="email"))
        kinds = {h.auth.kind for r in self.routes for h in r.handlers}
        if "flask-jwt-extended" in self.app.extensions:
            ways.append(LoginWay("jwt-direct"))
        if hasattr(self.app, "login_manager") and ("session" in kinds or self.verifier.probes):
            ways.append(LoginWay("session-direct"))
        return ways

    # -- one way for one user -------------------------------------------------------------------

    def _use(self, way: LoginWay, identity: Identity) -> LoginWay | None:
        """Log ``identity`` in ``way``; the way as it worked (token placement found), or None."""
        assert identity.client is not None
        _forget(identity)
        try:
            used, message = self._try(way, identity)
        except Exception as exc:  # the app's own code (an identity loader, a hook) failed
            where = user_frame_location(traceback.extract_tb(exc.__traceback__))
            used, message = (
                None,
                (
                    f"{way.describe()}: the app raised {type(exc).__name__}: {exc}"
                    + (f" at {where}" if where else "")
                ),
            )
        self.attempts.append(f"{identity.name}: {message}")
        if used is not None:
            identity.login = used.credential
            if used.basic and used.route:
                user = identity.email if used.user_field == "email" else identity.username
                identity.login_headers = basic_header(user or "", PASSWORD)
            return used
        _forget(identity)
        identity.login = "none"
        return None

    def _try(self, way: LoginWay, identity: Identity) -> tuple[LoginWay | None, str]:
        if way.kind in ("token", "cookie") and way.route is not None:
            return self._try_route(way, identity)
        if way.kind == "basic":
            user = identity.email if way.user_field == "email" else identity.username
            identity.headers.update(basic_header(user or "", PASSWORD))
        elif way.kind == "digest":
            assert isinstance(identity.client, DigestClient)
            user = identity.email if way.user_field == "email" else identity.username
            identity.client.credentials = (user or "", PASSWORD)
        elif way.kind == "api-key" and way.placement is not None and way.key_column:
            key = f"tb-api-key-{identity.name.lower()}-0123456789"
            self.database.update(self.user_table, (identity.key,), {way.key_column: key})
            headers, query = way.placement.apply(key)
            way.placement.give(identity.client, key)
            identity.headers.update(headers)
            identity.query.update(query)
        elif way.kind == "jwt-direct":
            from flask_jwt_extended import create_access_token

            with self.app.app_context():
                token = create_access_token(identity=str(identity.key))
            identity.headers["Authorization"] = f"Bearer {token}"
        elif way.kind == "session-direct":
            assert identity.client is not None
            with identity.client.session_transaction() as session:
                session["_user_id"] = str(identity.key)
                session["_fresh"] = True
        return self._verified(way, identity, way.describe())

    def _verified(
        self, way: LoginWay, identity: Identity, what: str
    ) -> tuple[LoginWay | None, str]:
        """``way`` when a guarded route lets ``identity`` through now, with a line saying so."""
        assert identity.client is not None
        # a session, or a Digest client whose nonce lives in its session: the user's own client
        own = way.kind in ("cookie", "session-direct", "digest") or (
            way.placement is not None and way.placement.where == "cookie"
        )
        client = identity.client if own else self.app.test_client()
        works, shown = self.verifier.works(client, identity.headers, identity.query)
        if works is None:
            return way, f"{what}: taken on trust (no guarded GET route to check it on)"
        if works:
            self.checks.setdefault(identity.name, shown)
            self.check_paths.setdefault(identity.name, [])
            if shown not in self.check_paths[identity.name]:
                self.check_paths[identity.name].append(shown)
            return way, f"{what}: logged in (GET {shown} let it through)"
        return None, f"{what}: not logged in ({shown})"

    def _try_route(self, way: LoginWay, identity: Identity) -> tuple[LoginWay | None, str]:
        assert identity.client is not None and way.route is not None
        client = identity.client
        # a login body's "name" field names the user (CTFd's form takes a name or an email)
        name = identity.username or ""
        values = {"email": identity.email or "", "username": name, "name": name}
        target = way.route
        headers: dict[str, str] = {}
        label = f"POST {way.route}"
        if way.configured and self.configured is not None:
            body: dict[str, Any] = self.configured.fill({**values, "password": PASSWORD})
            if way.page:
                body = {**_page_hidden(client, way.page), **body}
            if way.basic:
                user = body.pop("username", None) or body.pop("email", None) or values["username"]
                body.pop("password", None)
                headers = basic_header(str(user), PASSWORD)
            label += " ([tool.testboost.auth])"
        elif way.basic:
            user = identity.email if way.user_field == "email" else identity.username
            headers = basic_header(user or "", PASSWORD)
            body = {}
            label += f" with HTTP Basic ({way.user_field})"
        elif way.page:
            page = client.get(way.page)
            form = login_form(page.get_data(as_text=True))
            if form is None:
                return None, f"GET {way.page} shows no form with a password field"
            body = form.body(values, PASSWORD)
            if form.action:
                target = urljoin(way.page, form.action)
            hidden = [name for name, kind, _ in form.inputs if kind == "hidden"]
            label = f"POST {target} with the form of {way.page}" + (
                f" ({', '.join(hidden)} from the page)" if hidden else ""
            )
        else:
            spec = self.inputs.get((_endpoint(self.routes, way.route), "POST"), InputSpec())
            body = credential_body(spec, values)
            label += f" with {'a form' if way.form else 'JSON'} ({', '.join(body)})"
        if way.basic and not body:
            response = client.post(target, headers=headers)
        elif way.form or way.page:
            response = client.post(target, data=body, headers=headers)
        else:
            plain = not (way.configured or way.basic or way.wrap)
            shapes = (way.wrap,) if way.wrap else ("", *(WRAPPERS if plain else ()))
            for wrap in shapes:
                sent = wrapped(nestable(body, values), wrap) if wrap else body
                response = client.post(target, json=sent, headers=headers)
                if response.status_code < 400 and not self.verifier.denied(response):
                    break
            if plain and wrap and response.status_code < 400:
                way = replace(way, wrap=wrap)
                label += f' nested under "{wrap}"'
        status = response.status_code
        if status >= 400 or self.verifier.denied(response):
            return None, f"{label}: answered {status}"
        found = find_token(response.get_json(silent=True))
        if found is not None and way.kind == "token":
            token, path = found
            if way.token_path:
                value: Any = response.get_json(silent=True)
                for part in way.token_path:
                    value = value.get(part) if isinstance(value, dict) else None
                if not isinstance(value, str):
                    return None, f"{label}: answered {status} without {'.'.join(way.token_path)}"
                token, path = value, way.token_path
            placements = (way.placement,) if way.placement else self.evidence.placements
            tried = []
            for placement in placements:
                _forget(identity)
                sent, query = placement.apply(token)
                placement.give(client, token)
                identity.headers.update(sent)
                identity.query.update(query)
                chosen = replace(way, placement=placement, token_path=path)
                what = f"{label}, token {'.'.join(path)} as {placement.label}"
                used, message = self._verified(chosen, identity, what)
                if used is not None:
                    return used, message
                tried.append(placement.label)
            _forget(identity)
            return None, (
                f"{label}: answered {status} with a token ({'.'.join(path)}), "
                f"but no guard took it as {', '.join(tried)}"
            )
        if not client_cookies(client):
            return None, f"{label}: answered {status} with no token and no cookie"
        return self._verified(replace(way, kind="cookie"), identity, f"{label}, session cookie")

    # -- when nothing worked --------------------------------------------------------------------

    def suggestion(self) -> str:
        """A ``[tool.testboost.auth]`` text that states the login testboost could not find."""
        route = self.login_routes[0] if self.login_routes else None
        every_request = "digest" if self.evidence.digest or self.verifier.digest else ""
        every_request = every_request or ("basic" if self.evidence.basic else "")
        if route is None and every_request:
            return (
                "[tool.testboost.auth]\n"
                f"{every_request} = true  # HTTP {every_request.title()} on every request\n"
                'body = { username = "{username}" }  # "{email}" when users give their email'
            )
        if route is None:
            return (
                "[tool.testboost.auth]\n"
                'login = "/your/login/route"   # the route your users POST credentials to\n'
                'body = { username = "{username}", password = "{password}" }\n'
                'token = "access_token"        # the token\'s key in the answer; omit for a session cookie'
            )
        handler = route.handler("POST")
        spec = self.inputs.get((route.endpoint, "POST"), InputSpec())
        lines = ["[tool.testboost.auth]", f"login = {_toml(route.rule)}"]
        if handler is not None and handler.auth.kind == "basic":
            lines.append("basic = true  # credentials sent as HTTP Basic")
        else:
            fields = credential_body(
                spec, {"email": "{email}", "username": "{username}", "name": "{name}"}
            )
            fields = {k: ("{password}" if v == PASSWORD else v) for k, v in fields.items()}
            inner = ", ".join(f"{k} = {_toml(str(v))}" for k, v in fields.items())
            lines.append(f"body = {{ {inner} }}")
            if spec.form_body and not spec.json_body:
                lines.append("form = true")
        if not (spec.form_body and not spec.json_body):
            placement = self.evidence.placements[0]
            lines.append(
                'token = "access_token"  # its key in the answer; omit for a session cookie'
            )
            if placement.where == "header":
                lines.append(f"header = {_toml(placement.name)}")
                lines.append(f"scheme = {_toml(placement.scheme)}")
        if any(": answered 4" in a for a in self.attempts):
            lines.append(
                f"# it refused testboost's users (rows with a {self.hasher} password hash): if"
                " yours need another hasher, a confirmed flag or a role, a recipe alone will not do"
            )
        return "\n".join(lines)


_API_KEY_COLUMNS = ("api_key", "apikey", "api_token", "token", "auth_token", "access_token")


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _endpoint(routes: tuple[Route, ...], rule: str) -> str:
    return next((r.endpoint for r in routes if r.rule == rule and "POST" in r.methods), "")


def _source_of(handler: Any) -> str:
    import inspect

    try:
        return inspect.getsource(handler.function)
    except (OSError, TypeError):
        return ""


def _conflicts(way: LoginWay, held: list[LoginWay]) -> bool:
    """Whether ``way`` would take the place of a way already held: a second session cookie."""
    return way.kind in _COOKIE_KINDS and any(h.kind in _COOKIE_KINDS for h in held)


_COOKIE_KINDS = ("cookie", "session-direct")


def _forget(identity: Identity) -> None:
    """Drop every credential ``identity`` holds: cookies, headers, query arguments."""
    if identity.client is not None:
        set_client_cookies(identity.client, ())
        stop_signing(identity.client)
    identity.headers.clear()
    identity.query.clear()


def _page_hidden(client: FlaskClient, page: str) -> dict[str, str]:
    form = login_form(client.get(page).get_data(as_text=True))
    return {n: v for n, k, v in form.inputs if k == "hidden"} if form else {}
