"""``outbound-network``: a route tries to reach the network while it is tested.

The sandbox refuses every non-loopback connection and records it; this check reports each
(method, rule) that tried, naming the ``host:port`` and the line of user code that connected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from testboost.checks import Finding, register
from testboost.explore.exchange import Exchange, ProbeFacts

CHECK = "outbound-network"
_SHOWN_TARGETS = 3
_NETWORK_MODULES = ("socket", "ssl", "urllib", "http.client", "requests", "httpx", "smtplib")
_NETWORK_ERROR = re.compile(r"Connection|Timeout|gaierror|URLError|SSLError|MaxRetry|^OSError$")


def blocked_network_fallout(exchange: Exchange) -> bool:
    """Whether an exchange failed because the sandbox refused its connection.

    Such a 5xx says more about the sandbox than about the app, so ``server-error`` and
    ``orphaned-rows`` leave it to this check.
    """
    if not exchange.network:
        return False
    error = exchange.error
    if error is None:
        return True
    return error.module.startswith(_NETWORK_MODULES) or bool(_NETWORK_ERROR.search(error.type))


@register(CHECK)
def outbound_network(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Exchanges during which the app tried to open a connection off this machine."""
    for exchange in exchanges:
        if not exchange.network:
            continue
        targets = list(
            dict.fromkeys(
                attempt.host if attempt.port is None else f"{attempt.host}:{attempt.port}"
                for attempt in exchange.network
            )
        )
        shown = ", ".join(targets[:_SHOWN_TARGETS])
        if len(targets) > _SHOWN_TARGETS:
            shown += f" and {len(targets) - _SHOWN_TARGETS} more"
        location = next((a.location for a in exchange.network if a.location), None)
        message = f"tried to reach {shown}"
        if location:
            message += f" from {location}"
        if exchange.status >= 500 and blocked_network_fallout(exchange):
            message += f"; with the connection refused it answered {exchange.status}"
        yield Finding.from_exchange(CHECK, "medium", exchange, message, location=location)
