"""``n-plus-one``: the number of SQL statements a read runs grows with the number of rows.

Judged on ``more-rows`` exchanges: the explorer sends a GET's valid request again with 1, 5 and
20 more rows per parent in the tables it read (children under the parent its path names, each
with parents of its own; see :func:`testboost.explore.seeding.grow_rows`). When the request ran
about one more statement per extra row between the smallest and the largest growth, each row is
loaded with its own query: a nested list under a parent id, or a report aggregating over a
relationship, as much as a plain list. The relationship loaded once per row is named with the
``file:line`` that loads it (SQLAlchemy 1.4+), else the statement repeated most, so the fix (a
join, a ``selectinload``, a ``GROUP BY``) is obvious.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

from testboost.checks import Finding, register
from testboost.explore.exchange import Exchange, ProbeFacts, listed

CHECK = "n-plus-one"
#: Extra statements per extra row from which the growth is one query per row.
PER_ROW = 0.9
_LITERALS = re.compile(r"'[^']*'|\b\d+\b")


@register(CHECK)
def n_plus_one(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Reads whose statement count grows with the rows under their parent."""
    series: dict[tuple[str, str, str | None], list[Exchange]] = {}
    for exchange in exchanges:
        if exchange.case.kind in ("valid", "more-rows") and exchange.ok:
            key = (exchange.method, exchange.rule, exchange.request.identity)
            series.setdefault(key, []).append(exchange)
    for runs in series.values():
        valid = next((e for e in runs if e.case.kind == "valid"), None)
        grown = [e for e in runs if e.case.kind == "more-rows"]
        if valid is None or not grown:
            continue
        low, high = _growth_ends(valid, grown)
        rows = _rows(low, high)
        extra = len(high.sql) - len(low.sql)
        if rows <= 0 or extra < PER_ROW * rows:
            continue
        what, location = _cause(low, high)
        yield Finding.from_exchange(
            CHECK,
            "medium",
            high,
            f"{len(low.sql)} SQL statements with {_amount(low)}, {len(high.sql)} with "
            f"{_amount(high)}: one more query per row{what}",
            location=location,
        )


def _growth_ends(valid: Exchange, grown: list[Exchange]) -> tuple[Exchange, Exchange]:
    """The two runs to compare: the least and the most rows per parent (the valid run and the
    one ``more-rows`` run when there is only one)."""
    ordered = sorted(grown, key=lambda e: e.case.value if isinstance(e.case.value, int) else 0)
    if len(ordered) == 1 or not all(isinstance(e.case.value, int) for e in ordered):
        return valid, ordered[-1]
    return ordered[0], ordered[-1]


def _rows(low: Exchange, high: Exchange) -> int:
    """How many more rows per parent ``high`` ran with than ``low`` (without a count: how many
    more items it listed)."""
    if isinstance(high.case.value, int):
        start = low.case.value if low.case.kind == "more-rows" else 0
        return high.case.value - (start if isinstance(start, int) else 0)
    return len(listed(high.json)) - len(listed(low.json))


def _amount(exchange: Exchange) -> str:
    if exchange.case.kind == "more-rows" and isinstance(exchange.case.value, int):
        rows = exchange.case.value
        return f"{rows} more row{'s' if rows != 1 else ''} per parent"
    if listed(exchange.json):
        return f"{len(listed(exchange.json))} items"
    return "the seeded rows"


def _cause(low: Exchange, high: Exchange) -> tuple[str, str | None]:
    """The relationship loaded once per row and where, else the statement repeated most."""
    loads = Counter(name for name, _ in high.lazy_loads) - Counter(
        name for name, _ in low.lazy_loads
    )
    if loads:
        relationship, times = loads.most_common(1)[0]
        places = Counter(where for name, where in high.lazy_loads if name == relationship)
        location = places.most_common(1)[0][0]
        at = f" (at {location})" if location else ""
        return f"; {relationship} is lazy-loaded {times} more times{at}", location
    return _repeated(low.sql, high.sql), None


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
