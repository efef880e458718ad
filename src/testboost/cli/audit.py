"""``testboost audit`` and ``testboost ci init``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from testboost.cli.options import app_options, file_option, output_options
from testboost.cli.running import check_outputs, command_spec, loaded_app, no_status, run_command
from testboost.compat import path_option_type
from testboost.errors import UsageError
from testboost.inventory import build_inventory
from testboost.report.console import make_console
from testboost.report.files import json_text, write_json_atomic, write_output

if TYPE_CHECKING:
    from testboost.report.outputs import Outputs


@click.command()
@app_options
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
@file_option("--json", "json_path", "Write the audit as JSON (schema testboost.audit/1) to FILE.")
@output_options
@file_option(
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

        tests = audit_tests_dir(tests_dir)
        check_outputs(json_path, outputs)
        spec = command_spec(app_spec)
        with loaded_app(spec, allow_db) as (app, _sandbox):
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
        with err.status(f"running the suite in {tests} ...") if err.is_terminal else no_status():
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

    run_command(debug, action)


def audit_tests_dir(tests_dir: Path | None) -> Path:
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


@click.group()
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

    run_command(False, action)
