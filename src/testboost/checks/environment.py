"""Failures of the environment, not of the app: a service the sandbox does not run.

A view that talks to Redis, an SMTP server, Elasticsearch, MongoDB or a message broker fails in
the sandbox because nothing listens there, not because of a defect. Such exchanges are not judged
by any check (:func:`testboost.checks.run_checks` leaves them out); the report says once per
service what the app needs and which routes were not judged:

>>> environment_notes(exchanges)  # doctest: +SKIP
['the app needs Redis at localhost:6379; 3 method-route pairs using it were not judged: GET /feed, ...']

This is not a check: it has no id and makes no findings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from testboost.explore.exchange import Exchange, RaisedError

_SHOWN = 3
_ADDRESS = re.compile(
    r"(?:connecting to|connect to|host=|at|to) ['\"]?(?P<host>[\w.\-]+|\[[0-9a-f:]+\]):(?P<port>\d{2,5})",
    re.IGNORECASE,
)
_REFUSED = re.compile(
    r"Connection refused|Errno 111|Errno 61|Errno 99|Errno -2|Errno -3|Name or service not known"
    r"|nodename nor servname|Temporary failure in name resolution|timed out|Cannot assign requested",
    re.IGNORECASE,
)
_CONNECTION_TYPES = re.compile(
    r"Connection|Timeout|ServerSelection|AutoReconnect|NoBrokersAvailable|OperationalError|"
    r"SMTP|gaierror|URLError|MaxRetry|^OSError$|^socket\.error$",
)


@dataclass(frozen=True)
class Service:
    """What a failing exchange needed: ``Redis``, ``an SMTP server``... and where, if known."""

    name: str
    address: str | None = None

    def __str__(self) -> str:
        return f"{self.name} at {self.address}" if self.address else self.name


#: (name, what in the exception's module or traceback shows the client library)
_SERVICES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Redis", re.compile(r"\bredis\b|aioredis|fakeredis", re.IGNORECASE)),
    ("an SMTP server", re.compile(r"smtplib|flask_mail|flask_mailman|SMTP", re.IGNORECASE)),
    ("Elasticsearch", re.compile(r"elasticsearch|elastic_transport|opensearch", re.IGNORECASE)),
    ("MongoDB", re.compile(r"pymongo|mongoengine|motor", re.IGNORECASE)),
    ("a message broker", re.compile(r"\bkombu\b|\bcelery\b|\bpika\b|amqp", re.IGNORECASE)),
    ("Memcached", re.compile(r"memcache|pymemcache|pylibmc", re.IGNORECASE)),
)
#: Exception modules of database drivers: a refused database is the sandbox's business, not this.
_DATABASE_MODULES = ("sqlite3", "sqlalchemy", "psycopg", "pymysql", "MySQLdb")


def unavailable_service(exchange: Exchange) -> Service | None:
    """The service whose absence made this exchange fail, or None if it failed on its own.

    An exception counts when it is a connection failure (its type says so, or its message says
    the connection was refused or the name did not resolve) raised by a service's client library
    (seen in the exception's module or its traceback).
    """
    error = exchange.error
    if error is None or error.module.startswith(_DATABASE_MODULES):
        return None
    if exchange.network:  # the sandbox refused a connection off this machine: outbound-network's
        return None
    return _service(error)


def _service(error: RaisedError) -> Service | None:
    connection = bool(_CONNECTION_TYPES.search(error.type)) or bool(_REFUSED.search(error.message))
    if not connection:
        return None
    where = f"{error.module}\n{error.traceback}"
    for name, library in _SERVICES:
        if library.search(error.module) or library.search(where):
            return Service(name, _address(error))
    if error.type == "ConnectionRefusedError":
        address = _address(error)
        return Service("a service", address) if address else Service("a local service")
    return None


def _address(error: RaisedError) -> str | None:
    match = _ADDRESS.search(error.message) or _ADDRESS.search(error.traceback[-1500:])
    if match is None:
        return None
    return f"{match.group('host')}:{match.group('port')}"


def environment_notes(exchanges: Sequence[Exchange]) -> list[str]:
    """One note per unavailable service: what the app needs and the pairs left unjudged."""
    pairs: dict[str, dict[tuple[str, str], None]] = {}
    for exchange in exchanges:
        needed = unavailable_service(exchange)
        if needed is not None:
            pairs.setdefault(str(needed), {})[(exchange.method, exchange.rule)] = None
    notes = []
    for service, seen in sorted(pairs.items()):
        names = [f"{method} {rule}" for method, rule in sorted(seen, key=lambda p: (p[1], p[0]))]
        shown = ", ".join(names[:_SHOWN])
        if len(names) > _SHOWN:
            shown += f" and {len(names) - _SHOWN} more"
        count = len(names)
        noun = "method-route pair" if count == 1 else "method-route pairs"
        notes.append(
            f"the app needs {service}, which the sandbox does not run; requests of {count} {noun} "
            f"that used it were not judged: {shown}"
        )
    return notes


def answered_on_purpose(exchange: Exchange) -> bool:
    """A 5xx the view chose: a 501, a ``NotImplementedError``/"not implemented" raised on purpose,
    or a bare ``abort(500)`` (one inside an ``except`` block is judged by what it caught)."""
    if exchange.status == 501:
        return True
    error = exchange.error
    if error is None:
        return False
    return (
        error.deliberate
        or error.type == "NotImplementedError"
        or bool(re.search(r"\bnot (?:been |yet )?implemented\b", error.message, re.IGNORECASE))
    )


def deliberate_error_notes(exchanges: Sequence[Exchange]) -> list[str]:
    """One note per ``abort(5xx)`` line the probe reached: not reported, but not left unsaid.

    Such a view answers 5xx when a condition it tests fails (a dev-server hook, a setting, a
    service); in the sandbox that condition may differ from where the app runs.
    """
    pairs: dict[tuple[str, int], dict[tuple[str, str], None]] = {}
    for exchange in exchanges:
        error = exchange.error
        if error is not None and error.deliberate:
            line = (error.location or exchange.rule, exchange.status)
            pairs.setdefault(line, {})[(exchange.method, exchange.rule)] = None
    notes = []
    for (where, status), seen in sorted(pairs.items()):
        names = ", ".join(f"{method} {rule}" for method, rule in sorted(seen))
        notes.append(
            f"{names} answered {status} on purpose (abort({status}) at {where}), not reported "
            "as a crash: check that the condition it tests holds where the app runs"
        )
    return notes


#: the smallest share of an app's routes that must redirect to one page to call it a wall
_WALL_SHARE = 0.5
_WALL_MIN_ROUTES = 5
_LOGIN_PAGE = re.compile(r"log_?in|sign_?in|auth|sso|oauth", re.IGNORECASE)


def setup_wall(exchanges: Sequence[Exchange]) -> tuple[str, frozenset[str]] | None:
    """The page most routes redirect every request to, and those routes, when there is one.

    An app that is not configured yet (CTFd before its ``/setup`` wizard ran, an installer)
    answers nearly every route with a redirect to its setup page; what those routes do is not
    reached, so what they answered says nothing about them. A login page is not such a wall
    (guarded routes redirect there by design): only a page whose name is not a login's counts,
    and only when at least half of the routes (and five) send every request there.
    """
    targets: dict[str, set[str]] = {}
    rules: set[str] = set()
    for exchange in exchanges:
        rules.add(exchange.rule)
        targets.setdefault(exchange.rule, set()).add(_redirect_path(exchange) or "")
    walled: dict[str, set[str]] = {}
    for rule, seen in targets.items():
        if len(seen) == 1 and (page := next(iter(seen))):
            walled.setdefault(page, set()).add(rule)
    if not walled:
        return None
    page, behind = max(walled.items(), key=lambda item: (len(item[1]), item[0]))
    if (
        len(behind) < max(_WALL_MIN_ROUTES, _WALL_SHARE * len(rules))
        or _LOGIN_PAGE.search(page)
        or page in behind
    ):
        return None
    return page, frozenset(behind)


def _redirect_path(exchange: Exchange) -> str | None:
    if not 300 <= exchange.status < 400:
        return None
    location = next((v for k, v in exchange.headers if k.lower() == "location"), "")
    return urlsplit(location).path or None


def setup_wall_notes(exchanges: Sequence[Exchange]) -> list[str]:
    """One note when the app sends most routes to a setup page (see :func:`setup_wall`)."""
    wall = setup_wall(exchanges)
    if wall is None:
        return []
    page, behind = wall
    names = sorted(behind)
    shown = ", ".join(names[:_SHOWN]) + (
        f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    )
    return [
        f"the app looks unconfigured: {len(names)} routes answer every request with a redirect "
        f"to {page} (a first-run setup page); they were not reached beyond it and are not "
        f"judged: {shown}. Configure the app first (its setup) to probe them"
    ]
