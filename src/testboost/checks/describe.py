"""How findings name the input that triggered them: "for a user id that does not exist".

Every check ends its message with the same phrase for the same case, so that a reader learns to
scan them once.

>>> describe_input(exchange)  # doctest: +SKIP
"when the JSON field 'email' is missing"
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from testboost.explore.exchange import Case, Exchange, ProbeRequest, RaisedError, RowChange

_LOCATIONS = {
    "json": "the JSON field",
    "form": "the form field",
    "query": "the query argument",
    "path": "the path parameter",
    "header": "the header",
}
_ID_SUFFIX = re.compile(r"^(?P<stem>.+?)_?(?:id|pk|uuid)$", re.IGNORECASE)
_SHOWN_LENGTH = 40
_MESSAGE_LENGTH = 200


def show(value: Any) -> str:
    """A short, JSON-like rendering of a value for a message: ``"abc"``, ``true``, ``NULL``.

    >>> show("x" * 300), show(None), show(True)
    ('a 300-character string', 'NULL', 'true')
    """
    if value is None:
        return "NULL"
    if isinstance(value, str) and len(value) > _SHOWN_LENGTH:
        return f"a {len(value)}-character string"
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def input_name(case: Case, request: ProbeRequest | None = None) -> str:
    """The input a case is about, with where it lives: ``the JSON field 'email'``.

    A body field is named by the body the request really carried (a route that reads
    ``request.form or request.get_json()`` may be sent either).
    """
    location = case.location or ""
    if location in ("json", "form") and request is not None and request.payload is not None:
        location = request.payload[0] if request.payload[0] in ("json", "form") else location
    where = _LOCATIONS.get(location, "the input")
    return f"{where} {case.field!r}" if case.field else "the input"


def id_noun(parameter: str | None) -> str:
    """What a path id names: ``user_id`` → ``user id``, ``id`` → ``id``.

    >>> id_noun("order_item_id"), id_noun("id"), id_noun(None)
    ('order item id', 'id', 'id')
    """
    if not parameter or parameter.lower() in ("id", "pk", "uuid"):
        return "id"
    match = _ID_SUFFIX.match(parameter)
    stem = match.group("stem") if match else parameter
    return f"{stem.replace('_', ' ').strip()} id"


def describe_input(exchange: Exchange) -> str:
    """A phrase saying which input an exchange sent, to end a finding's message with.

    >>> describe_input(unknown_user_exchange)  # doctest: +SKIP
    'for a user id that does not exist'
    """
    case = exchange.case
    kind = case.kind
    name = input_name(case, exchange.request)
    error = exchange.error
    if kind == "quote" and case.field and (error is None or error.is_database_error):
        return f"when {name} carries SQL quotes ({show(case.value)})"
    if kind in ("wrong-type", "malformed", "bad-query", "quote", "quote-control") and case.field:
        return f"when {name} is {show(case.value)}"
    if kind == "valid":
        return f"for {sent(exchange.request)}"
    if kind == "unknown-id":
        noun = id_noun(case.field)
        article = "an" if noun[0] in "aeio" else "a"  # "a user id", "an order id"
        return f"for {article} {noun} that does not exist"
    if kind == "anonymous":
        return "for a request without credentials"
    if kind == "other-user":
        return "for user B's request on user A's object"
    if kind == "missing-field" and case.field:
        return f"when {name} is missing"
    if kind == "protected-field" and case.field:
        return f"when the body also sets {case.field!r} to {show(case.value)}"
    if kind == "not-json":
        return "for a body that is not JSON"
    if kind == "json-list":
        return "for a JSON list where an object is expected"
    if kind == "redirect-target" and case.field:
        return f"when {name} is an external URL"
    if kind == "fuzz":
        return "for a generated body" + (
            f" ({show(exchange.request.json)})" if exchange.request.has_json else ""
        )
    if kind == "wrong-method":
        return f"for {exchange.method}, a method the route does not accept"
    return f"for {case.description}" if case.description else "for a request"


_PAYLOAD_WORDS = {"json": "the JSON body", "form": "the form", "raw": "the body"}


def sent(request: ProbeRequest) -> str:
    """What a request really carried, for a message: its body and query, or that it had none.

    >>> sent(ProbeRequest("GET", "/api/users"))
    'GET /api/users with no body and no query'
    >>> sent(ProbeRequest("POST", "/api/users", json={"name": "x"}, has_json=True))
    'the JSON body {"name": "x"}'
    """
    parts = []
    if request.payload is not None:
        kind, value = request.payload
        parts.append(f"{_PAYLOAD_WORDS[kind]} {show(value)}")
    if request.query:
        parts.append(f"the query {show(request.url.split('?', 1)[1])}")
    if not parts:
        return f"{request.method} {request.path} with no body and no query"
    return join_and(parts)


def error_text(error: RaisedError) -> str:
    """``Type: first line of the message``, shortened: ``KeyError: 'email'``."""
    lines = error.message.strip().splitlines()
    first = lines[0] if lines else ""
    if len(first) > _MESSAGE_LENGTH:
        first = first[: _MESSAGE_LENGTH - 1] + "…"
    return f"{error.type}: {first}" if first else error.type


def describe_changes(changes: Sequence[RowChange]) -> str:
    """What a request wrote: ``inserted 1 row of orders and deleted 2 rows of carts``.

    >>> describe_changes([RowChange("a", "delete", (1,), {}, None)])
    'deleted 1 row of a'
    """
    counts: dict[str, dict[str, int]] = {}
    for change in changes:
        tables = counts.setdefault(change.kind, {})
        tables[change.table] = tables.get(change.table, 0) + 1
    verbs = {"insert": "inserted", "update": "updated", "delete": "deleted"}
    phrases = [
        verbs.get(kind, kind)
        + " "
        + join_and([f"{n} row{'' if n == 1 else 's'} of {t}" for t, n in sorted(tables.items())])
        for kind, tables in sorted(counts.items(), key=lambda item: list(verbs).index(item[0]))
    ]
    return join_and(phrases) or "changed nothing"


def join_and(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
