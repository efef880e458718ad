"""``missing-404``: a lookup of something that does not exist answers 2xx instead of 404.

Judged on ``unknown-id`` exchanges of routes whose valid request, with a real id, also answers
2xx: if the app answers the same with and without the object, it never looked (medium). A
``PUT`` that inserted a row (an upsert) is allowed, and 5xx belongs to ``server-error``. Any
other request that inserted a row made a child under a parent that does not exist
(``POST /posts/99999/comments`` stored a comment of no post): stored garbage, high.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from testboost.checks import Finding, register
from testboost.checks.describe import describe_input
from testboost.explore.exchange import Exchange, ProbeFacts

CHECK = "missing-404"


@register(CHECK)
def missing_404(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Unknown ids answered 2xx where the real id is answered 2xx too."""
    found = {(e.method, e.rule) for e in exchanges if e.case.kind == "valid" and e.ok}
    for exchange in exchanges:
        if exchange.case.kind != "unknown-id" or not exchange.ok:
            continue
        if (exchange.method, exchange.rule) not in found:
            continue
        inserted = [change for change in exchange.changes if change.kind == "insert"]
        if inserted and exchange.method == "PUT":
            continue
        if inserted:
            yield Finding.from_exchange(
                CHECK,
                "high",
                exchange,
                f"answered {exchange.status} {describe_input(exchange)} and stored a row in "
                f"{inserted[0].table} under it, expected 404",
            )
            continue
        yield Finding.from_exchange(
            CHECK,
            "medium",
            exchange,
            f"answered {exchange.status}{_body(exchange)} {describe_input(exchange)}, expected 404",
        )


def _body(exchange: Exchange) -> str:
    if not exchange.body.strip():
        return " with an empty body"
    if not exchange.is_json:
        return ""
    empty: dict[str, Any] = {"null": None, "an empty list": [], "an empty object": {}}
    for name, value in empty.items():
        if exchange.json == value and type(exchange.json) is type(value):
            return f" with {name}"
    return ""
