"""``open-redirect``: a redirect target is taken from input without a check.

Judged on ``redirect-target`` exchanges, which put an external URL in a parameter named like a
destination (``next``, ``return_to``...): a 3xx whose ``Location`` points at that URL's host.
A redirect to the app's own pages, or a refusal, is correct.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from testboost.checks import Finding, register
from testboost.checks.describe import input_name
from testboost.explore.exchange import Exchange, ProbeFacts

CHECK = "open-redirect"


@register(CHECK)
def open_redirect(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Redirects to the external host the request named."""
    for exchange in exchanges:
        if exchange.case.kind != "redirect-target" or not 300 <= exchange.status < 400:
            continue
        location = exchange.header("Location")
        target = _host(str(exchange.case.value or ""))
        if location is None or target is None or _host(location) != target:
            continue
        yield Finding.from_exchange(
            CHECK,
            "medium",
            exchange,
            f"redirects to {location} ({exchange.status}), a target taken from "
            f"{input_name(exchange.case, exchange.request)}",
        )


def _host(url: str) -> str | None:
    """The host a URL leads to; browsers read a backslash as a slash (``/\\evil.example.com``)."""
    try:
        host = urlsplit(url.strip().replace("\\", "/")).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None
