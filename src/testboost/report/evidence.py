"""What a report shows beside a finding: the app's answer, its traceback, N+1 statement counts.

The checks keep only the smallest request of a finding; the exchanges recorded by the explorer
still hold what the app answered to it. :func:`find_evidence` looks that answer up, keeping the
start of the body and the traceback frames in the user's code; :func:`query_growth` gives, for
each route ``n-plus-one`` reported, how many statements it ran for how many listed items.

>>> find_evidence(findings, exchanges)[0].traceback.splitlines()[-1]  # doctest: +SKIP
"AttributeError: 'NoneType' object has no attribute 'to_dict'"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from testboost.checks import Finding
from testboost.explore.exchange import Exchange, listed

#: Characters of a response body a report keeps.
EXCERPT = 1500
_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line \d+')
_LIBRARY = re.compile(r"[/\\](site|dist)-packages[/\\]|[/\\]lib[/\\]python\d[\d.]*[/\\]")


@dataclass(frozen=True)
class Evidence:
    """What the app answered to a finding's request: the response and the user's traceback."""

    status: int
    content_type: str
    #: The start of the response body (at most :data:`EXCERPT` characters).
    excerpt: str
    #: The traceback of the exception the view raised, library frames left out; "" when none.
    traceback: str = ""


@dataclass(frozen=True)
class QueryGrowth:
    """An N+1 route's SQL statement count against the number of items it listed."""

    method: str
    rule: str
    #: ``(items listed, statements run)``, fewest items first.
    points: tuple[tuple[int, int], ...]


def find_evidence(
    findings: Sequence[Finding], exchanges: Sequence[Exchange]
) -> tuple[Evidence | None, ...]:
    """Per finding, the recorded answer to its request (``None`` when none was recorded)."""
    by_pair: dict[tuple[str, str], list[Exchange]] = {}
    for exchange in exchanges:
        by_pair.setdefault((exchange.method, exchange.rule), []).append(exchange)
    found: list[Evidence | None] = []
    for finding in findings:
        candidates = by_pair.get((finding.method, finding.rule), [])
        match = next((e for e in candidates if e.request == finding.request), None)
        found.append(None if match is None else _evidence(match))
    return tuple(found)


def _evidence(exchange: Exchange) -> Evidence:
    body = exchange.body
    excerpt = body if len(body) <= EXCERPT else body[:EXCERPT] + f"\n... ({len(body)} characters)"
    return Evidence(
        status=exchange.status,
        content_type=exchange.content_type,
        excerpt=excerpt,
        traceback=user_traceback(exchange.error.traceback) if exchange.error else "",
    )


def user_traceback(text: str) -> str:
    """``text`` (a formatted traceback) with the frames of installed libraries left out.

    >>> print(user_traceback('Traceback (most recent call last):\\n'
    ...     '  File "/venv/lib/python3.12/site-packages/flask/app.py", line 9, in wsgi\\n'
    ...     '    x()\\n  File "app/views.py", line 3, in show\\n    y.z\\n'
    ...     'AttributeError: z'))
    Traceback (most recent call last; 1 library frame left out):
      File "app/views.py", line 3, in show
        y.z
    AttributeError: z
    """
    kept: list[str] = []
    hidden = 0
    skipping = False
    for line in text.splitlines():
        frame = _FRAME.match(line)
        if frame:
            skipping = bool(_LIBRARY.search(frame.group("file")))
            hidden += skipping
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            kept.append(line)
    if hidden and kept and kept[0].startswith("Traceback (most recent call last)"):
        plural = "" if hidden == 1 else "s"
        kept[0] = f"Traceback (most recent call last; {hidden} library frame{plural} left out):"
    return "\n".join(kept)


def query_growth(
    findings: Sequence[Finding], exchanges: Sequence[Exchange]
) -> tuple[QueryGrowth, ...]:
    """Items listed and statements run, per route ``n-plus-one`` reported, by the same user."""
    growth = []
    for finding in findings:
        if finding.check != "n-plus-one":
            continue
        identity = finding.request.identity
        points = sorted(
            {
                (len(listed(e.json)), len(e.sql))
                for e in exchanges
                if (e.method, e.rule) == (finding.method, finding.rule)
                and e.request.identity == identity
                and e.case.kind in ("valid", "more-rows")
                and e.ok
            }
        )
        if len(points) > 1:
            growth.append(QueryGrowth(finding.method, finding.rule, tuple(points)))
    return tuple(growth)
