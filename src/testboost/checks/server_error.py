"""``server-error``: a request makes the app answer 5xx, raise, or run past the time limit.

Quoted input that breaks SQL is reported by ``sql-injection`` instead, and a failure caused by the
sandbox refusing a connection by ``outbound-network``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from testboost.checks import Finding, register
from testboost.checks.describe import describe_input, error_text
from testboost.checks.outbound_network import blocked_network_fallout
from testboost.checks.sql_injection import injection_errors
from testboost.explore.exchange import Exchange, ProbeFacts

CHECK = "server-error"


@register(CHECK)
def server_error(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Exchanges answered 5xx or with an exception raised, named by the exception and the input."""
    claimed = {id(e) for e in injection_errors(exchanges)}
    for exchange in exchanges:
        failed = exchange.status >= 500 or exchange.error is not None or exchange.timed_out
        if not failed or id(exchange) in claimed or blocked_network_fallout(exchange):
            continue
        error = exchange.error
        if exchange.timed_out and exchange.seconds > 0:
            what = f"request did not finish in {_seconds(exchange.seconds)} s"
        elif exchange.timed_out:
            what = "request did not finish in time"
        elif error is not None:
            what = error_text(error)
        else:
            what = f"answered {exchange.status}"
        yield Finding.from_exchange(
            CHECK,
            "high",
            exchange,
            f"{what} {describe_input(exchange)}",
            location=error.location if error is not None else None,
        )


def _seconds(seconds: float) -> str:
    return f"{round(seconds, 1):g}"
