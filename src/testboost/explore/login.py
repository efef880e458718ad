"""Logging a probe user in the way the app's own users do, each way verified by a guarded route.

A login counts only when a guarded route that turns an anonymous client away (401, 403, a
redirect to the login page) then answers the logged-in user otherwise. The ways, in the order
the app's code makes likely:

- a login route (JSON or form body; HTTP Basic when the route is guarded by Basic, like
  microblog-api's ``POST /api/tokens``) that answers a token anywhere in its body, sent where
  the app's guard reads it (``Authorization: Bearer``/``Token``/``JWT``, a custom header, a
  cookie, a query argument) — read from the guard's source and Flask-HTTPAuth's settings;
- the same route answering a session cookie, with the CSRF token or nonce the login page puts
  in its form (Flask-WTF's hidden ``csrf_token``);
- an API key: a key column of the user table set to a known value, sent where the app reads it;
- HTTP Digest on every request (Flask-HTTPAuth's ``HTTPDigestAuth``, or a guard whose 401
  carries a Digest challenge), each request signed by :mod:`testboost.explore.digest`;
- HTTP Basic on every request.

>>> evidence = Evidence.of(app, routes)                              # doctest: +SKIP
>>> evidence.placements[0]
Placement(where='header', name='Authorization', scheme='Bearer')
"""

from __future__ import annotations

import base64
import inspect
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from testboost.compat import set_client_cookie
from testboost.explore.database import close_app_sessions
from testboost.explore.digest import parse_challenge
from testboost.explore.reach import is_denied
from testboost.guards import unwrap_chain
from testboost.inventory import Route

#: Keys a login answer carries its token under (searched at any depth, these first).
TOKEN_KEYS = ("access_token", "token", "jwt", "id_token", "auth_token", "accessToken", "key")
#: Column names of a user's API key.
API_KEY_COLUMNS = ("api_key", "apikey", "api_token", "token", "auth_token", "access_token", "key")
_SCHEMES = ("Bearer", "Token", "JWT")
_HEADER_READ = re.compile(r"""headers(?:\.get\(|\[)\s*['"]([A-Za-z][\w-]*)['"]""", re.IGNORECASE)
_COOKIE_READ = re.compile(r"""cookies(?:\.get\(|\[)\s*['"]([\w.-]+)['"]""")
_QUERY_READ = re.compile(r"""args(?:\.get\(|\[)\s*['"]([\w.-]+)['"]""")
_SCHEME_TEXT = re.compile(r"""['"](Bearer|Token|JWT|Basic)\s?['"]""")
_KEYISH = re.compile(r"(key|token|auth|jwt)", re.IGNORECASE)
_LOGOUT = re.compile(r"(log-?out|sign-?out)", re.IGNORECASE)


@dataclass(frozen=True)
class Placement:
    """Where a token is sent: a header (with its scheme), a cookie or a query argument."""

    where: str  # "header", "cookie", "query"
    name: str
    scheme: str = ""

    def apply(self, token: str) -> tuple[dict[str, str], dict[str, str]]:
        """The headers and query arguments that carry ``token`` this way (a cookie: neither).

        A cookie goes into the client's jar (:meth:`give`): a test client drops a ``Cookie``
        header it is passed.
        """
        if self.where == "query":
            return {}, {self.name: token}
        if self.where == "cookie":
            return {}, {}
        return {self.name: f"{self.scheme} {token}".strip()}, {}

    def give(self, client: FlaskClient | None, token: str) -> None:
        """Put ``token`` in ``client``'s cookie jar when this way is a cookie."""
        if self.where == "cookie" and client is not None:
            set_client_cookie(client, self.name, token)

    @property
    def label(self) -> str:
        """``Authorization: Bearer``, ``cookie access_token``, ``query ?api_key=``."""
        if self.where == "query":
            return f"query ?{self.name}="
        if self.where == "cookie":
            return f"cookie {self.name}"
        return f"{self.name}: {self.scheme}".rstrip(": ") if self.scheme else self.name


DEFAULT_PLACEMENTS = tuple(Placement("header", "Authorization", s) for s in _SCHEMES)


