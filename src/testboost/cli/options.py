"""The click options the commands share: the app, probing, output files, reports."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from testboost.compat import path_option_type

if TYPE_CHECKING:
    pass


F = TypeVar("F", bound=Callable[..., Any])


def app_options(function: F) -> F:
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


def probe_options(function: F) -> F:
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
        help="Stop sending new requests after this long and use what was found (time spent "
        "waiting for a CPU that other processes held is not counted).",
    )(function)
    function = click.option(
        "--seed", type=int, default=0, show_default=True, help="Seed for generated values."
    )(function)
    return function


def file_option(flag: str, dest: str, help: str) -> Callable[[F], F]:
    """An option naming an output FILE (written all at once, only when the command succeeds)."""
    return click.option(
        flag, dest, type=path_option_type(dir_okay=False), metavar="FILE", help=help
    )


def output_options(function: F) -> F:
    """--html, --sarif, --junit and --markdown, handed to the command as one ``outputs``."""

    @functools.wraps(function)
    def wrapper(**kwargs: Any) -> Any:
        from testboost.report.outputs import Outputs

        outputs = Outputs(**{name: kwargs.pop(f"{name}_path") for name in FORMATS})
        return function(outputs=outputs, **kwargs)

    command = wrapper
    for name, text in reversed(FORMATS.items()):
        command = file_option(f"--{name}", f"{name}_path", text)(command)
    return command  # type: ignore[return-value]


FORMATS = {
    "html": "Write a self-contained HTML report (no network needed to view it) to FILE.",
    "sarif": "Write SARIF 2.1.0 (for GitHub code scanning) to FILE.",
    "junit": "Write JUnit XML (for CI test tabs) to FILE.",
    "markdown": "Write a Markdown summary to FILE (also appended to $GITHUB_STEP_SUMMARY "
    "when that is set).",
}


def report_options(function: F) -> F:
    """--fail-on, --select, --ignore, --json and the other formats of the commands that report
    findings."""
    function = output_options(function)
    function = file_option(
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
