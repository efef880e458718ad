"""``non-json-error``: a JSON API answers an error (4xx/5xx) with HTML or another non-JSON body.

A route is a JSON API when its own successful valid response is JSON; a route with no such
response (it only redirects, answers 204, or always fails) follows the app: JSON when most of the
app's successful valid responses with a body are JSON. A route whose valid response is an HTML
page may answer errors in HTML. Empty error bodies (and HEAD) are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from testboost.checks import Finding, register
from testboost.checks.describe import describe_input
from testboost.explore.exchange import Exchange, ProbeFacts

CHECK = "non-json-error"


@register(CHECK)
def non_json_error(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Error responses of JSON routes whose body is not JSON."""
    routes = _json_routes(exchanges)
    answered = [routes[rule] for rule in routes]
    app_is_json = sum(answered) * 2 > len(answered)
    for exchange in exchanges:
        if exchange.status < 400 or exchange.is_json or exchange.method == "HEAD":
            continue
        if not exchange.body.strip() or not routes.get(exchange.rule, app_is_json):
            continue
        content_type = exchange.content_type.split(";", 1)[0].strip() or "no content type"
        yield Finding.from_exchange(
            CHECK,
            "medium",
            exchange,
            f"answered {exchange.status} with {content_type} instead of JSON "
            f"{describe_input(exchange)}",
        )


def _json_routes(exchanges: Sequence[Exchange]) -> dict[str, bool]:
    """Per rule answered 2xx with a body by a valid request: whether any such body was JSON."""
    routes: dict[str, bool] = {}
    for exchange in exchanges:
        if exchange.case.kind == "valid" and exchange.ok and exchange.body.strip():
            routes[exchange.rule] = routes.get(exchange.rule, False) or exchange.is_json
    return routes
