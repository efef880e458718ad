"""Break one route the way a regression would, from inside the pytest run, through Flask's hooks.

``testboost audit --prove`` reruns each test with one (method, rule) it reaches broken, to learn
whether the test would notice. No source is edited: on the first request an app serves, the
:class:`Breaker` adds one ``before_request``, one ``after_request`` and one ``teardown_request``
function to it (appended to Flask's own lists, placed so that they run first and last), and
while no break is active they only watch. The kinds of break:

==============  ===========================================================================
``status``      the status changed: a 2xx answers 500, anything else answers 200
``body-empty``  the body emptied: a JSON object becomes ``{}``, a list ``[]``, text ``""``
``body-altered`` every value in the JSON body altered (numbers +1, text + ``~``, booleans
                flipped), keys kept
``db-rollback`` the request's database write suppressed: ``Session.commit`` only flushes
                while the request runs, and the request's sessions are rolled back at its end
``raise``       the view raises: the app answers with its own 500 handling, as in production
==============  ===========================================================================

A break only counts when it was *applied* (the request reached the route and the break changed
something), which :attr:`Breaker.applied` says.

>>> breaker = Breaker(); breaker.connect()                          # doctest: +SKIP
>>> breaker.active = Break("GET", "/api/orders", "orders.list", "status")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request, request_started

#: Every kind of break, in the order they are tried.
KINDS = ("status", "body-empty", "body-altered", "db-rollback", "raise")

_MATCH = "testboost.break"
_PROPAGATE = "testboost.propagate"


class BrokenView(RuntimeError):
    """What a view raises under the ``raise`` break."""


@dataclass(frozen=True)
class Break:
    """One route broken one way: ``Break("GET", "/api/orders/<int:id>", "orders.get", "status")``."""

    method: str
    rule: str
    endpoint: str
    kind: str

    @property
    def route(self) -> str:
        """``GET /api/orders/<int:id>``."""
        return f"{self.method} {self.rule}"


@dataclass
class Observed:
    """What the requests to one route looked like in the plain run: which breaks can apply."""

    body: bool = False
    json_values: bool = False
    commits: bool = False

    def kinds(self) -> tuple[str, ...]:
        """The kinds of break that would change something for this route."""
        return tuple(
            kind
            for kind in KINDS
            if kind in ("status", "raise")
            or (kind == "body-empty" and self.body)
            or (kind == "body-altered" and self.json_values)
            or (kind == "db-rollback" and self.commits)
        )


RouteKey = tuple[str, str, str]


@dataclass(eq=False)
class Breaker:
    """Watches every Flask app's requests; breaks the requests to :attr:`active`'s route.

    ``observed`` collects, while no break is active, what each (method, rule, endpoint) answered;
    ``reached`` the routes requested since :meth:`reset`; ``applied`` counts the requests a break
    changed since :meth:`reset` and ``details`` says how (``answers 500 instead of 200``).
    """

    active: Break | None = None
    observing: bool = True
    applied: int = 0
    details: list[str] = field(default_factory=list)
    reached: list[RouteKey] = field(default_factory=list)
    observed: dict[RouteKey, Observed] = field(default_factory=dict)
    _suppressed: list[Any] = field(default_factory=list)
    _restore_commit: Callable[[], None] | None = None

    def connect(self) -> None:
        """Start watching requests (and ``Session.commit``, once an app has imported SQLAlchemy)."""
        request_started.connect(self._on_request_started, weak=False)

    def disconnect(self) -> None:
        """Stop watching; ``Session.commit`` is itself again."""
        request_started.disconnect(self._on_request_started)
        if self._restore_commit is not None:
            self._restore_commit()
            self._restore_commit = None

    def reset(self) -> None:
        """Forget what was reached and applied (before each run of a test)."""
        self.applied = 0
        self.details = []
        self.reached = []

    # -- hooks ------------------------------------------------------------------------------------

    def _on_request_started(self, sender: Any, **extra: Any) -> None:
        if not isinstance(sender, Flask):
            return
        if self._restore_commit is None and "sqlalchemy.orm" in sys.modules:
            self._patch_commit()  # not imported for an app that does not use it
        if self._before not in sender.before_request_funcs.get(None, ()):
            sender.before_request_funcs.setdefault(None, []).insert(0, self._before)
            sender.after_request_funcs.setdefault(None, []).insert(0, self._after)
            sender.teardown_request_funcs.setdefault(None, []).append(self._teardown)
        key = _route_key()
        if key is None:
            return
        self.reached.append(key)
        active = self.active
        if active is not None and key == (active.method, active.rule, active.endpoint):
            request.environ[_MATCH] = active.kind

    def _before(self) -> None:
        if request.environ.get(_MATCH) != "raise":
            return
        app = _app()
        request.environ[_PROPAGATE] = app.config.get("PROPAGATE_EXCEPTIONS")
        app.config["PROPAGATE_EXCEPTIONS"] = False
        self._apply("raises (the app answers its 500)")
        raise BrokenView("testboost: the view raises (a broken route)")

    def _after(self, response: Any) -> Any:
        kind = request.environ.get(_MATCH)
        if kind is None:
            if self.observing and self.active is None:
                self._observe(response)
            return response
        if kind == "status":
            before = response.status_code
            response.status_code = 500 if 200 <= before < 300 else 200
            self._apply(f"answers {response.status_code} instead of {before}")
        elif kind in ("body-empty", "body-altered") and not response.is_streamed:
            self._change_body(response, kind)
        return response

    def _teardown(self, exc: BaseException | None) -> None:
        if _PROPAGATE in request.environ:
            _app().config["PROPAGATE_EXCEPTIONS"] = request.environ.pop(_PROPAGATE)
        suppressed, self._suppressed = self._suppressed, []
        for session in suppressed:
            with contextlib.suppress(Exception):
                session.rollback()

    # -- the breaks -------------------------------------------------------------------------------

    def _change_body(self, response: Any, kind: str) -> None:
        data = response.get_data()
        document = _json_of(response, data)
        if document is not _NOT_JSON:
            changed: Any = alter(document) if kind == "body-altered" else _emptied(document)
            if changed == document:
                return
            response.set_data(json.dumps(changed))
            self._apply("answers a JSON body " + ("emptied" if kind == "body-empty" else "altered"))
        elif kind == "body-empty" and data:
            response.set_data(b"")
            self._apply("answers an empty body")

    def _observe(self, response: Any) -> None:
        key = _route_key()
        if key is None or response.is_streamed or getattr(response, "direct_passthrough", False):
            return
        seen = self.observed.setdefault(key, Observed())
        data = response.get_data()
        if data:
            seen.body = True
            document = _json_of(response, data)
            if document is not _NOT_JSON and alter(document) != document:
                seen.json_values = True

    def _apply(self, detail: str) -> None:
        self.applied += 1
        if detail not in self.details:
            self.details.append(detail)

    def _patch_commit(self) -> None:
        from sqlalchemy.orm import Session

        original = Session.commit
        breaker = self

        def commit(session: Any) -> None:
            from flask import has_request_context

            if has_request_context():
                kind = request.environ.get(_MATCH)
                if kind == "db-rollback":
                    session.flush()
                    breaker._suppressed.append(session)
                    breaker._apply("has its database write rolled back")
                    return
                key = _route_key()
                if kind is None and breaker.active is None and key is not None:
                    breaker.observed.setdefault(key, Observed()).commits = True
            original(session)

        Session.commit = commit  # type: ignore[method-assign,assignment]

        def restore() -> None:
            Session.commit = original  # type: ignore[method-assign]

        self._restore_commit = restore


_NOT_JSON = object()


def _json_of(response: Any, data: bytes) -> Any:
    if not data or not response.is_json:
        return _NOT_JSON
    try:
        return json.loads(data)
    except ValueError:
        return _NOT_JSON


def _emptied(document: Any) -> Any:
    return {} if isinstance(document, dict) else [] if isinstance(document, list) else ""


def alter(value: Any) -> Any:
    """``value`` with every leaf changed and every key kept.

    >>> alter({"id": 3, "name": "Mug", "tags": ["a"], "paid": False, "note": None})
    {'id': 4, 'name': 'Mug~', 'tags': ['a~'], 'paid': True, 'note': '~'}
    """
    if isinstance(value, dict):
        return {key: alter(item) for key, item in value.items()}
    if isinstance(value, list):
        return [alter(item) for item in value]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 1.5
    if isinstance(value, str):
        return value + "~"
    return "~"


def _route_key() -> RouteKey | None:
    rule = request.url_rule
    if rule is None:
        return None
    method = "GET" if request.method == "HEAD" else request.method
    return method, rule.rule, rule.endpoint


def _app() -> Flask:
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
