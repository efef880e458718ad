"""``slow-route``: a route is far slower than its peers.

Judged on a route's fastest valid run (the explorer times a slow valid request three times, so
one slow run proves nothing) against the median of every route's valid run. Routes that log in
are left out: hashing a password is slow on purpose.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence

from testboost.checks import Finding, register
from testboost.checks.rules import is_auth_flow
from testboost.explore.exchange import Exchange, ProbeFacts

CHECK = "slow-route"
#: How many times slower than the median route a route must be ...
FACTOR = 10.0
#: ... and at least this slow in absolute terms (seconds), to be reported.
FLOOR = 0.1


@register(CHECK)
def slow_route(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Routes whose fastest valid run is FACTOR times the median route and above FLOOR."""
    runs: dict[tuple[str, str], list[Exchange]] = {}
    for exchange in exchanges:
        if exchange.case.kind in ("valid", "timing") and exchange.ok:
            runs.setdefault((exchange.method, exchange.rule), []).append(exchange)
    if len(runs) < 3:
        return
    fastest = {key: min(group, key=lambda e: e.seconds) for key, group in runs.items()}
    median = statistics.median(e.seconds for e in fastest.values())
    for (method, rule), exchange in sorted(fastest.items()):
        if is_auth_flow(rule) or len(runs[(method, rule)]) < 3:
            continue
        if exchange.seconds >= max(FLOOR, FACTOR * median):
            # no measured time in the message: findings must not change from run to run
            yield Finding.from_exchange(
                CHECK,
                "low",
                exchange,
                f"over {FLOOR * 1000:.0f} ms and {FACTOR:.0f}x slower than the median route "
                f"in each of 3 runs; it ran {len(exchange.sql)} SQL statements",
            )
