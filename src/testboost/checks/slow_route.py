"""``slow-route``: a route is far slower than its peers.

Judged on a route's fastest valid run (the explorer times every valid request three times, so
one slow run proves nothing) against the median of every route's fastest run. Time is the CPU time
of the request's thread, not the wall clock: another process loading the machine does not make a
route slow, and the verdict is a ratio to the app's own routes, so it does not depend on how fast
the machine is. Routes that log in are left out: hashing a password is slow on purpose.
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
#: ... and at least this much CPU time (seconds), so that a microsecond route is never "slow".
FLOOR = 0.01


@register(CHECK)
def slow_route(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Routes whose fastest valid run is FACTOR times the median route and above FLOOR."""
    runs: dict[tuple[str, str], list[Exchange]] = {}
    for exchange in exchanges:
        if exchange.case.kind in ("valid", "timing") and exchange.ok:
            runs.setdefault((exchange.method, exchange.rule), []).append(exchange)
    if len(runs) < 3:
        return
    fastest = {key: min(group, key=lambda e: e.cpu_seconds) for key, group in runs.items()}
    median = statistics.median(e.cpu_seconds for e in fastest.values())
    for (method, rule), exchange in sorted(fastest.items()):
        if is_auth_flow(rule) or len(runs[(method, rule)]) < 3:
            continue
        if exchange.cpu_seconds >= max(FLOOR, FACTOR * median):
            # no measured time in the message: findings must not change from run to run
            yield Finding.from_exchange(
                CHECK,
                "low",
                exchange,
                f"{FACTOR:.0f}x slower than the median route (CPU time) in each of 3 runs; "
                f"it ran {len(exchange.sql)} SQL statements",
            )
