"""Two users, A and B, and how each one presents credentials to the app.

The app's own register and login routes are preferred (that is also how a generated suite's
fixtures log in); failing those, users are written into the user table directly with a Werkzeug
password hash, and the credential is built the way the app's auth library accepts it (a JWT made
with the app's key, a Flask-Login session).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from testboost.analysis.inputs import InputSpec
from testboost.compat import client_cookies, set_client_cookies
from testboost.config import AuthConfig
from testboost.explore.database import SandboxDatabase, TableInfo
from testboost.explore.values import PASSWORD, is_email, valid_value
from testboost.inventory import Route

#: The generated conftest's fixtures for each identity: credential headers, or a logged-in
#: client for apps that log in with a session cookie. Reproducers use the same names.
HEADER_FIXTURES = {"A": "auth_headers", "B": "other_auth_headers", "admin": "admin_headers"}
CLIENT_FIXTURES = {"A": "user_client", "B": "other_user_client", "admin": "admin_client"}
#: Field names that take a user's username, and a display name.
USERNAME_FIELDS = ("username", "user", "login", "user_name")
NAME_FIELDS = ("name", "full_name", "display_name")
#: The name of the administrator identity, beside "A" and "B".
ADMIN = "admin"
_ADMIN_FLAGS = ("is_admin", "admin", "is_staff", "staff", "is_superuser", "superuser")
_ROLE_COLUMNS = ("role", "roles", "user_role", "user_type", "type", "kind", "level")

_REGISTER = re.compile(r"(register|signup|sign-up|sign_up|join)", re.IGNORECASE)
_LOGIN = re.compile(r"(login|log-in|signin|sign-in|sign_in|token|session)s?/?$", re.IGNORECASE)
_TOKEN_KEYS = ("access_token", "token", "jwt", "id_token", "auth_token", "accessToken")
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
class AuthRecipe:
    """How users were made and how they logged in, for the report and the generated suite."""

    register: str | None
    login: str | None
    credential: str  # "bearer", "cookie", "basic", "jwt-direct", "session-direct", "none"


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
    for f in spec.fields:
        if f.location not in ("json", "form"):
            continue
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
    if not body:
        body = {"email": values["email"], "username": values["username"], "password": PASSWORD}
    return body


def _body(spec: InputSpec, values: Mapping[str, str]) -> tuple[dict[str, Any], bool]:
    """The credential body and whether it is sent as a form."""
    return credential_body(spec, values), bool(spec.form_body and not spec.json_body)


def _post(client: FlaskClient, rule: str, body: dict[str, Any], form: bool) -> Any:
    if form:
        return client.post(rule, data=body)
    return client.post(rule, json=body)


def _token(payload: Any) -> str | None:
    if isinstance(payload, dict):
        for key in _TOKEN_KEYS:
            if isinstance(payload.get(key), str):
                return str(payload[key])
        for value in payload.values():
            found = _token(value)
            if found:
                return found
    return None


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
    for name in ("A", "B", ADMIN):
        values = {
            "email": f"tb-user-{name.lower()}@example.com",
            "username": f"tbuser{name.lower()}",
            "name": f"Testboost User {name}",
        }
        identity = Identity(name, None, "none", values["email"], values["username"])
        identity.client = app.test_client()
        for route in register_routes:
            body, form = _body(inputs.get((route.endpoint, "POST"), InputSpec()), values)
            response = _post(identity.client, route.rule, body, form)
            if response.status_code < 400:
                register_used = route.rule
                break
        users[name] = identity
    user_table = find_user_table(database)
    if user_table is None:
        return {}, AuthRecipe(None, None, "none"), None
    _ensure_rows(database, user_table, users)
    roles = {c: v for (t, c), v in (enums or {}).items() if t == user_table.name}
    if not _promote(database, user_table, users[ADMIN], roles):
        del users[ADMIN]
    credential = "none"
    login_used: str | None = None
    for identity in users.values():
        if configured is not None and _configured_login(app, routes, identity, configured):
            credential, login_used = identity.login, configured.login
            identity.remember_cookies()
            continue
        for route in login_routes:
            values = {
                "email": identity.email or "",
                "username": identity.username or "",
                "name": "",
            }
            body, form = _body(inputs.get((route.endpoint, "POST"), InputSpec()), values)
            assert identity.client is not None
            response = _post(identity.client, route.rule, body, form)
            token = _token(response.get_json(silent=True))
            if response.status_code < 400 and token:
                identity.headers["Authorization"] = f"Bearer {token}"
                identity.login, credential, login_used = "bearer", "bearer", route.rule
                break
            if (
                response.status_code < 400
                and _has_session_cookie(identity.client)
                and _session_works(app, routes, identity.client)
            ):
                identity.login, credential, login_used = "cookie", "cookie", route.rule
                break
            set_client_cookies(identity.client, ())
        if identity.login == "none":
            credential = _direct_credential(app, routes, identity) or credential
        identity.remember_cookies()
    return users, AuthRecipe(register_used, login_used, credential), user_table


def _configured_login(
    app: Flask, routes: tuple[Route, ...], identity: Identity, configured: AuthConfig
) -> bool:
    """Log ``identity`` in the way ``[tool.testboost.auth]`` says; whether it worked."""
    assert identity.client is not None
    values = {
        "email": identity.email or "",
        "username": identity.username or "",
        "password": PASSWORD,
        "name": identity.name,
    }
    response = _post(identity.client, configured.login, configured.fill(values), configured.form)
    if response.status_code >= 400:
        set_client_cookies(identity.client, ())
        return False
    if configured.token is not None:
        token: Any = response.get_json(silent=True)
        for part in configured.token.split("."):
            token = token.get(part) if isinstance(token, dict) else None
        if not isinstance(token, str):
            return False
        identity.headers[configured.header] = f"{configured.scheme} {token}".strip()
        identity.login = "configured-token"
        return True
    if _has_session_cookie(identity.client) and _session_works(app, routes, identity.client):
        identity.login = "configured-cookie"
        return True
    return False


def _has_session_cookie(client: FlaskClient) -> bool:
    return bool(client_cookies(client))


def _promote(
    database: SandboxDatabase,
    table: TableInfo,
    identity: Identity,
    enums: Mapping[str, tuple[str, ...]] | None,
) -> bool:
    """Make ``identity`` an administrator in the user table; whether any column allowed it."""
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
    if not values or identity.key is None:
        return False
    database.update(table, (identity.key,), values)
    return True


def _session_works(app: Flask, routes: tuple[Route, ...], client: FlaskClient) -> bool:
    """Whether a cookie jar really logs in: a guarded page answers it better than it answers nobody.

    Many apps set a session cookie on every response (CSRF tokens, flashed messages), so a cookie
    alone says nothing; a route guarded by a session that denies the anonymous client and lets
    this one through does. Without such a route the cookie is taken on trust.
    """
    probes = [
        r
        for r in routes
        if r.kind == "view" and "GET" in r.methods and not r.params and r.auth.kind != "none"
    ]
    anonymous = app.test_client()
    for route in sorted(probes, key=lambda r: r.rule)[:5]:
        denied = anonymous.get(route.rule).status_code
        if denied < 300:
            continue
        return client.get(route.rule).status_code < 300
    return True


def _ensure_rows(database: SandboxDatabase, table: TableInfo, users: dict[str, Identity]) -> None:
    """Find each user's row (registered through the app) or insert it directly."""
    from werkzeug.security import generate_password_hash

    rows = database.read()[table.name]
    for number, identity in enumerate(users.values(), start=1):
        for key, row in rows.items():
            if identity.email in row.values() or identity.username in row.values():
                identity.key = key[0]
                break
        if identity.key is not None:
            continue
        values: dict[str, Any] = {}
        for column in table.columns:
            lowered = column.name.lower()
            if column.primary_key and column.affinity == "int":
                continue
            if "password" in lowered or lowered in ("pw_hash", "hash"):
                values[column.name] = generate_password_hash(PASSWORD)
            elif is_email(lowered):
                values[column.name] = identity.email
            elif lowered in ("username", "login", "user_name"):
                values[column.name] = identity.username
            elif lowered in ("active", "is_active", "enabled", "confirmed", "is_verified"):
                values[column.name] = 1
            elif column.not_null and not column.has_default:
                from testboost.explore.seeding import column_value

                values[column.name] = column_value(column, 900 + number, {}, table.name)
        identity.key = database.insert(table, values)[0]


def _direct_credential(app: Flask, routes: tuple[Route, ...], identity: Identity) -> str | None:
    """Build a credential without a login route, the way the app's auth library accepts it."""
    kinds = {h.auth.kind for r in routes for h in r.handlers}
    if "jwt" in kinds and "flask-jwt-extended" in app.extensions:
        from flask_jwt_extended import create_access_token

        with app.app_context():
            token = create_access_token(identity=str(identity.key))
        identity.headers["Authorization"] = f"Bearer {token}"
        identity.login = "jwt-direct"
        return "jwt-direct"
    if "session" in kinds and hasattr(app, "login_manager") and identity.client is not None:
        with identity.client.session_transaction() as session:
            session["_user_id"] = str(identity.key)
            session["_fresh"] = True
        identity.login = "session-direct"
        return "session-direct"
    if "basic" in kinds:
        secret = base64.b64encode(f"{identity.username}:{PASSWORD}".encode()).decode()
        identity.headers["Authorization"] = f"Basic {secret}"
        identity.login = "basic"
        return "basic"
    return None
