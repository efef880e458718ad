"""``non-json-error``: a JSON API answers an error (4xx/5xx) with HTML or another non-JSON body.

Whether a route is a JSON API is decided from what it answered, first rule that applies:

1. its valid request answered 2xx with a body: JSON or not;
2. any of its answers is JSON (a JSON 400 next to an HTML 404 is exactly the defect);
3. it redirects or serves a 2xx page: an HTML view, not judged;
4. routes of its family (same first path segment, ``/api``) with a decided answer are mostly
   JSON.

Routes with no evidence are not judged: an app mixing an API with HTML views that redirect to a
login page keeps its HTML views. Empty error bodies (and HEAD) are not judged either.

An HTML error page on a JSON API is the app's error handling, not one view's: the same status
answered with the same content type is one cause (the app has no JSON handler for it), one
finding listing every method and route that answered so. Medium: the client gets an answer it
cannot parse, nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from testboost.checks import Finding, register
from testboost.checks.describe import describe_input
from testboost.checks.rules import static_segments
from testboost.explore.exchange import Exchange, ProbeFacts

CHECK = "non-json-error"


@register(CHECK)
def non_json_error(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Error responses of JSON routes whose body is not JSON."""
    json_rules = _json_rules(exchanges)
    for exchange in exchanges:
        if exchange.status < 400 or exchange.is_json or exchange.method == "HEAD":
            continue
        if not exchange.body.strip() or exchange.rule not in json_rules:
            continue
        content_type = _content_type(exchange)
        yield Finding.from_exchange(
            CHECK,
            "medium",
            exchange,
            f"{_answer(exchange)} {describe_input(exchange)}: the app has no JSON handler for "
            f"{exchange.status}",
            cause=f"{exchange.status} answered with {content_type}",
        )


def _content_type(exchange: Exchange) -> str:
    return exchange.content_type.split(";", 1)[0].strip() or "no content type"


def _answer(exchange: Exchange) -> str:
    return f"answered {exchange.status} with {_content_type(exchange)} instead of JSON"


def _json_rules(exchanges: Sequence[Exchange]) -> set[str]:
    """The rules that speak JSON, by the evidence listed in the module docstring."""
    decided: dict[str, bool] = {}
    for exchange in exchanges:
        if exchange.case.kind == "valid" and exchange.ok and exchange.body.strip():
            decided[exchange.rule] = decided.get(exchange.rule, False) or exchange.is_json
    undecided = {e.rule for e in exchanges} - decided.keys()
    for exchange in exchanges:
        if exchange.rule in undecided and exchange.is_json:
            decided[exchange.rule] = True
    for exchange in exchanges:
        page = 300 <= exchange.status < 400 or (exchange.ok and exchange.body.strip())
        if exchange.rule in undecided and exchange.rule not in decided and page:
            decided[exchange.rule] = False
    families: dict[str, list[bool]] = {}
    for rule, is_json in decided.items():
        families.setdefault(_family(rule), []).append(is_json)
    for rule in undecided - decided.keys():
        votes = families.get(_family(rule), [])
        decided[rule] = sum(votes) * 2 > len(votes)
    return {rule for rule, is_json in decided.items() if is_json}


def _family(rule: str) -> str:
    segments = static_segments(rule)
    return segments[0] if segments else ""
