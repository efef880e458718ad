"""``server-error``: a request makes the app answer 5xx, raise, or run past the time limit.

Quoted input that breaks SQL is reported by ``sql-injection`` instead, and a failure caused by the
sandbox refusing a connection by ``outbound-network``. A 501, a ``NotImplementedError`` or "not
implemented" the app raises on purpose, or a bare ``abort(500)``, is an answer, not a crash (an
``abort(500)`` in an ``except`` block is judged by the exception it caught); it and a service the
sandbox does not run (Redis, SMTP...) are notes (see :mod:`testboost.checks.environment`).

The same exception type at the same ``file:line`` is one cause: on several methods or routes it is
one finding listing them all; so is every ``OverflowError`` of an integer past 64 bits (the
database driver refusing it, whichever view line handed it on). Rows a crashing request left
written are named in its message (``..., and inserted 1 row of hints``), not reported again by
``orphaned-rows``. When the valid request of a route crashes, other requests crashing there the
same way are not reported apart: the input they changed is not the cause. High: a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from testboost.checks import Finding, register
from testboost.checks.describe import describe_changes, describe_input, error_text
from testboost.checks.environment import answered_on_purpose
from testboost.checks.orphaned_rows import kept_writes
from testboost.checks.outbound_network import blocked_network_fallout
from testboost.checks.sql_injection import injection_errors
from testboost.explore.exchange import Exchange, ProbeFacts
from testboost.explore.values import HUGE_INT

CHECK = "server-error"
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


@register(CHECK)
def server_error(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Exchanges answered 5xx or with an exception raised, named by the exception and the input."""
    claimed = {id(e) for e in injection_errors(exchanges)}
    crashes = [
        (exchange, _cause(exchange))
        for exchange in exchanges
        if (exchange.status >= 500 or exchange.error is not None or exchange.timed_out)
        and id(exchange) not in claimed
        and not blocked_network_fallout(exchange)
        and not answered_on_purpose(exchange)
    ]
    # the valid request crashing the same way: the field another case changed is not the cause
    valid_causes = {
        (e.method, e.rule, cause) for e, cause in crashes if e.case.kind == "valid" and cause
    }
    for exchange, cause in crashes:
        if (
            exchange.case.kind != "valid"
            and (exchange.method, exchange.rule, cause) in valid_causes
        ):
            continue
        error = exchange.error
        if exchange.timed_out:
            # the limit, not the wall time measured: the same words on a fast or a loaded machine
            limit = error.message if error is not None and "did not finish" in error.message else ""
            what = limit.removeprefix("the ") or "request did not finish in time"
        elif error is not None:
            what = error_text(error)
        else:
            what = f"answered {exchange.status}"
        left = f", and {describe_changes(exchange.changes)}" if kept_writes(exchange) else ""
        yield Finding.from_exchange(
            CHECK,
            "high",
            exchange,
            f"{what} {describe_input(exchange)}{left}",
            location=error.location if error is not None else None,
            cause=cause,
        )


def _cause(exchange: Exchange) -> str | None:
    """The exception type and where it was raised: the same on every route it breaks."""
    error = exchange.error
    if error is None or exchange.timed_out:
        return None
    if error.type == "OverflowError" and str(exchange.case.value) == str(HUGE_INT):
        # every lookup of an id past 64 bits overflows the same driver: one cause, whichever
        # view line handed the id on
        return "OverflowError for an integer past 64 bits"
    if error.location:
        return f"{error.type} at {error.location}"
    # raised in a library the app uses: the line that raised it is the cause
    frames = _FRAME.findall(error.traceback)
    if frames:
        path, line = frames[-1]
        return f"{error.type} at {path}:{line}"
    return f"{error_text(error)} on {exchange.rule}"
