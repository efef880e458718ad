"""``testboost load``: the app under Locust."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from testboost.cli.options import app_options
from testboost.cli.running import command_spec, run_command
from testboost.compat import path_option_type
from testboost.errors import UsageError
from testboost.report.console import make_console

if TYPE_CHECKING:
    pass


def parse_duration(value: str) -> float:
    """Seconds from ``30``, ``30s``, ``2m`` or ``1h``."""
    units = {"s": 1, "m": 60, "h": 3600}
    text = value.strip().lower()
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text[-1:] in units else float(text)
    except ValueError:
        raise UsageError(f"--time {value!r}: use seconds, e.g. 30s, 2m or 90.") from None
    if seconds <= 0:
        raise UsageError(f"--time {value!r}: the run must last some time.")
    return seconds


@click.command()
@app_options
@click.option(
    "--users",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Locust users at the peak.",
)
@click.option(
    "--spawn-rate",
    type=click.FloatRange(min=0.1),
    default=10,
    show_default=True,
    help="Users started per second.",
)
@click.option(
    "--time",
    "run_time",
    default="30s",
    show_default=True,
    metavar="DURATION",
    help="How long Locust runs (30s, 2m); the run always stops by itself.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Run Locust distributed on this machine: one master and N worker processes.",
)
@click.option(
    "--csv",
    "csv_prefix",
    type=path_option_type(dir_okay=False),
    metavar="PREFIX",
    help="Keep Locust's CSV files as PREFIX_stats.csv, PREFIX_failures.csv, ...",
)
@click.option(
    "--writes",
    is_flag=True,
    help="Also send PUT/PATCH/DELETE and actions on existing rows (they change shared rows).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for generated values.")
@click.option(
    "--rows",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Add N rows to each table a list route reads before the load starts.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Loopback port to serve on (another free one is used when it is taken).",
)
@click.option(
    "--locust",
    metavar="PROGRAM",
    help="The locust program to run (default: this Python's Locust, else `locust` on PATH).",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="Longest pause of a user between two requests (0: as fast as it can).",
)
@click.option(
    "--fail-ratio",
    type=click.FloatRange(0, 1),
    default=None,
    metavar="RATIO",
    help="Exit 1 when more than this share of requests failed (e.g. 0.01).",
)
def load(
    app_spec: str | None,
    allow_db: tuple[str, ...],
    debug: bool,
    users: int,
    spawn_rate: float,
    run_time: str,
    workers: int,
    csv_prefix: Path | None,
    writes: bool,
    seed: int,
    rows: int,
    port: int,
    locust: str | None,
    wait: float,
    fail_ratio: float | None,
) -> None:
    """Load-test the app with Locust, served on loopback by gunicorn (or waitress).

    The app is built in its sandbox and explored as `scan` does; Locust then sends every route
    a realistic request (rows that exist, logged-in users), reads weighted above writes, and
    testboost prints per route: requests, failures, p50/p95/p99, requests/s and SQL statements
    per request, and names the list routes whose latency grows with rows. Needs the load extra:
    pip install 'testboost[load]'.

    \b
    Examples:
      testboost load --app "myapi:create_app()" --users 50 --time 30s
      testboost load --app app.py --workers 2 --csv load
    """

    def action() -> int:
        from testboost.load.render import render_load
        from testboost.load.runner import LoadOptions, run_load

        seconds = parse_duration(run_time)
        console = make_console()
        err = make_console(sys.stderr)
        options = LoadOptions(
            spec=command_spec(app_spec),
            users=users,
            spawn_rate=spawn_rate,
            time=seconds,
            workers=workers,
            csv_prefix=csv_prefix,
            writes=writes,
            seed=seed,
            rows=rows,
            port=port,
            allow_db=allow_db,
            locust=locust,
            wait=wait,
        )
        result = run_load(options, say=lambda line: err.print(line, markup=False, highlight=False))
        render_load(console, result)
        total = result.total
        if fail_ratio is not None and total is not None and total.requests:
            return 1 if total.failures / total.requests > fail_ratio else 0
        return 0

    run_command(debug, action)
