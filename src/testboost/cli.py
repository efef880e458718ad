"""The ``testboost`` command line, also available as ``flask testboost ...``.

This is the only module that wires the stages together; each command is a short recipe over
``target``, ``inventory``, ``analysis`` and ``report``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from flask import Flask
from flask.cli import ScriptInfo
from rich.console import Console

from testboost import __version__
from testboost.compat import missing_signals, path_option_type
from testboost.errors import InternalError, UsageError, stage
from testboost.hashseed import pin_hash_seed
from testboost.inventory import Route, build_inventory
from testboost.report.console import is_plain, make_console
from testboost.report.files import json_text, write_json_atomic, write_output
from testboost.report.inventory import (
    InputLines,
    describe_inputs,
    render_routes,
    routes_document,
)
from testboost.sandbox import Sandbox
from testboost.target import load_app, resolve_spec

if TYPE_CHECKING:
    from testboost.explore.runner import ProbeResult, Shard
    from testboost.report.model import Report
    from testboost.report.outputs import Outputs
    from testboost.shards import ShardPart

F = TypeVar("F", bound=Callable[..., Any])

DEMO_APP = "examples.shopapi:create_app()"
DEMO_DIR = "testboost-demo"


def _app_options(function: F) -> F:
    """The options every command that loads an app shares."""
    function = click.option(
        "--debug", is_flag=True, help="Show full tracebacks for errors in your app or input."
    )(function)
    function = click.option(
        "--allow-db",
        "allow_db",
        multiple=True,
        metavar="URL",
        help="Let the app use this non-local database URL as is (by default testboost refuses "
        "remote databases and points local ones at a temporary SQLite file).",
    )(function)
    function = click.option(
        "--app",
        "app_spec",
        metavar="SPEC",
        help="The app, as for `flask --app`: 'pkg', 'pkg.module:app', "
        "\"pkg:create_app('testing')\" or 'path/to/app.py'. "
        "Default: [tool.testboost] app in ./pyproject.toml, then FLASK_APP.",
    )(function)
    return function


def _probe_options(function: F) -> F:
    """--seed, --budget, --timeout and --setup of the commands that probe the app."""
    function = click.option(
        "--setup",
        multiple=True,
        metavar="COMMAND",
        help="A command that makes the app's schema, run in the sandbox before probing, e.g. "
        "--setup 'flask init-db' (repeatable; default: [tool.testboost] setup, else testboost "
        "uses what the factory built, the app's migrations, create_all or its init-db command).",
    )(function)
    function = click.option(
        "--timeout",
        type=click.FloatRange(min=0.1),
        default=5,
        show_default=True,
        metavar="SECONDS",
        help="Time limit of one request; a request past it is reported and the probe goes on.",
    )(function)
    function = click.option(
        "--budget",
        type=click.FloatRange(min=1),
        default=300,
        show_default=True,
        metavar="SECONDS",
        help="Stop sending new requests after this long and use what was found.",
    )(function)
    function = click.option(
        "--seed", type=int, default=0, show_default=True, help="Seed for generated values."
    )(function)
    return function


def _file_option(flag: str, dest: str, help: str) -> Callable[[F], F]:
    """An option naming an output FILE (written all at once, only when the command succeeds)."""
    return click.option(
        flag, dest, type=path_option_type(dir_okay=False), metavar="FILE", help=help
    )


def _output_options(function: F) -> F:
    """--html, --sarif, --junit and --markdown, handed to the command as one ``outputs``."""

    @functools.wraps(function)
    def wrapper(**kwargs: Any) -> Any:
        from testboost.report.outputs import Outputs

        outputs = Outputs(**{name: kwargs.pop(f"{name}_path") for name in _FORMATS})
        return function(outputs=outputs, **kwargs)

    command = wrapper
    for name, text in reversed(_FORMATS.items()):
        command = _file_option(f"--{name}", f"{name}_path", text)(command)
    return command  # type: ignore[return-value]


_FORMATS = {
    "html": "Write a self-contained HTML report (no network needed to view it) to FILE.",
    "sarif": "Write SARIF 2.1.0 (for GitHub code scanning) to FILE.",
    "junit": "Write JUnit XML (for CI test tabs) to FILE.",
    "markdown": "Write a Markdown summary to FILE (also appended to $GITHUB_STEP_SUMMARY "
    "when that is set).",
}


def _report_options(function: F) -> F:
    """--fail-on, --select, --ignore, --json and the other formats of the commands that report
    findings."""
    function = _output_options(function)
    function = _file_option(
        "--json", "json_path", "Write the report as JSON (schema testboost.report/1) to FILE."
    )(function)
    function = click.option(
        "--ignore", multiple=True, metavar="CHECK", help="Do not run these checks."
    )(function)
    function = click.option(
        "--select", multiple=True, metavar="CHECK", help="Run only these checks."
    )(function)
    return click.option(
        "--fail-on",
        type=click.Choice(["critical", "high", "medium", "low", "info", "none"]),
        default="none",
        show_default=True,
        help="Exit 1 when a finding at or above this severity is reported (a CI gate).",
    )(function)


def _fail(message: str, detail: str | None, debug: bool) -> NoReturn:
    err = make_console(sys.stderr)
    if debug and detail:
        err.print(detail, markup=False, highlight=False)
    err.print(f"testboost: error: {message}", markup=False, highlight=False)
    sys.exit(2)


def _run(debug: bool, action: Callable[[], int]) -> NoReturn:
    """Run a command body: a :class:`UsageError` is one line and exit 2, a bug one line and exit 3."""
    command = click.get_current_context().command_path.split(" ", 1)[-1]
    try:
        with stage(command):
            code = action()
    except UsageError as exc:
        _fail(exc.message, exc.detail, debug)
    except InternalError as exc:
        err = make_console(sys.stderr)
        if debug:
            err.print(exc.detail, markup=False, highlight=False)
        err.print(
            f"testboost: internal error in {exc.stage}: {type(exc.cause).__name__}: {exc.cause}"
            + ("" if debug else " (rerun with --debug for the traceback, and report it)"),
            markup=False,
            highlight=False,
        )
        sys.exit(3)
    sys.exit(code)


def _spec(app_spec: str | None) -> str:
    """``--app``, else what ``flask --app`` was given when run as ``flask testboost``."""
    if not app_spec:
        info = click.get_current_context().find_object(ScriptInfo)
        if info is not None and info.app_import_path:
            app_spec = info.app_import_path
    return resolve_spec(app_spec)


@contextmanager
def _loaded(
    spec: str, allow_db: tuple[str, ...], *, signals: bool = True
) -> Iterator[tuple[Flask, Sandbox]]:
    """The app built in a sandbox; ``signals``: the command listens to Flask's signals."""
    problem = missing_signals() if signals else None
    if problem is not None:
        raise UsageError(f"{problem}.")
    with Sandbox(allow_db=allow_db) as sandbox:
        app = load_app(spec, sandbox)
        yield app, sandbox


