"""What a load test sends, taken from the exploration: one realistic request per route.

Each (method, rule) the probe answered gets the valid request it sent (the ids of rows that exist
in the seeded database, a body the app accepted, the credentials of a logged-in user), the status
the app answered it with, and a weight by kind: reads weigh most, logins and creates less, and
changes of shared rows (PUT, PATCH, DELETE, a POST on one row) are left out unless ``writes``.

>>> plan = build_plan(result, findings, spec="myapi:create_app()", writes=False)  # doctest: +SKIP
>>> [(r.method, r.rule, r.weight) for r in plan.requests][:1]                    # doctest: +SKIP
[('GET', '/api/products', 10)]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from testboost.checks import Finding
from testboost.explore.exchange import Exchange
from testboost.explore.runner import ProbeResult

#: Weight of each kind of request in the mix Locust sends.
WEIGHTS = {"read": 10, "login": 1, "create": 2, "write": 1}
_LOGOUT = re.compile(r"(log-?out|sign-?out)", re.IGNORECASE)
_READS = ("GET", "HEAD")
_SIGN_UP = re.compile(r"(register|sign-?up|sign_up)/?$", re.IGNORECASE)


@dataclass(frozen=True)
class LoadRequest:
    """One request of the mix: what to send, how often, and the status the probe saw for it."""

    method: str
    rule: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body_kind: str | None  # "json", "form", "raw" or None
    body: Any
    kind: str  # "read", "login", "create" or "write"
    weight: int
    expect: int


@dataclass(frozen=True)
class LoginStep:
    """How a Locust user logs in: the login request, and where its token goes (if it has one)."""

    path: str
    body_kind: str | None
    body: Any
    headers: tuple[tuple[str, str], ...]
    credential: str  # "bearer", "cookie", ...
    token_path: tuple[str, ...] = ()
    where: str = ""  # "header", "cookie", "query" or "" (the session cookie does it)
    name: str = ""
    scheme: str = ""
    #: the sign-up route and its body with the login's credentials: a server without the user
    register_path: str | None = None
    register_body: Any = None


@dataclass(frozen=True)
class LoadPlan:
    """The requests of a load test, the login, and what the scan found on each route."""

    app: str
    requests: tuple[LoadRequest, ...]
    login: LoginStep | None
    #: (method, rule) -> the check ids of the defects the scan found there
    defects: Mapping[tuple[str, str], tuple[str, ...]]
    #: routes left out of the mix, one line each (changes of shared rows without --writes)
    left_out: tuple[str, ...] = ()

    def request(self, method: str, rule: str) -> LoadRequest | None:
        """The request of one (method, rule), if it is in the mix."""
        return next((r for r in self.requests if (r.method, r.rule) == (method, rule)), None)


def request_kind(
    method: str, rule: str, login_rule: str | None, changes: Sequence[str] = ()
) -> str:
    """``read``, ``login``, ``create`` or ``write`` (it changes rows others share).

    A create is a POST on a collection that only inserted rows when probed; ``changes`` are
    the kinds of row changes (``insert``, ``update``, ``delete``) the probe's request made.

    >>> request_kind("GET", "/api/orders", None), request_kind("POST", "/api/orders", None, ["insert"])
    ('read', 'create')
    >>> request_kind("POST", "/api/auth/change-password", None, ["update"])
    'write'
    """
    if method in _READS:
        return "read"
    if login_rule is not None and rule == login_rule:
        return "login"
    if method == "POST" and "<" not in rule and set(changes) <= {"insert"}:
        return "create"
    return "write"


def _chosen(exchanges: Sequence[Exchange]) -> dict[tuple[str, str], Exchange]:
    """The valid request of each (method, rule): the first the app answered below 400, if any."""
    chosen: dict[tuple[str, str], Exchange] = {}
    for exchange in exchanges:
        if exchange.case.kind != "valid":
            continue
        key = (exchange.method, exchange.rule)
        held = chosen.get(key)
        if held is None or (held.status >= 400 and exchange.status < 400):
            chosen[key] = exchange
    return chosen


def _body(exchange: Exchange) -> tuple[str | None, Any]:
    payload = exchange.request.payload
    return (payload[0], payload[1]) if payload is not None else (None, None)


def _login(result: ProbeResult, chosen: Mapping[tuple[str, str], Exchange]) -> LoginStep | None:
    recipe = result.recipe
    way = recipe.way
    if recipe.login is None or way is None or way.kind not in ("token", "cookie"):
        return None
    exchange = chosen.get(("POST", recipe.login))
    if exchange is None or exchange.status >= 400:
        return None
    kind, body = _body(exchange)
    placement = way.placement if way.kind == "token" else None
    credential = placement.name.lower() if placement is not None else ""
    headers = tuple((k, v) for k, v in exchange.request.headers if k.lower() != credential)
    register_path, register_body = None, None
    signed_up = chosen.get(("POST", recipe.register)) if recipe.register else None
    if signed_up is None:  # users made without the sign-up route: the route is still there
        signed_up = next(
            (e for (m, r), e in chosen.items() if m == "POST" and _SIGN_UP.search(r) and e.ok),
            None,
        )
    if signed_up is not None and isinstance(body, dict):
        sign_up_kind, sign_up_body = _body(signed_up)
        if sign_up_kind == kind and isinstance(sign_up_body, dict):
            register_path, register_body = signed_up.request.path, {**sign_up_body, **body}
    return LoginStep(
        path=exchange.request.path,
        body_kind=kind,
        body=body,
        headers=headers,
        credential=way.credential,
        token_path=way.token_path,
        where=placement.where if placement is not None else "",
        name=placement.name if placement is not None else "",
        scheme=placement.scheme if placement is not None else "",
        register_path=register_path,
        register_body=register_body,
    )


def build_plan(
    result: ProbeResult, findings: Sequence[Finding], *, spec: str, writes: bool
) -> LoadPlan:
    """The load plan of an explored app (``writes``: also change shared rows)."""
    chosen = _chosen(result.exchanges)
    requests: list[LoadRequest] = []
    left_out: list[str] = []
    for (method, rule), exchange in chosen.items():
        changes = [change.kind for change in exchange.changes]
        kind = request_kind(method, rule, result.recipe.login, changes)
        if kind == "read" and _LOGOUT.search(rule):
            left_out.append(f"{method} {rule}: it logs the user out")
            continue
        if kind == "write" and not writes:
            left_out.append(f"{method} {rule}: it changes shared rows (pass --writes)")
            continue
        body_kind, body = _body(exchange)
        requests.append(
            LoadRequest(
                method=method,
                rule=rule,
                path=exchange.request.path,
                query=exchange.request.query,
                headers=exchange.request.headers,
                body_kind=body_kind,
                body=body,
                kind=kind,
                weight=WEIGHTS[kind],
                expect=exchange.status,
            )
        )
    defects: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        for place in finding.places:
            checks = defects.setdefault((place.method, place.rule), [])
            if finding.check not in checks:
                checks.append(finding.check)
    return LoadPlan(
        app=spec,
        requests=tuple(requests),
        login=_login(result, chosen),
        defects={key: tuple(value) for key, value in defects.items()},
        left_out=tuple(left_out),
    )


def plan_document(plan: LoadPlan) -> dict[str, Any]:
    """The plan as JSON-ready data (the server process hands it to the load runner)."""
    return {
        "app": plan.app,
        "requests": [asdict(r) for r in plan.requests],
        "login": asdict(plan.login) if plan.login is not None else None,
        "defects": [[m, r, list(c)] for (m, r), c in plan.defects.items()],
        "left_out": list(plan.left_out),
    }


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in value)


def plan_from_document(document: Mapping[str, Any]) -> LoadPlan:
    """The plan back from :func:`plan_document`'s data."""
    requests = tuple(
        LoadRequest(**{**r, "query": _pairs(r["query"]), "headers": _pairs(r["headers"])})
        for r in document["requests"]
    )
    login = document.get("login")
    return LoadPlan(
        app=document["app"],
        requests=requests,
        login=LoginStep(
            **{
                **login,
                "headers": _pairs(login["headers"]),
                "token_path": tuple(login["token_path"]),
            }
        )
        if login
        else None,
        defects={(m, r): tuple(c) for m, r, c in document["defects"]},
        left_out=tuple(document.get("left_out", ())),
    )
