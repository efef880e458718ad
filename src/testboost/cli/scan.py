"""``testboost routes``, ``scan`` and ``merge``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from testboost.cli.diagnose import (
    deliver,
    diagnose,
    merged_report,
    parse_shard_option,
    scan_in_jobs,
    shard_part_document,
)
from testboost.cli.options import app_options, file_option, probe_options, report_options
from testboost.cli.running import check_outputs, command_spec, input_lines, loaded_app, run_command
from testboost.compat import path_option_type
from testboost.inventory import build_inventory
from testboost.report.console import make_console
from testboost.report.files import json_text, write_output
from testboost.report.inventory import (
    render_routes,
    routes_document,
)

if TYPE_CHECKING:
    from testboost.report.outputs import Outputs


@click.command()
@app_options
@file_option(
    "--json", "json_path", "Also write the inventory as JSON (schema testboost.routes/1) to FILE."
)
def routes(
    app_spec: str | None, allow_db: tuple[str, ...], debug: bool, json_path: Path | None
) -> None:
    """List every route: methods, endpoint, blueprint, view file:line, auth and inputs.

    \b
    Examples:
      testboost routes --app "myapi:create_app('testing')"
      testboost routes --app app.py --json routes.json
    """

    def action() -> int:
        spec = command_spec(app_spec)
        with loaded_app(spec, allow_db, signals=False) as (app, _sandbox):
            inventory = build_inventory(app)
            inputs = input_lines(inventory)
        render_routes(make_console(), inventory, inputs)
        if json_path is not None:
            write_output(json_path, json_text(routes_document(spec, inventory, inputs)))
        return 0

    run_command(debug, action)


@click.command()
@app_options
@probe_options
@report_options
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    metavar="N",
    show_default=True,
    help="Probe the routes in N processes, each with a sandbox of its own (same report).",
)
@click.option(
    "--shard",
    "shard_text",
    metavar="I/N",
    help="Probe only the I-th of N shares of the routes and keep it in the --json report, for "
    "`testboost merge` to join (one scan split over a CI matrix).",
)
def scan(
    app_spec: str | None,
    allow_db: tuple[str, ...],
    debug: bool,
    seed: int,
    budget: float,
    timeout: float,
    setup: tuple[str, ...],
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    json_path: Path | None,
    outputs: Outputs,
    jobs: int,
    shard_text: str | None,
) -> None:
    """Drive every route with valid and invalid input and report the defects found.

    testboost seeds the sandbox database, logs in users A, B and an administrator through your
    register/login routes (or [tool.testboost.auth]), then sends each route a valid request and
    one variation per kind of defect: unknown ids, missing and malformed fields, wrong types,
    no credentials, another user's credentials, protected fields, SQL quotes, redirect targets,
    unsupported methods, Hypothesis-fuzzed bodies, more rows for list routes.

    \b
    Examples:
      testboost scan --app "myapi:create_app('testing')"
      testboost scan --app app.py --json report.json --fail-on high
      testboost scan --app app.py --jobs 2
      testboost scan --app app.py --shard 1/4 --json shard-1.json   (then: testboost merge)
    """

    def action() -> int:
        from testboost.report.model import report_document

        check_outputs(json_path, outputs)
        spec = command_spec(app_spec)
        shard = parse_shard_option(shard_text, jobs, json_path)
        document: dict[str, Any] | None = None
        if jobs > 1:
            report = scan_in_jobs(
                spec, allow_db, seed, budget, timeout, setup, select, ignore, jobs
            )
        else:
            report, result, _ = diagnose(
                spec, allow_db, seed, budget, timeout, select, ignore, setup, shard
            )
            document = report_document(report)
            if shard is not None:
                document["shard"] = shard_part_document(spec, shard, seed, report, result)
        return deliver(report, fail_on, json_path, outputs, document)

    run_command(debug, action)


@click.command()
@click.argument("reports", nargs=-1, required=True, type=path_option_type(dir_okay=False))
@click.option(
    "--allow-db",
    "allow_db",
    multiple=True,
    metavar="URL",
    help="As for scan: the app is loaded again (from the shards' --app) for its inventory.",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@report_options
def merge(
    reports: tuple[Path, ...],
    allow_db: tuple[str, ...],
    debug: bool,
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    json_path: Path | None,
    outputs: Outputs,
) -> None:
    """Join the reports of `scan --shard I/N` into the report of one scan of every route.

    Run it where the shards ran (it loads the app again, for its inventory), with every shard's
    report; the checks run once over all the routes' exchanges.

    \b
    Examples:
      testboost merge shard-1.json shard-2.json shard-3.json --json report.json --fail-on high
    """

    def action() -> int:
        from testboost.shards import read_shard

        check_outputs(json_path, outputs)
        parts = [read_shard(Path(path)) for path in reports]
        report = merged_report(parts, allow_db, select, ignore)
        return deliver(report, fail_on, json_path, outputs)

    run_command(debug, action)
