"""Read Locust's ``PREFIX_stats.csv`` back into one :class:`RouteLoad` per route.

>>> routes, total = read_stats(Path("load_stats.csv"))                    # doctest: +SKIP
>>> routes[0].method, routes[0].rule, routes[0].p95                       # doctest: +SKIP
('GET', '/api/orders', 12.0)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RouteLoad:
    """What Locust measured on one (method, rule), and the SQL it ran per request."""

    method: str
    rule: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    rps: float
    #: SQL statements per request, as counted inside the server (None: not counted)
    sql: float | None = None


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:  # Locust writes "N/A" for percentiles of routes with no request
        return 0.0


def read_stats(path: Path) -> tuple[list[RouteLoad], RouteLoad | None]:
    """The routes of a Locust stats CSV, and its ``Aggregated`` row."""
    routes: list[RouteLoad] = []
    total: RouteLoad | None = None
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            entry = RouteLoad(
                method=row.get("Type") or "",
                rule=row.get("Name") or "",
                requests=int(_number(row.get("Request Count"))),
                failures=int(_number(row.get("Failure Count"))),
                p50=_number(row.get("50%")),
                p95=_number(row.get("95%")),
                p99=_number(row.get("99%")),
                rps=_number(row.get("Requests/s")),
            )
            if entry.rule == "Aggregated":
                total = entry
            else:
                routes.append(entry)
    return routes, total


def read_exceptions(path: Path) -> list[tuple[int, str]]:
    """(count, message) of each exception Locust's users raised (``PREFIX_exceptions.csv``)."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            (int(_number(row.get("Count"))), row.get("Message") or "")
            for row in csv.DictReader(handle)
        ]