def _inputs(routes: tuple[Route, ...]) -> InputLines:
    from testboost.analysis.inputs import infer_inputs

    lines: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in routes:
        for handler in route.handlers:
            if route.kind == "view":
                lines[(route.endpoint, handler.method)] = describe_inputs(
                    infer_inputs(handler.function)
                )
    return lines


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="testboost")
def main() -> None:
    """Turn an untested Flask application into a tested one.

    testboost loads your app the way `flask --app` does, inside a sandbox (a temporary SQLite
    database, no outbound network, nothing written into your project): `routes` lists what it
    serves, `scan` finds its defects, `generate` writes a pytest suite for it, `audit` measures
    the tests you already have, and `ci init` puts the audit gate in CI. Try `testboost demo`
    in a testboost checkout.
    """
    pin_hash_seed()


@main.command()
@_app_options
@_file_option(
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
        spec = _spec(app_spec)
        with _loaded(spec, allow_db, signals=False) as (app, _sandbox):
            inventory = build_inventory(app)
            inputs = _inputs(inventory)
        render_routes(make_console(), inventory, inputs)
        if json_path is not None:
            write_output(json_path, json_text(routes_document(spec, inventory, inputs)))
        return 0

    _run(debug, action)


@main.command()
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
def demo(debug: bool) -> None:
    """Run the whole pipeline on the bundled example shop API (examples/shopapi).

    Run it from a checkout of testboost. It lists the example app's routes, scans them, writes
    the reports under ./testboost-demo/ (routes.json, report.json, report.html), generates a
    pytest suite into ./testboost-demo/tests/ and runs it under coverage.py.
    """

    def action() -> int:
        from testboost.report.files import write_text_atomic
        from testboost.report.html import render_html
        from testboost.report.model import report_document
        from testboost.report.terminal import render_report

        if not Path("examples", "shopapi", "__init__.py").is_file():
            raise UsageError(
                "The demo needs the bundled examples: run it from the root of a testboost checkout."
            )
        out = Path(DEMO_DIR)
        out.mkdir(exist_ok=True)
        console = make_console()
        _heading(console, f"1. routes of {DEMO_APP}")
        with _loaded(DEMO_APP, ()) as (app, _sandbox):
            inventory = build_inventory(app)
            inputs = _inputs(inventory)
        render_routes(console, inventory, inputs)
        write_json_atomic(out / "routes.json", routes_document(DEMO_APP, inventory, inputs))
        _heading(console, "2. scan: every route driven with valid and invalid input")
        report, _, _ = _diagnose(DEMO_APP, (), seed=0, budget=300, timeout=5)
        render_report(console, report)
        write_json_atomic(out / "report.json", report_document(report))
        write_text_atomic(out / "report.html", render_html(report))
        console.print(f"\nreports written to {out}/: routes.json, report.json, report.html")
        _heading(console, f"3. generate: a pytest suite in {out}/tests")
        _write_suite(console, DEMO_APP, (), out / "tests", 0, 300, 5, force=True)
        _heading(console, "4. run the generated suite")
        code = _run_suite(console, out / "tests", Path("examples", "shopapi"))
        console.print(f"\nHTML report: {out / 'report.html'}", markup=False, highlight=False)
        return code

    _run(debug, action)


@main.command()
@_app_options
@_probe_options
@_report_options
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

        _check_outputs(json_path, outputs)
        spec = _spec(app_spec)
        shard = _shard(shard_text, jobs, json_path)
        document: dict[str, Any] | None = None
        if jobs > 1:
            report = _scan_in_processes(
                spec, allow_db, seed, budget, timeout, setup, select, ignore, jobs
            )
        else:
            report, result, _ = _diagnose(
                spec, allow_db, seed, budget, timeout, select, ignore, setup, shard
            )
            document = report_document(report)
            if shard is not None:
                document["shard"] = _shard_document(spec, shard, seed, report, result)
        return _deliver(report, fail_on, json_path, outputs, document)

    _run(debug, action)


def _deliver(
    report: Report,
    fail_on: str,
    json_path: Path | None,
    outputs: Outputs,
    document: dict[str, Any] | None = None,
) -> int:
    """Print the report, write its files, and give the exit status ``--fail-on`` asks for."""
    from testboost.checks import SEVERITIES
    from testboost.report.model import report_document
    from testboost.report.outputs import write_scan_outputs
    from testboost.report.terminal import render_report

    render_report(make_console(), report)
    if json_path is not None:
        write_output(json_path, json_text(document or report_document(report)))
    write_scan_outputs(report, outputs)
    if fail_on == "none":
        return 0
    bar = SEVERITIES.index(fail_on)
    return 1 if any(SEVERITIES.index(f.severity) <= bar for f in report.findings) else 0


def _shard(text: str | None, jobs: int, json_path: Path | None) -> Shard | None:
    from testboost.shards import parse_shard

    if text is None:
        return None
    if jobs > 1:
        raise UsageError("--jobs and --shard do not go together: --jobs already splits the scan.")
    if json_path is None:
        raise UsageError("--shard needs --json FILE: the shard is kept there for testboost merge.")
    return parse_shard(text)


def _shard_document(
    spec: str, shard: Shard, seed: int, report: Report, result: ProbeResult
) -> dict[str, Any]:
    from testboost.shards import ShardPart, shard_document

    assert result.tail is not None and report.setup is not None
    part = ShardPart(
        app=spec,
        shard=shard,
        seed=seed,
        exchanges=tuple(result.exchanges),
        facts=result.facts,
        tail=result.tail,
        requests=result.requests,
        seconds=result.seconds,
        schema=result.schema,
        moved=report.setup.moved,
        hashing=report.setup.hashing,
    )
    return shard_document(part)


def _scan_in_processes(
    spec: str,
    allow_db: tuple[str, ...],
    seed: int,
    budget: float,
    timeout: float,
    setup: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    jobs: int,
) -> Report:
    import tempfile

    from testboost.shards import scan_in_processes

    _check_ids(select, ignore)
    arguments = ["--app", spec, "--seed", str(seed), "--budget", str(budget)]
    # a shard's own findings are not used (the checks run once on the merge): one cheap check
    arguments += ["--timeout", str(timeout), "--select", "n-plus-one"]
    for command in setup:
        arguments += ["--setup", command]
    for url in allow_db:
        arguments += ["--allow-db", url]
    with tempfile.TemporaryDirectory(prefix="testboost-jobs-") as directory:
        parts = scan_in_processes(arguments, jobs, Path(directory))
    return _merged_report(parts, allow_db, select, ignore)


def _merged_report(
    parts: list[ShardPart],
    allow_db: tuple[str, ...],
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> Report:
    """One report from every shard of a scan: the app's inventory, the checks over all routes."""
    from testboost.checks import run_checks
    from testboost.report.model import SandboxSetup, build_report
    from testboost.shards import check_complete, merge_parts

    checks = _check_ids(select, ignore)
    check_complete(parts)
    spec = parts[0].app
    with _loaded(spec, allow_db) as (app, _sandbox), stage("inventory"):
        inventory = build_inventory(app)
    merged = merge_parts(inventory, parts)
    with stage("checks"):
        findings = run_checks(merged.exchanges, merged.facts, select=select or None, ignore=ignore)
    first = parts[0]
    return build_report(
        spec,
        inventory,
        merged.exchanges,
        findings,
        seed=first.seed,
        seconds=merged.seconds,
        requests=merged.requests,
        notes=merged.notes,
        reach=merged.reach,
        setup=SandboxSetup(first.schema, first.moved, first.hashing),
        checks=checks,
    )


@main.command()
@click.argument("reports", nargs=-1, required=True, type=path_option_type(dir_okay=False))
@click.option(
    "--allow-db",
    "allow_db",
    multiple=True,
    metavar="URL",
    help="As for scan: the app is loaded again (from the shards' --app) for its inventory.",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@_report_options
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

        _check_outputs(json_path, outputs)
        parts = [read_shard(Path(path)) for path in reports]
        report = _merged_report(parts, allow_db, select, ignore)
        return _deliver(report, fail_on, json_path, outputs)

    _run(debug, action)


def _check_outputs(json_path: Path | None, outputs: Outputs) -> None:
    """Fail before a long run when a report file could not be written after it."""
    from testboost.report.files import check_output

    if json_path is not None:
        check_output(json_path)
    outputs.check()


def _heading(console: Console, text: str) -> None:
    if is_plain(console):
        console.print(f"\n== {text} ==\n")
    else:
        console.rule(text)


def _diagnose(
    spec: str,
    allow_db: tuple[str, ...],
    seed: int,
    budget: float,
    timeout: float,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    setup: tuple[str, ...] = (),
    shard: Shard | None = None,
) -> tuple[Report, ProbeResult, tuple[Route, ...]]:
    """Load, inventory, explore and check one app: the diagnosis ``scan`` and ``demo`` print."""
    from testboost.checks import run_checks
    from testboost.report.model import SandboxSetup, build_report

    checks = _check_ids(select, ignore)
    with _loaded(spec, allow_db) as (app, sandbox):
        with stage("inventory"):
            inventory = build_inventory(app)
        with stage("explore"):
            result = _explore_with_progress(
                app, spec, inventory, sandbox, seed, budget, timeout, setup, shard
            )
        moved = tuple(dict.fromkeys((r.setting, r.original) for r in sandbox.redirects))
        hashing = tuple(sandbox.cheap_hashes)
    with stage("checks"):
        findings = run_checks(result.exchanges, result.facts, select=select or None, ignore=ignore)
    report = build_report(
        spec,
        inventory,
        result.exchanges,
        findings,
        seed=seed,
        seconds=result.seconds,
        requests=result.requests,
        notes=result.notes,
        reach=result.reach,
        setup=SandboxSetup(result.schema, moved, hashing),
        checks=checks,
    )
    return report, result, inventory


def _check_ids(select: tuple[str, ...], ignore: tuple[str, ...]) -> list[str]:
    """The ids of the checks that run, sorted; a usage error on an unknown id."""
    from testboost.checks import load_checks

    unknown = sorted({*select, *ignore} - load_checks().keys())
    if unknown:
        raise UsageError(
            f"Unknown check id {', '.join(map(repr, unknown))}: use one of "
            f"{', '.join(sorted(load_checks()))}."
        )
    return sorted((set(select) or load_checks().keys()) - set(ignore))


def _explore_with_progress(
    app: Flask,
    spec: str,
    inventory: tuple[Route, ...],
    sandbox: Sandbox,
    seed: int,
    budget: float,
    timeout: float,
    setup: tuple[str, ...] = (),
    shard: Shard | None = None,
) -> ProbeResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from testboost.config import load_auth_config, load_setup
    from testboost.explore.runner import explore

    err = make_console(sys.stderr)
    own = [r for r in inventory if r.kind == "view"]
    with Progress(
        TextColumn("probing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("", total=len(own))

        def on_route(route: Route) -> None:
            progress.update(task, advance=1, description=route.rule)

        return explore(
            app,
            spec,
            inventory,
            sandbox,
            seed=seed,
            budget=budget,
            timeout=timeout,
            auth=load_auth_config(),
            on_route=on_route,
            setup=setup or load_setup(),
            shard=shard,
        )


@main.command()
@_app_options
@click.option(
    "--tests",
    "tests_dir",
    type=path_option_type(),
    metavar="DIR",
    help="The test suite to audit. Default: [tool.testboost] tests, then ./tests.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Exit 1 when route coverage ((method, rule) pairs reached by a test) is below PCT.",
)
@_file_option("--json", "json_path", "Write the audit as JSON (schema testboost.audit/1) to FILE.")
@_output_options
@_file_option(
    "--baseline",
    "baseline_path",
    "The CI gate: write FILE when it does not exist; otherwise exit 1 when route coverage "
    "dropped, a new hollow test appeared or a pair no test reaches is not listed in FILE.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Stop a suite still running after this long and report the partial results (exit 2).",
)
@click.option(
    "--prove/--no-prove",
    default=None,
    help="Rerun each passing test with each route it reaches broken (status, body, database "
    "write, view raising) to prove which tests catch a broken route. Default: on when the "
    "estimate fits --budget.",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds the proof may take; the tests left are reported unproven.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Run the suite and its proof in N pytest-xdist workers (when pytest-xdist is installed).",
)
def audit(
    app_spec: str | None,
    allow_db: tuple[str, ...],
    debug: bool,
    tests_dir: Path | None,
    fail_under: float | None,
    json_path: Path | None,
    outputs: Outputs,
    baseline_path: Path | None,
    timeout: float | None,
    prove: bool | None,
    budget: float,
    workers: int,
) -> None:
    """Measure an existing test suite: routes it reaches, statuses it sees, hollow tests.

    Runs your suite (python -m pytest DIR, from the current directory, under coverage.py and
    testboost's pytest plugin), then prints which tests reach each (method, rule) pair of the
    app, the statuses they saw, the line coverage of each view, the pairs no test reaches and
    the tests that check nothing. Nothing is written into your project but the report files
    named (--json, --html, --sarif, --junit, --markdown) and --baseline.

    \b
    Examples:
      testboost audit --app "myapi:create_app('testing')" --tests tests --fail-under 80
      testboost audit --tests tests --baseline .testboost-baseline.json
      testboost audit --tests tests --prove --budget 600 --workers 2
    """

    def action() -> int:
        from testboost.audit.baseline import (
            baseline_document,
            baseline_of,
            compare,
            read_baseline,
        )
        from testboost.audit.coverage import source_file
        from testboost.audit.matrix import build_audit
        from testboost.audit.run import ProveOptions, run_suite, unusable_reason
        from testboost.audit.smells import scan_paths
        from testboost.report.audit import (
            audit_document,
            render_audit,
            render_baseline_check,
            render_baseline_written,
            unusable_document,
        )
        from testboost.report.outputs import write_audit_outputs

        tests = _audit_tests_dir(tests_dir)
        _check_outputs(json_path, outputs)
        spec = _spec(app_spec)
        with _loaded(spec, allow_db) as (app, _sandbox):
            inventory = build_inventory(app)
        view_files = {
            file
            for route in inventory
            if route.kind == "view"
            for handler in route.handlers
            if (file := source_file(handler.function)) is not None
        }
        scan = scan_paths([tests], Path.cwd())
        err = make_console(sys.stderr)
        with err.status(f"running the suite in {tests} ...") if err.is_terminal else _nothing():
            run = run_suite(
                tests,
                root=Path.cwd(),
                timeout=timeout,
                measure_files=view_files,
                prove=None
                if prove is False
                else ProveOptions("on" if prove else "auto", budget, workers),
            )
        problem = unusable_reason(run)
        if problem is not None and not run.timed_out:
            if json_path is not None:
                write_json_atomic(json_path, unusable_document(spec, str(tests), problem))
            raise UsageError(problem)
        result = build_audit(spec, inventory, run, scan)
        console = make_console()
        render_audit(console, result)
        if json_path is not None:
            write_output(json_path, json_text(audit_document(result)))
        write_audit_outputs(result, outputs)
        if problem is not None:
            raise UsageError(problem)
        code = 0
        coverage = result.route_coverage
        if fail_under is not None and coverage.percent < fail_under:
            console.print(
                f"\nRoute coverage {coverage.percent:.1f}% is under --fail-under {fail_under:g}%.",
                highlight=False,
            )
            code = 1
        if baseline_path is not None:
            current = baseline_of(result)
            if not baseline_path.exists():
                write_json_atomic(
                    baseline_path, baseline_document(current, app=spec, tests_dir=str(tests))
                )
                render_baseline_written(console, baseline_path, result)
            else:
                check = compare(read_baseline(baseline_path), current)
                render_baseline_check(console, baseline_path, check)
                code = max(code, 1 if check.failed else 0)
        return code

    _run(debug, action)


def _audit_tests_dir(tests_dir: Path | None) -> Path:
    """``--tests``, else ``[tool.testboost] tests``, else ``./tests``; it must exist."""
    from testboost.config import read_pyproject

    if tests_dir is None:
        configured = read_pyproject(Path.cwd()).get("tests")
        if isinstance(configured, str) and configured:
            tests_dir = Path(configured)
        elif Path("tests").is_dir():
            tests_dir = Path("tests")
        else:
            raise UsageError(
                "No tests given: pass --tests DIR (the directory of your test suite), or set "
                "[tool.testboost] tests in pyproject.toml."
            )
    if not tests_dir.exists():
        raise UsageError(
            f"No such tests directory: {tests_dir}. Pass --tests the directory of your test suite "
            "(run testboost from the project's root)."
        )
    return tests_dir


@contextmanager
def _nothing() -> Iterator[None]:
    yield


@main.group()
def ci() -> None:
    """Set up the testboost gate in CI."""


@ci.command("init")
@click.option(
    "--dir",
    "directory",
    type=path_option_type(file_okay=False),
    default=Path("."),
    show_default=True,
    help="The project's root directory.",
)
@click.option(
    "--tests",
    default="tests",
    show_default=True,
    metavar="DIR",
    help="The test suite the gate audits, relative to the project's root.",
)
@click.option(
    "--app",
    "app_spec",
    metavar="SPEC",
    help="Name the app in the gate's command (default: it uses [tool.testboost] app).",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def ci_init(directory: Path, tests: str, app_spec: str | None, force: bool) -> None:
    """Write a GitHub Actions workflow and a pre-commit hook that run the audit gate.

    Writes .github/workflows/testboost.yml and .pre-commit-config.yaml, both running
    `testboost audit --tests DIR --baseline .testboost-baseline.json`. Run that command once and
    commit the baseline it writes: from then on the gate fails a change that lowers route
    coverage, adds a hollow test or adds a route no test reaches.
    """

    def action() -> int:
        from testboost.ci import BASELINE, audit_command, plan_ci_files, write_ci_files

        plan = plan_ci_files(directory, tests=tests, app=app_spec)
        written = write_ci_files(plan, force=force)
        console = make_console()
        for path in written:
            console.print(f"wrote {(directory / path).as_posix()}", markup=False, highlight=False)
        for note in plan.notes:
            console.print(f"note: {note}", markup=False, highlight=False)
        console.print(
            f"Next: run `{audit_command(tests, app_spec)}` once and commit {BASELINE}.",
            markup=False,
            highlight=False,
        )
        return 0

    _run(False, action)


@main.command()
@_app_options
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=path_option_type(file_okay=False),
    metavar="DIR",
    help="Directory to write the suite into (created if needed), e.g. tests/generated.",
)
@_probe_options
@click.option(
    "--force",
    is_flag=True,
    help="Write into a directory that holds other files; only files with testboost's header "
    "line are overwritten.",
)
@click.option(
    "--prove/--no-prove",
    default=None,
    help="Prove the written suite as `audit --prove` does (each route broken: status, body, "
    "database write, view raising) and add a test for every break no test catches. Default: "
    "on when the estimate fits --prove-budget.",
)
@click.option(
    "--prove-budget",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds the proof of the written suite may take; what is left is said unproven.",
)
def generate(
    app_spec: str | None,
    allow_db: tuple[str, ...],
    debug: bool,
    out_dir: Path,
    seed: int,
    budget: float,
    timeout: float,
    setup: tuple[str, ...],
    force: bool,
    prove: bool | None,
    prove_budget: float,
) -> None:
    """Write a pytest suite for the app: fixtures, per-route tests, flows, query budgets.

    testboost probes every route as `scan` does, replays what it saw through the generated
    conftest, and writes plain pytest code that needs only pytest and your app's own
    dependencies. It passes on today's app; each defect found is an xfail(strict=True) test.
    Then it proves the suite: every test rerun with each route it reaches broken; a break no
    test catches gets a test that does, and every route a passing test of what it answers today.

    \b
    Examples:
      testboost generate --app "myapi:create_app('testing')" --out tests/generated
      testboost generate --out tests/generated --prove --prove-budget 900
      pytest tests/generated
    """

    def action() -> int:
        _write_suite(
            make_console(),
            _spec(app_spec),
            allow_db,
            out_dir,
            seed,
            budget,
            timeout,
            force,
            setup,
            prove=None if prove is False else ("on" if prove else "auto"),
            prove_budget=prove_budget,
        )
        return 0

    _run(debug, action)


def _write_suite(
    console: Console,
    spec: str,
    allow_db: tuple[str, ...],
    out_dir: Path,
    seed: int,
    budget: float,
    timeout: float,
    force: bool,
    setup: tuple[str, ...] = (),
    *,
    prove: str | None = None,
    prove_budget: float = 300.0,
) -> None:
    """Probe the app, generate its suite into ``out_dir`` and say what was written; with
    ``prove`` (``on`` or ``auto``) prove it and add what catches the breaks that survive."""
    from testboost.checks import run_checks
    from testboost.generate import generate_suite
    from testboost.generate.selfproof import runner
    from testboost.generate.writer import check_directory, write_suite

    check_directory(out_dir, force=force)
    with _loaded(spec, allow_db) as (app, sandbox):
        inventory = build_inventory(app)
        result = _explore_with_progress(app, spec, inventory, sandbox, seed, budget, timeout, setup)
        findings = run_checks(result.exchanges, result.facts)
        suite = generate_suite(
            app,
            spec,
            inventory,
            result,
            findings,
            seed=seed,
            out=out_dir,
            project_root=Path.cwd(),
            prove=None if prove is None else runner(out_dir, prove, force=force),
            prove_budget=prove_budget,
        )
    written = write_suite(out_dir, suite.files, force=force)
    from testboost.report.reach import render_reach

    render_reach(console, result.reach)
    for path in written.kept:
        console.print(f"kept {path}: it is not testboost's (no header line)", markup=False)
    for note in suite.notes:
        console.print(note, markup=False, highlight=False)
    for line in suite.proof.lines() if suite.proof is not None else ():
        console.print(line, markup=False, highlight=False)
    console.print(
        f"wrote {len(written.written)} files to {out_dir}: {suite.tests} tests, "
        f"{suite.xfails} of them xfail for the {len(findings)} defects found. "
        f"Run: pytest {out_dir}",
        markup=False,
        highlight=False,
    )


def _run_suite(console: Console, suite: Path, source: Path) -> int:
    """Run a generated suite under coverage.py; print its counts and the line coverage reached."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="testboost-demo-") as tmp:
        data = Path(tmp) / ".coverage"
        env = {**os.environ, "COVERAGE_FILE": str(data), "PYTHONDONTWRITEBYTECODE": "1"}
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "coverage",
                "run",
                f"--source={source}",
                "-m",
                "pytest",
                str(suite),
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:randomly",
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        summary = next(
            (line for line in reversed(run.stdout.splitlines()) if " in " in line), "no summary"
        )
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", "-q", "-o", str(Path(tmp) / "c.json")],
            env=env,
            capture_output=True,
        )
        report = Path(tmp) / "c.json"
        percent = (
            json.loads(report.read_text())["totals"]["percent_covered"] if report.exists() else 0.0
        )
    console.print(f"generated suite: {summary.strip('= ')}", markup=False, highlight=False)
    console.print(
        f"line coverage of {source}/ under the generated suite: {percent:.1f}%",
        markup=False,
        highlight=False,
    )
    return run.returncode


def _duration(value: str) -> float:
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


@main.command()
@_app_options
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

        seconds = _duration(run_time)
        console = make_console()
        err = make_console(sys.stderr)
        options = LoadOptions(
            spec=_spec(app_spec),
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

    _run(debug, action)


flask_group = click.Group(
    "testboost",
    commands={
        "routes": routes,
        "scan": scan,
        "audit": audit,
        "ci": ci,
        "generate": generate,
        "load": load,
    },
    help="testboost commands on the app given to `flask --app` (see `testboost --help`).",
)
