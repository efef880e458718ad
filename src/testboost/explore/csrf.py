"""The CSRF value an app checks on every write, sent by its logged-in users as its pages send it.

Some apps check, on every write of a logged-in session, a per-session value (a CSRF token, a
``nonce``) against a header or a form field: CTFd's ``csrf`` hook answers 403 unless a JSON write
carries the session's ``nonce`` in ``CSRF-Token`` and a form post in its ``nonce`` field. Its pages
send it from JavaScript; a client that only logged in does not, and every write answers 403.

The check is found in the app's source (a ``before_request`` hook or a decorator of a view that
reads a session key named like a CSRF value and a header or form field named like one), or stated
by ``[tool.testboost.auth] csrf_header`` (``csrf_field``, ``csrf_session``). After the login, each
user's value is read from its session through the app's own session interface, and the user's
client sends it with every write: in the header for every write, in the form field for a form
(or a write with no body). The generated conftest's clients do the same (:class:`CsrfClient`).

>>> CsrfCheck("nonce", "CSRF-Token", "nonce").describe()
"the session's nonce as the header CSRF-Token and the form field nonce"
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from testboost.config import AuthConfig
from testboost.explore.exchange import Exchange
from testboost.explore.login import guard_functions, is_library
from testboost.explore.reach import ANONYMOUS, Reach

_SESSION_READ = re.compile(r"""session(?:\.get\(|\[)\s*['"]([\w.-]+)['"]""")
_HEADER_READ = re.compile(r"""headers(?:\.get\(|\[)\s*['"]([A-Za-z][\w-]*)['"]""")
_FORM_READ = re.compile(r"""form(?:\.get\(|\[)\s*['"]([\w.-]+)['"]""")
_CSRFISH = re.compile(r"csrf|xsrf|nonce", re.IGNORECASE)
#: the header most CSRF guards read (Flask-WTF's, Django's, Angular's), named in the hint
DEFAULT_HEADER = "X-CSRFToken"


@dataclass(frozen=True)
class CsrfCheck:
    """Where the app keeps its CSRF value (a session key) and where it reads it on writes.

    ``key`` empty: the session's first key named like a CSRF value. ``where`` names the
    function the check was found in; ``configured`` is true when ``[tool.testboost.auth]``
    stated it.
    """

    key: str
    header: str = ""
    field: str = ""
    where: str = ""
    configured: bool = False

    def describe(self) -> str:
        """``the session's nonce as the header CSRF-Token and the form field nonce``."""
        places = [f"the header {self.header}" if self.header else ""]
        places.append(f"the form field {self.field}" if self.field else "")
        text = f"the session's {self.key or 'CSRF value'} as " + " and ".join(
            p for p in places if p
        )
        if self.configured:
            return f"{text} ([tool.testboost.auth])"
        return f"{text} (read in {self.where})" if self.where else text


def find_check(app: Flask, configured: AuthConfig | None = None) -> CsrfCheck | None:
    """The CSRF check of ``app``'s guards, or the one ``[tool.testboost.auth]`` states."""
    found: CsrfCheck | None = None
    for function in guard_functions(app):
        if is_library(function):
            continue
        try:
            text = inspect.getsource(function.__code__)
        except (OSError, TypeError, AttributeError):
            continue
        keys = [k for k in _SESSION_READ.findall(text) if _CSRFISH.search(k)]
        headers = [h for h in _HEADER_READ.findall(text) if _CSRFISH.search(h)]
        fields = [f for f in _FORM_READ.findall(text) if _CSRFISH.search(f)]
        if keys and (headers or fields):
            code = function.__code__
            where = f"{code.co_name} ({_short(code.co_filename)}:{code.co_firstlineno})"
            found = CsrfCheck(keys[0], next(iter(headers), ""), next(iter(fields), ""), where)
            break
    if configured is not None and (configured.csrf_header or configured.csrf_field):
        return CsrfCheck(
            configured.csrf_session or (found.key if found else ""),
            configured.csrf_header,
            configured.csrf_field,
            configured=True,
        )
    return found


def _short(filename: str) -> str:
    """The last two parts of a source path: ``initialization/__init__.py``."""
    return "/".join(filename.replace("\\", "/").split("/")[-2:])


def arm_users(
    app: Flask, users: Mapping[str, Any], configured: AuthConfig | None, attempts: list[str]
) -> tuple[CsrfCheck | None, tuple[str, ...]]:
    """Make every logged-in user's client send its CSRF value with its writes.

    ``users`` are :class:`~testboost.explore.identity.Identity` objects (a ``client`` each);
    a line goes to ``attempts``. The check found, and the users whose session held a value.
    """
    check = find_check(app, configured)
    if check is None:
        return None, ()
    armed = []
    for name, identity in users.items():
        client = identity.client
        value = csrf_value(client, check.key) if client is not None else None
        if value is not None:
            with_csrf(client, (check.header, check.field, value))
            identity.remember_cookies()  # the session interface may have set the cookie again
            armed.append(name)
    if armed:
        attempts.append(f"writes: {', '.join(armed)} send {check.describe()}")
    else:
        attempts.append(f"writes: {check.describe()} was found, but no user's session held it")
    return check, tuple(armed)


def writes_refused(
    reach: Reach, exchanges: Sequence[Exchange], check: CsrfCheck | None, sent: bool
) -> Reach:
    """``reach`` with a line (and, when no check was found, a recipe) about refused writes.

    A write is refused when every request a logged-in user sent to a guarded write pair that no
    one reached was answered 403, while the same users reached other pairs: the login worked,
    the write was turned away. ``sent`` says whether a CSRF value went with the writes.
    """
    unreached = {pair for pair in reach.unreached if pair[0] not in SAFE_METHODS}
    logged_in = [name for name in reach.identities if name != ANONYMOUS]
    if not unreached or not any(reach.reached.get(name) for name in logged_in):
        return reach
    statuses: dict[tuple[str, str], set[int]] = {}
    for exchange in exchanges:
        pair = (exchange.method, exchange.rule)
        if pair in unreached and (exchange.request.identity or ANONYMOUS) != ANONYMOUS:
            statuses.setdefault(pair, set()).add(exchange.status)
    refused = sorted(pair for pair, seen in statuses.items() if seen == {403})
    if not refused:
        return reach
    if sent and check is not None:
        line = (
            f"writes: {len(refused)} guarded writes still answered 403 to logged-in users "
            f"sending {check.describe()}: a wrong value, or a role or row of the app's they lack"
        )
        return replace(reach, attempts=(line, *reach.attempts))
    line = (
        f"writes: {len(refused)} guarded writes answered 403 to logged-in users that reached "
        "other pages: if the app checks a CSRF value on writes, name the header it reads"
        + (f" ({check.describe()} was found, but no user's session held it)" if check else "")
    )
    header = check.header if check is not None and check.header else DEFAULT_HEADER
    recipe = (
        "[tool.testboost.auth]\n"
        f'csrf_header = "{header}"  # the header your app reads the session\'s CSRF value from'
    )
    if reach.recipe:
        recipe = f"{reach.recipe}\n{recipe.split(chr(10), 1)[1]}"
    return replace(reach, attempts=(line, *reach.attempts), recipe=recipe)


# The rest of this module, to "end of conftest", is copied as is into a generated conftest whose
# users send a CSRF value with their writes (see :func:`conftest_source`): the conftest already
# imports ``Any`` and ``FlaskClient``, and everything else is imported where it is used.
# --- conftest ---
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class CsrfClient(FlaskClient):
    """A test client that sends its user's CSRF value with every write, as the app's pages do.

    ``csrf`` is (header, form field, value), either name possibly empty: the header goes with
    every write, the field with a form body (or as the body of a write that has none). A request
    already carrying the header or the field is sent as it is.
    """

    csrf: tuple[str, str, str] | None = None

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Send the request with the CSRF value when it is a write."""
        if self.csrf is not None:
            header, field, value = self.csrf
            target = args[0] if args and not isinstance(args[0], str) else None
            if target is not None:  # a redirect being followed: already built
                method = str(getattr(target, "method", "GET")).upper()
                if header and method not in SAFE_METHODS and hasattr(target, "headers"):
                    target.headers.setdefault(header, value)
            elif str(kwargs.get("method", "GET")).upper() not in SAFE_METHODS:
                kwargs = _csrf_arguments(kwargs, header, field, value)
        return super().open(*args, **kwargs)


def _csrf_arguments(kwargs: dict[str, Any], header: str, field: str, value: str) -> dict[str, Any]:
    from werkzeug.datastructures import Headers

    kwargs = dict(kwargs)
    if header:
        headers = Headers(kwargs.get("headers") or ())
        if header not in headers:
            headers[header] = value
        kwargs["headers"] = headers
    data = kwargs.get("data")
    if field and "json" not in kwargs and "input_stream" not in kwargs:
        if isinstance(data, dict) and field not in data:
            kwargs["data"] = {**data, field: value}
        elif data is None and "content_type" not in kwargs:
            kwargs["data"] = {field: value}
    return kwargs


def with_csrf(client: FlaskClient, csrf: tuple[str, str, str]) -> FlaskClient:
    """``client``, made to send ``csrf`` (header, form field, value) with every write."""
    if not isinstance(client, CsrfClient):
        client.__class__ = type("CsrfClient", (CsrfClient, type(client)), {})
    client.csrf = csrf  # type: ignore[attr-defined]
    return client


def csrf_value(client: FlaskClient, key: str) -> str | None:
    """The value at ``key`` of the session ``client`` holds, read by the app's session interface.

    An empty ``key``: the first key of the session named like a CSRF value (csrf, xsrf, nonce).
    """
    import re

    try:
        with client.session_transaction() as session:
            if key:
                value = session.get(key)
            else:
                named = [k for k in session if re.search(r"csrf|xsrf|nonce", str(k), re.I)]
                value = session.get(named[0]) if named else None
    except Exception:  # no session the app's interface can open: nothing to send
        return None
    return value if isinstance(value, str) and value else None


# --- end of conftest ---


def conftest_source() -> str:
    """The part of this module a generated conftest carries."""
    from testboost.hashing import module_part

    return module_part(__file__)