@dataclass(frozen=True)
class Evidence:
    """What the app's guards show about credentials: token placements, key places, Basic, Digest."""

    placements: tuple[Placement, ...]
    key_places: tuple[Placement, ...]
    basic: bool
    sources: str = field(default="", repr=False)
    digest: bool = False

    @classmethod
    def of(cls, app: Flask, routes: Sequence[Route]) -> Evidence:
        """Read the guards of ``app``: decorators of every view, ``before_request`` hooks."""
        texts: list[str] = []
        found: list[Placement] = []
        # the inventory calls Flask-HTTPAuth's Digest guards "basic" too: told apart below
        basic_guards = any(h.auth.kind == "basic" for r in routes for h in r.handlers)
        basic = digest = False
        for function in guard_functions(app):
            for owner in _httpauth_objects(function):
                kind = type(owner).__name__
                if kind == "HTTPTokenAuth":
                    header = getattr(owner, "header", None) or "Authorization"
                    scheme = getattr(owner, "scheme", "Bearer") or ""
                    found.append(
                        Placement("header", header, scheme if header == "Authorization" else "")
                    )
                elif kind == "HTTPBasicAuth":
                    basic = True
                elif kind == "HTTPDigestAuth":
                    digest = True
            if not is_library(function):
                texts.append(_source(function))
        if "flask-jwt-extended" in app.extensions:
            locations = app.config.get("JWT_TOKEN_LOCATION", ["headers"])
            locations = [locations] if isinstance(locations, str) else list(locations)
            if "headers" in locations:
                found.append(
                    Placement(
                        "header",
                        app.config.get("JWT_HEADER_NAME", "Authorization"),
                        app.config.get("JWT_HEADER_TYPE", "Bearer"),
                    )
                )
            if "cookies" in locations:
                found.append(
                    Placement(
                        "cookie", app.config.get("JWT_ACCESS_COOKIE_NAME", "access_token_cookie")
                    )
                )
            if "query_string" in locations:
                found.append(Placement("query", app.config.get("JWT_QUERY_STRING_NAME", "jwt")))
        text = "\n".join(texts)
        schemes = [s for s in _SCHEME_TEXT.findall(text) if s != "Basic"]
        keys: list[Placement] = []
        for header in _HEADER_READ.findall(text):
            if header.lower() == "authorization":
                found.extend(Placement("header", "Authorization", s) for s in schemes)
            elif _KEYISH.search(header):
                keys.append(Placement("header", header))
        keys.extend(Placement("cookie", c) for c in _COOKIE_READ.findall(text) if _KEYISH.search(c))
        keys.extend(Placement("query", q) for q in _QUERY_READ.findall(text) if _KEYISH.search(q))
        basic = basic or (basic_guards and not digest) or "request.authorization" in text
        placements = _unique([*found, *keys, *DEFAULT_PLACEMENTS])
        return cls(placements, _unique(keys), basic, text, digest)


def _unique(items: Sequence[Placement]) -> tuple[Placement, ...]:
    seen: dict[Placement, None] = {}
    for item in items:
        seen.setdefault(item)
    return tuple(seen)


def guard_functions(app: Flask) -> Iterator[Any]:
    """Every wrapper around every view, and every ``before_request`` hook (and its wrappers)."""
    seen: set[int] = set()
    hooks = [f for functions in app.before_request_funcs.values() for f in functions]
    for view in [*app.view_functions.values(), *hooks]:
        chain = unwrap_chain(view)
        for function in chain[:-1] if view not in hooks else chain:
            code = getattr(function, "__code__", None)
            if code is None or id(code) in seen:
                continue
            seen.add(id(code))
            yield function


def _httpauth_objects(function: Any) -> Iterator[Any]:
    try:
        closure = inspect.getclosurevars(function).nonlocals
    except (TypeError, ValueError):
        return
    for value in closure.values():
        if type(value).__module__.startswith("flask_httpauth"):
            yield value


def is_library(function: Any) -> bool:
    filename = str(getattr(getattr(function, "__code__", None), "co_filename", ""))
    return "site-packages" in filename or "dist-packages" in filename


def _source(function: Any) -> str:
    try:
        return inspect.getsource(function.__code__)
    except (OSError, TypeError, AttributeError):
        return ""


def find_token(payload: Any) -> tuple[str, tuple[str, ...]] | None:
    """A token in a login answer, at any depth, with its key path: ``("data", "token")``."""
    if isinstance(payload, dict):
        for key in TOKEN_KEYS:
            value = payload.get(key)
            if isinstance(value, str) and len(value) >= 8:
                return value, (key,)
        for key, value in payload.items():
            found = find_token(value)
            if found is not None:
                return found[0], (str(key), *found[1])
    return None


def basic_header(user: str, password: str) -> dict[str, str]:
    """The ``Authorization: Basic`` header for ``user`` and ``password``."""
    secret = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {secret}"}


