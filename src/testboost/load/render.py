"""A load test in the terminal: one line per route, the total, and the routes that grow with rows."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from testboost.load.runner import LoadResult
from testboost.report.console import make_table


def _ms(value: float) -> str:
    return f"{value:g}"


def render_load(console: Console, result: LoadResult) -> None:
    """Print per route: requests, failures, p50/p95/p99 (ms), requests/s, SQL per request."""
    table = make_table(console)
    for column in (
        "route",
        "requests",
        "failures",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "req/s",
        "SQL/req",
    ):
        table.add_column(column, justify="left" if column == "route" else "right")
    table.add_column("scan found")
    routes = sorted(
        (r for r in result.routes if not r.rule.startswith("(")), key=lambda r: (r.rule, r.method)
    )
    for route in routes:
        defects = result.plan.defects.get((route.method, route.rule), ())
        table.add_row(
            escape(f"{route.method} {route.rule}"),
            str(route.requests),
            str(route.failures),
            _ms(route.p50),
            _ms(route.p95),
            _ms(route.p99),
            f"{route.rps:.1f}",
            f"{route.sql:g}" if route.sql is not None else "-",
            ", ".join(defects),
        )
    total = result.total
    if total is not None:
        table.add_row(
            "total",
            str(total.requests),
            str(total.failures),
            _ms(total.p50),
            _ms(total.p95),
            _ms(total.p99),
            f"{total.rps:.1f}",
            "",
            "",
        )
    console.print(table)
    workers = f"{result.workers} Locust workers" if result.workers else "one Locust process"
    console.print(
        f"served by {result.server} on 127.0.0.1:{result.port}, loaded by {workers}",
        highlight=False,
    )
    for table_name, rows in sorted(result.rows.items()):
        console.print(f"{table_name}: {rows} rows during the load test", highlight=False)
    growing = [g for g in result.growth if g.grows]
    for growth in growing:
        steps = ", ".join(
            f"{ms:g} ms / {sql} SQL at {rows} rows"
            for rows, ms, sql in zip(
                growth.rows, growth.milliseconds, growth.statements, strict=True
            )
        )
        console.print(
            escape(f"latency grows with rows: {growth.method} {growth.rule} ({steps})"),
            highlight=False,
        )
    if result.growth and not growing:
        console.print(
            f"no list route got slower with rows ({len(result.growth)} measured)", highlight=False
        )
    reasons: dict[str, list[str]] = {}
    for line in result.plan.left_out:
        place, _, reason = line.partition(": ")
        reasons.setdefault(reason, []).append(place)
    for reason, routes_left in reasons.items():
        console.print(
            escape(f"left out, {reason}: {', '.join(routes_left)}"), highlight=False, soft_wrap=True
        )
    loaded = {(r.method, r.rule) for r in result.routes if r.requests}
    unsent = [
        f"{r.method} {r.rule}" for r in result.plan.requests if (r.method, r.rule) not in loaded
    ]
    if unsent:
        console.print(
            escape(
                f"no request reached {len(unsent)} route(s) of the mix before the run ended: "
                f"{', '.join(unsent)}; run longer (--time) or with more --users"
            ),
            highlight=False,
            soft_wrap=True,
        )
    for note in result.notes:
        console.print(escape(f"note: {note}"), highlight=False)
    if result.csv is not None:
        console.print(f"Locust's CSV: {result.csv}_stats.csv", highlight=False)
