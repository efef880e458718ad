"""Running a command body: errors as one line and an exit status, the app loaded in its sandbox."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from flask import Flask
from flask.cli import ScriptInfo
from rich.console import Console

from testboost.compat import missing_signals
from testboost.errors import InternalError, UsageError, stage
from testboost.inventory import Route
from testboost.report.console import is_plain, make_console
from testboost.report.inventory import (
    InputLines,
    describe_inputs,
)
from testboost.sandbox import Sandbox
from testboost.target import load_app, resolve_spec

if TYPE_CHECKING:
    from testboost.report.outputs import Outputs


def _fail(message: str, detail: str | None, debug: bool) -> NoReturn:
    err = make_console(sys.stderr)
    if debug and detail:
        err.print(detail, markup=False, highlight=False)
    err.print(f"testboost: error: {message}", markup=False, highlight=False)
    sys.exit(2)


def run_command(debug: bool, action: Callable[[], int]) -> NoReturn:
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


def command_spec(app_spec: str | None) -> str:
    """``--app``, else what ``flask --app`` was given when run as ``flask testboost``."""
    if not app_spec:
        info = click.get_current_context().find_object(ScriptInfo)
        if info is not None and info.app_import_path:
            app_spec = info.app_import_path
    return resolve_spec(app_spec)


@contextmanager
def loaded_app(
    spec: str, allow_db: tuple[str, ...], *, signals: bool = True, seed: int | None = None
) -> Iterator[tuple[Flask, Sandbox]]:
    """The app built in a sandbox; ``signals``: the command listens to Flask's signals.

    ``seed`` (the run's ``--seed``) makes the salts of the password hashes made in it repeat.
    """
    problem = missing_signals() if signals else None
    if problem is not None:
        raise UsageError(f"{problem}.")
    with Sandbox(allow_db=allow_db, salt_seed=seed) as sandbox:
        app = load_app(spec, sandbox)
        yield app, sandbox


def input_lines(routes: tuple[Route, ...]) -> InputLines:
    from testboost.analysis.inputs import infer_inputs

    lines: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in routes:
        for handler in route.handlers:
            if route.kind == "view":
                lines[(route.endpoint, handler.method)] = describe_inputs(
                    infer_inputs(handler.function)
                )
    return lines


def check_outputs(json_path: Path | None, outputs: Outputs) -> None:
    """Fail before a long run when a report file could not be written after it."""
    from testboost.report.files import check_output

    if json_path is not None:
        check_output(json_path)
    outputs.check()


def heading(console: Console, text: str) -> None:
    if is_plain(console):
        console.print(f"\n== {text} ==\n")
    else:
        console.rule(text)


@contextmanager
def no_status() -> Iterator[None]:
    yield