class Verifier:
    """Tells whether credentials really log in: guarded GET routes that turn nobody away.

    Up to eight guarded GET routes that deny an anonymous client are the probes, taken in turn
    from each kind of guard the inventory found (a session page, a token API, an HTTP Basic API),
    so that an app with two ways in has a probe behind each. Credentials work when one of them
    answers otherwise. Without such a route (nothing to check against) the answer is ``None``:
    the credentials are taken on trust.
    """

    def __init__(self, app: Flask, routes: Sequence[Route], login_rules: Sequence[str]) -> None:
        self.app = app
        self.routes = routes
        self.login_rules = tuple(login_rules)
        self._probes: list[str] | None = None
        #: whether a probe turned an anonymous client away with an HTTP Digest challenge
        self.digest = False

    @property
    def probes(self) -> list[str]:
        """The paths of guarded GET routes an anonymous client is turned away from."""
        if self._probes is None:
            anonymous = self.app.test_client()
            probes: list[str] = []
            # only routes a guard was found on: an unguarded view may hang or exit, and a
            # guarded one runs no view code for a caller it turns away
            candidates = [
                r
                for r in self.routes
                if r.kind == "view"
                and r.auth.kind != "none"
                and not r.auth.optional
                and "GET" in r.methods
                and not _LOGOUT.search(r.rule)
                and r.rule not in self.login_rules
                and all(p.type in ("int", "str") for p in r.params)
            ]
            candidates.sort(key=lambda r: (len(r.params), r.rule))
            for route in _by_guard(candidates)[:16]:
                path = _fill(route)
                response = _get(anonymous, path, {}, {})
                if response is not None and self.denied(response):
                    probes.append(path)
                    challenge = response.headers.get("WWW-Authenticate", "")
                    self.digest = self.digest or parse_challenge(challenge) is not None
                if len(probes) >= 8:
                    break
            self._probes = probes
        return self._probes

    def denied(self, response: Any) -> bool:
        """Whether ``response`` turns its caller away."""
        return is_denied(response.status_code, response.headers.get("Location"), self.login_rules)

    def passes(
        self, client: FlaskClient, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> tuple[str, ...]:
        """The probes these credentials get through (a view that raised let them through too)."""
        passed = []
        for path in self.probes:
            response = _get(client, path, headers, query)
            if response is None or not self.denied(response):
                passed.append(path)
        return tuple(passed)

    def works(
        self, client: FlaskClient, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> tuple[bool | None, str]:
        """Whether the credentials pass a guard, and the probe path that showed it."""
        if not self.probes:
            return None, ""
        first = ""
        for path in self.probes:
            response = _get(client, path, headers, query)
            if response is None:
                return True, path  # it ran the view: the guard let it through
            if not self.denied(response):
                return True, path
            first = first or f"GET {path} still answered {response.status_code}"
        return False, first


def _by_guard(routes: Sequence[Route]) -> list[Route]:
    """``routes`` taken in turn from each kind of guard: one of each kind first, then the next."""
    groups: dict[str, list[Route]] = {}
    for route in routes:
        groups.setdefault(route.auth.label, []).append(route)
    ordered: list[Route] = []
    for rank in range(max((len(g) for g in groups.values()), default=0)):
        ordered.extend(g[rank] for g in groups.values() if rank < len(g))
    return ordered


def _get(
    client: FlaskClient, path: str, headers: Mapping[str, str], query: Mapping[str, str]
) -> Any:
    """``client.get``; None when the view raised or exited instead of answering."""
    try:
        return client.get(path, headers=dict(headers), query_string=dict(query))
    except (Exception, SystemExit):
        # the app's session stays open after a raise, holding its write lock on SQLite: every
        # later request (in a forked child too) would wait on it
        close_app_sessions()
        return None


def _fill(route: Route) -> str:
    path = route.rule
    for param in route.params:
        value = "1" if param.type == "int" else "tb"
        path = re.sub(rf"<[^>]*\b{re.escape(param.name)}>", value, path)
    return path


# -- HTML login forms -----------------------------------------------------------------------------


@dataclass
class LoginForm:
    """The form of a login page that has a password input: where it posts and its inputs."""

    action: str | None
    inputs: list[tuple[str, str, str]]  # (name, type, value)

    def body(self, values: Mapping[str, str], password: str) -> dict[str, str]:
        """The form filled with one user's values; hidden inputs (CSRF token, nonce) kept."""
        body: dict[str, str] = {}
        for name, kind, value in self.inputs:
            lowered = name.lower()
            if kind == "password":
                body[name] = password
            elif kind == "hidden":
                body[name] = value
            elif kind in ("submit",):
                if value:
                    body[name] = value
            elif kind == "checkbox":
                continue
            elif kind == "email" or "mail" in lowered:
                body[name] = values.get("email", "")
            elif kind in ("text", "") and (
                "user" in lowered or "login" in lowered or "name" in lowered
            ):
                body[name] = values.get("username", "")
            elif value:
                body[name] = value
        return body


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[LoginForm] = []
        self._current: LoginForm | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = LoginForm(attributes.get("action") or None, [])
            self.forms.append(self._current)
        elif tag in ("input", "button") and attributes.get("name"):
            kind = attributes.get("type", "text" if tag == "input" else "submit").lower()
            target = self._current or (self.forms[-1] if self.forms else None)
            if target is None:
                target = LoginForm(None, [])
                self.forms.append(target)
                self._current = target
            target.inputs.append((attributes["name"], kind, attributes.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def login_form(html: str) -> LoginForm | None:
    """The form with a password input on a login page, if there is one."""
    parser = _FormParser()
    try:
        parser.feed(html)
    except Exception:  # a broken page is no form
        return None
    return next(
        (f for f in parser.forms if any(kind == "password" for _, kind, _ in f.inputs)), None
    )


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's login form (``csrf_token``, ``nonce``, ``next``)."""
    form = login_form(html)
    if form is None:
        return {}
    return {name: value for name, kind, value in form.inputs if kind == "hidden"}
