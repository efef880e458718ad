"""Requests as generated code: ``client.get("/api/orders/1", headers=auth_headers)``.

Who sends a request decides the fixtures: with header credentials (bearer tokens, basic auth) user A
is ``client`` plus ``auth_headers`` and user B ``other_auth_headers``; with cookie sessions they are
the logged-in clients ``user_client`` and ``other_user_client``; an app with both (a session for
its pages, a token for its API) gets both: ``user_client`` with ``auth_headers``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from testboost.explore.identity import CLIENT_FIXTURES, HEADER_FIXTURES
from testboost.generate.pycode import literal, string
from testboost.generate.replay import Step

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Caller:
    """How one app's tests send requests: header credentials or logged-in clients."""

    cookie_login: bool
    password: str | None = None
    #: requests also carry header credentials (None: exactly when there is no cookie login)
    header_login: bool | None = None

    def client(self, identity: str | None) -> str:
        """The fixture that sends a request as ``identity``."""
        if self.cookie_login and identity is not None:
            return CLIENT_FIXTURES.get(identity, "user_client")
        return "client"

    def headers(self, identity: str | None) -> str | None:
        """The fixture with ``identity``'s credential headers, if requests carry them."""
        header_login = not self.cookie_login if self.header_login is None else self.header_login
        if not header_login or identity is None:
            return None
        return HEADER_FIXTURES.get(identity, "auth_headers")

    def fixtures(self, identity: str | None) -> tuple[str, ...]:
        """The fixtures a request as ``identity`` needs."""
        headers = self.headers(identity)
        return (self.client(identity), *((headers,) if headers else ()))

    def call(self, step: Step, payload: Callable[[object, str], str] | None = None) -> str:
        """The request as a call on the client fixture.

        ``payload(value, hint)`` may turn a long body into a constant's name.
        """
        names = {self.password: "PASSWORD"} if self.password else {}

        def value(body: object, hint: str) -> str:
            if payload is not None:
                return payload(body, hint)
            return literal(body, names)

        arguments = [path_source(step.path)]
        headers = self.headers(step.identity)
        extra = {name: value for name, value in step.headers}
        if headers and extra:
            arguments.append(f"headers={{**{headers}, {literal(extra)[1:-1]}}}")
        elif headers:
            arguments.append(f"headers={headers}")
        elif extra:
            arguments.append(f"headers={literal(extra)}")
        if step.query:
            arguments.append(f"query_string={literal(dict(step.query))}")
        if step.has_json:
            arguments.append(f"json={value(step.json, 'payload')}")
        elif step.form is not None:
            arguments.append(f"data={value(dict(step.form), 'form')}")
        elif step.body is not None:
            arguments.append(f"data={string(step.body)}")
            arguments.append(f"content_type={string(step.content_type or 'text/plain')}")
        method = step.method.lower()
        client = self.client(step.identity)
        if method in ("get", "post", "put", "patch", "delete", "head", "options"):
            return f"{client}.{method}({', '.join(arguments)})"
        return f"{client}.open({', '.join(arguments)}, method={string(step.method)})"


def path_source(path: str) -> str:
    """A path literal; ``{name}`` placeholders make it an f-string over variables of that name."""
    if _PLACEHOLDER.search(path):
        return "f" + string(path)
    return string(path)
