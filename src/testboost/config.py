"""Settings a project states in ``[tool.testboost]`` of its ``pyproject.toml``.

Most apps need none: the app spec (``app = "..."``) and, where testboost cannot infer how users
log in, an auth recipe::

    [tool.testboost.auth]
    login = "/api/v1/security/login"       # the route credentials are POSTed to
    body = { username = "{username}", password = "{password}", provider = "db" }
    form = false                            # true: send the body as a form, not JSON
    token = "access_token"                  # JSON key (dotted path) of the token; omit for cookies
    header = "Authorization"                # where the token goes ...
    scheme = "Bearer"                       # ... and its prefix ("" for none)
    basic = false                           # true: send the credentials as HTTP Basic instead
    cookie = "access_token"                 # or: send the token as this cookie ...
    query = "token"                         # ... or as this query argument

A token route behind HTTP Basic (``POST /api/tokens``) is ``login = "/api/tokens"``,
``basic = true``, ``token = "access_token"``. A form login reads the login page first and sends
its hidden fields (the CSRF token, a nonce) with the body.

Without ``login``, credentials go with every request: ``basic = true`` (HTTP Basic) or
``digest = true`` (HTTP Digest), the user named by ``body``'s ``username`` (``"{email}"`` names
it by email); or ``api_key = "api_key"``, the user table's column testboost sets a key in per
user, sent in ``header`` (with ``scheme``, empty unless given) or ``query``.

``{email}``, ``{username}``, ``{password}`` and ``{name}`` are filled with each probe user's values.

Where testboost cannot make the app's schema by itself, the commands that make it::

    [tool.testboost]
    setup = ["flask init-db", "flask seed-roles"]   # run in the sandbox, in this order

An app that sends every request to a first-run setup page (CTFd's ``/setup``) has its form sent
once, filled by testboost; where that is not enough, the fields it needs (or ``false``: leave it)::

    [tool.testboost]
    setup_form = { page = "/setup", fields = { user_mode = "users" } }
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from testboost.errors import UsageError

PLACEHOLDERS = ("email", "username", "password", "name")


def read_pyproject(directory: Path) -> dict[str, Any]:
    """The ``[tool.testboost]`` table of ``directory/pyproject.toml`` (empty when absent)."""
    path = directory / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"Cannot read {path}: {exc}. Fix the file or pass --app.") from exc
    table = data.get("tool", {}).get("testboost", {})
    return table if isinstance(table, dict) else {}


@dataclass(frozen=True)
class AuthConfig:
    """How users log in, as the project states it."""

    #: the login route; None when credentials go with every request (Basic, Digest, an API key)
    login: str | None
    body: Mapping[str, Any] = field(default_factory=dict)
    form: bool = False
    token: str | None = None
    header: str = "Authorization"
    scheme: str = "Bearer"
    basic: bool = False
    digest: bool = False
    #: the user table's column holding each user's API key
    api_key: str | None = None
    #: the cookie, or the query argument, the token or key is sent in instead of ``header``
    cookie: str | None = None
    query: str | None = None
    #: the header and form field the app reads its CSRF value from on writes, and the session
    #: key it keeps it under (found by its name when not given)
    csrf_header: str = ""
    csrf_field: str = ""
    csrf_session: str = ""

    @property
    def states_login(self) -> bool:
        """Whether it states how users log in (not only the CSRF value of their writes)."""
        return self.login is not None or self.basic or self.digest or self.api_key is not None

    @property
    def user_field(self) -> str:
        """What names the user on every request: ``email`` when ``body`` says ``{email}``."""
        return "email" if "{email}" in self.body.values() else "username"

    def fill(self, values: Mapping[str, str]) -> dict[str, Any]:
        """The login body with the placeholders of one user filled in (nested tables too).

        >>> AuthConfig("/login", {"user": {"email": "{email}"}}).fill({"email": "a@b.c"})
        {'user': {'email': 'a@b.c'}}
        """
        filled = _filled(dict(self.body), values)
        assert isinstance(filled, dict)
        return filled


def _filled(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for name in PLACEHOLDERS:
            value = value.replace("{" + name + "}", values.get(name, ""))
        return value
    if isinstance(value, Mapping):
        return {key: _filled(inner, values) for key, inner in value.items()}
    if isinstance(value, list):
        return [_filled(inner, values) for inner in value]
    return value


def load_auth_config(directory: Path | None = None) -> AuthConfig | None:
    """``[tool.testboost.auth]`` of ``directory/pyproject.toml``, or None when it says nothing."""
    table = read_pyproject(directory or Path.cwd()).get("auth")
    if table is None:
        return None
    where = "[tool.testboost.auth] in pyproject.toml"
    if not isinstance(table, dict):
        raise UsageError(f'{where} needs login = "/the/login/route" (a string).')
    expected = {
        "login": str,
        "body": dict,
        "form": bool,
        "token": str,
        "header": str,
        "scheme": str,
        "basic": bool,
        "digest": bool,
        "api_key": str,
        "cookie": str,
        "query": str,
        "csrf_header": str,
        "csrf_field": str,
        "csrf_session": str,
    }
    for key, value in table.items():
        if key not in expected:
            raise UsageError(f"{where}: unknown key {key!r}; the keys are {', '.join(expected)}.")
        if not isinstance(value, expected[key]):
            raise UsageError(f"{where}: {key} must be a {expected[key].__name__}.")
    every_request = table.get("digest") or table.get("api_key") or table.get("basic")
    csrf_only = bool(table) and all(key.startswith("csrf_") for key in table)
    if csrf_only and not (table.get("csrf_header") or table.get("csrf_field")):
        raise UsageError(f'{where}: csrf_session goes with csrf_header = "X-CSRFToken".')
    if "login" not in table and not every_request and not csrf_only:
        raise UsageError(
            f'{where} needs login = "/the/login/route" (a string), or basic = true, '
            'digest = true or api_key = "column" for credentials sent with every request.'
        )
    if "login" in table and (table.get("digest") or table.get("api_key")):
        raise UsageError(
            f"{where}: digest and api_key go with every request; leave login out with them."
        )
    if table.get("api_key") and "scheme" not in table:
        table = {**table, "scheme": ""}  # an API key is sent as it is unless a scheme is given
    return AuthConfig(**{"login": None, **table})


def load_setup(directory: Path | None = None) -> tuple[str, ...]:
    """``[tool.testboost] setup``: the commands that make the app's schema (none when absent)."""
    value = read_pyproject(directory or Path.cwd()).get("setup", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UsageError(
            "[tool.testboost] setup in pyproject.toml must be a list of commands, e.g. "
            'setup = ["flask init-db"].'
        )
    return tuple(value)


@dataclass(frozen=True)
class SetupFormConfig:
    """``[tool.testboost] setup_form``: the setup page and fields to send, or ``off``."""

    page: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    off: bool = False


def load_setup_form(directory: Path | None = None) -> SetupFormConfig | None:
    """``[tool.testboost] setup_form`` of ``directory/pyproject.toml``; None when it says nothing."""
    value = read_pyproject(directory or Path.cwd()).get("setup_form")
    if value is None:
        return None
    if value is False:
        return SetupFormConfig(off=True)
    example = 'setup_form = { page = "/setup", fields = { name = "admin" } } (or false)'
    if not isinstance(value, dict) or set(value) - {"page", "fields"}:
        raise UsageError(f"[tool.testboost] setup_form in pyproject.toml must be {example}.")
    page, fields = value.get("page"), value.get("fields", {})
    if (page is not None and not (isinstance(page, str) and page.startswith("/"))) or not (
        isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())
    ):
        raise UsageError(
            f"[tool.testboost] setup_form: page is a path and fields are text; e.g. {example}."
        )
    return SetupFormConfig(page=page, fields=dict(fields))
