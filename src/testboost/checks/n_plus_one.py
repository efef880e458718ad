"""``n-plus-one``: the number of SQL statements a list route runs grows with the number of rows.

Judged on ``more-rows`` exchanges: the explorer sends a list route's valid request again after
adding rows to the listed table. When the answer lists more items and the request ran about one
more statement per extra item, each row is loaded with its own query. The statement repeated
most is named, so the fix (a join or a ``selectinload``) is obvious.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

from testboost.checks import Finding, register
from testboost.explore.exchange import Exchange, ProbeFacts, listed

CHECK = "n-plus-one"
#: Extra statements per extra listed item from which the growth is one query per row.
PER_ROW = 0.9
_LITERALS = re.compile(r"'[^']*'|\b\d+\b")


@register(CHECK)
def n_plus_one(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """List routes whose statement count grows with the rows they list."""
    valid = {
        (e.method, e.rule, e.request.identity): e
        for e in exchanges
        if e.case.kind == "valid" and e.ok
    }
    for exchange in exchanges:
        if exchange.case.kind != "more-rows" or not exchange.ok:
            continue
        before = valid.get((exchange.method, exchange.rule, exchange.request.identity))
        if before is None:
            continue
        extra_items = len(listed(exchange.json)) - len(listed(before.json))
        extra_statements = len(exchange.sql) - len(before.sql)
        if extra_items <= 0 or extra_statements < PER_ROW * extra_items:
            continue
        yield Finding.from_exchange(
            CHECK,
            "medium",
            exchange,
            f"{len(listed(before.json))} items took {len(before.sql)} SQL statements, "
            f"{len(listed(exchange.json))} items took {len(exchange.sql)}: one more query per "
            f"row{_repeated(before.sql, exchange.sql)}",
        )


def _repeated(before: Sequence[str], after: Sequence[str]) -> str:
    """The statement the extra rows repeated, with literals folded: ``; repeated: SELECT ...``."""
    grown = Counter(_LITERALS.sub("?", s) for s in after) - Counter(
        _LITERALS.sub("?", s) for s in before
    )
    if not grown:
        return ""
    statement, times = grown.most_common(1)[0]
    text = " ".join(statement.split())
    return f"; repeated {times} more times: {text[:160]}"
