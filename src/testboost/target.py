"""Locate and build the user's Flask app inside a :class:`~testboost.sandbox.Sandbox`.

``--app`` takes every form ``flask --app`` takes (``pkg``, ``pkg.module:app``,
``pkg:create_app('testing')``, ``path/to/app.py``) because it is handed to Flask's own locating
code (:class:`flask.cli.ScriptInfo`). Without ``--app``, ``[tool.testboost] app`` in
``./pyproject.toml`` is used, then ``FLASK_APP``.

>>> with Sandbox() as sandbox:                                      # doctest: +SKIP
...     app = load_app("examples.shopapi:create_app()", sandbox)
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.cli import NoAppException, ScriptInfo

from testboost.config import read_pyproject as read_pyproject  # re-exported
from testboost.errors import UsageError
from testboost.explore.caches import sandbox_caches
from testboost.sandbox import Sandbox, environment, no_bytecode

_HINT = "Pass --app the way you pass it to `flask --app` (e.g. --app 'myapi:create_app()')."


def resolve_spec(spec: str | None, directory: Path | None = None) -> str:
    """The app spec to load: ``--app``, else ``[tool.testboost] app``, else ``FLASK_APP``."""
    if spec:
        return spec
    configured = read_pyproject(directory or Path.cwd()).get("app")
    if isinstance(configured, str) and configured:
        return configured
    env = os.environ.get("FLASK_APP")
    if env:
        return env
    raise UsageError(f"No app given. {_HINT} Or set [tool.testboost] app in pyproject.toml.")


def load_app(spec: str, sandbox: Sandbox) -> Flask:
    """Import and build the app named by ``spec`` with its databases pointed into ``sandbox``.

    The app is put in testing mode with CSRF off and its database settings rewritten before any
    engine is created. Any failure the user can fix becomes a :class:`UsageError` naming it.
    """
    path = re.split(r":(?![\\/])", spec, maxsplit=1)[0]
    if path.endswith(".py") and not Path(path).is_file():
        raise UsageError(f"No such file: {path}. {_HINT}")
    try:
        with ExitStack() as stack:
            stack.enter_context(no_bytecode())
            stack.enter_context(environment(sandbox.environment()))
            stack.enter_context(_sandboxed_flask_sqlalchemy(sandbox))
            stack.enter_context(sandbox.loading())
            app = ScriptInfo(app_import_path=spec, set_debug_flag=False).load_app()
    except UsageError:
        raise
    except NoAppException as exc:
        raise UsageError(_no_app_message(spec, str(exc)), detail=traceback.format_exc()) from exc
    except SyntaxError as exc:
        where = f"{exc.filename}:{exc.lineno}" if exc.filename else spec
        raise UsageError(
            f"Cannot import the app: syntax error at {where}: {exc.msg}.",
            detail=traceback.format_exc(),
        ) from exc
    except (Exception, SystemExit) as exc:
        raise UsageError(
            f"Building the app {spec!r} failed: {type(exc).__name__}: {exc}. "
            "Fix the error (run with --debug for the traceback) or pass a factory that works "
            "without external services.",
            detail=traceback.format_exc(),
        ) from exc
    sandbox.sandbox_config(app.config)
    sandbox_caches(app, sandbox.owns, lambda path: sandbox.folder(path, setting="CACHE_DIR"))
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False)
    if not any(rule.endpoint != "static" for rule in app.url_map.iter_rules()):
        raise UsageError(
            f"The app {spec!r} has no routes. Point --app at the app that registers your "
            "blueprints (often the factory, e.g. --app 'myapi:create_app()')."
        )
    return app


def _no_app_message(spec: str, message: str) -> str:
    first = message.strip().splitlines()[0]
    if "an ImportError was raised" in first:
        last = [line for line in message.strip().splitlines() if line.strip()][-1]
        return f"Cannot import the app {spec!r}: {last.strip()}. Install what it needs, or fix the import."
    if first.startswith("Could not import"):
        return (
            f"Cannot find the module of {spec!r}: {first} Run testboost from the project's "
            f"directory. {_HINT}"
        )
    return f"Cannot load the app {spec!r}: {first} {_HINT}"


@contextmanager
def _sandboxed_flask_sqlalchemy(sandbox: Sandbox) -> Iterator[None]:
    """Rewrite the config Flask-SQLAlchemy reads before it creates its engines."""
    try:
        from flask_sqlalchemy import SQLAlchemy
    except ImportError:
        yield
        return
    real_init_app: Callable[..., None] = SQLAlchemy.init_app

    def init_app(self: Any, app: Flask) -> None:
        sandbox.sandbox_config(app.config)
        real_init_app(self, app)

    SQLAlchemy.init_app = init_app  # type: ignore[method-assign]
    try:
        yield
    finally:
        SQLAlchemy.init_app = real_init_app  # type: ignore[method-assign]
