"""Create the app's tables in the sandbox the way the app itself makes them, and say which way.

The recipe is chosen by evidence, in this order, and each step only adds what is still missing:

1. what the project states: ``[tool.testboost] setup = ["flask init-db"]`` or ``--setup``;
2. what the factory built while loading (a raw ``executescript(SCHEMA)``, a ``create_all`` in
   the factory, an existing database file copied into the sandbox);
3. the app's migrations (Flask-Migrate / Alembic: ``flask db upgrade``);
4. ``create_all`` on every SQLAlchemy metadata the app has (Flask-SQLAlchemy 2.x and 3.x,
   Alchemical, plain declarative bases on the engines the app made);
5. the app's own CLI command that creates the schema (``init-db``, ``create-db``, ...).

>>> setup = create_schema(app, sandbox_directory)                   # doctest: +SKIP
>>> setup.recipe
'flask db upgrade'
"""

from __future__ import annotations

import contextlib
import io
import logging
import shlex
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from testboost.analysis.models import app_metadatas
from testboost.compat import sqlalchemy_extension
from testboost.errors import UsageError

#: CLI commands apps commonly register to create their schema.
INIT_COMMANDS = (
    "init-db",
    "init_db",
    "initdb",
    "create-db",
    "create_db",
    "createdb",
    "create-tables",
    "create_tables",
)

#: Said when no recipe made a single table.
NO_SCHEMA = "none (no tables: the app creates its own, or keeps no database)"


@dataclass(frozen=True)
class SchemaSetup:
    """How the schema was made (``recipe``, as printed) and what was tried and failed."""

    recipe: str
    notes: tuple[str, ...] = ()
    #: The steps that made tables, for the generated conftest to repeat: ``"create_all"``,
    #: ``"migrations"`` or a CLI command line such as ``"init-db"``.
    steps: tuple[str, ...] = ()


def create_schema(
    app: Flask, directory: Path, setup: Sequence[str] = (), engines: Sequence[Any] = ()
) -> SchemaSetup:
    """Make the app's tables in the sandbox ``directory``; say how (see the module's order).

    ``setup`` are the commands the project states (``flask init-db``); ``engines`` are the
    SQLAlchemy engines the app created while loading, for metadata not bound to Flask-SQLAlchemy.
    """
    notes: list[str] = []
    recipes: list[str] = []
    steps: list[str] = []
    if setup:
        for command in setup:
            _run_stated_command(app, command)
            steps.append(_flask_arguments(command))
        recipes.append("[tool.testboost] setup: " + ", ".join(setup))
    elif _tables(directory):
        recipes.append("the app's factory")
    before = _tables(directory)
    if not setup:
        problem = _upgrade_migrations(app)
        if problem is not None:
            notes.append(problem)
        if _tables(directory) - before:
            recipes.append("flask db upgrade")
            steps.append("migrations")
    before = _tables(directory)
    held: list[str] = []
    created = _create_all(app, engines, notes, held)
    if _tables(directory) - before:
        recipes.append(created)
        if created.startswith("Flask-SQLAlchemy"):
            steps.append("create_all")
        steps.extend(held)
    if not _tables(directory) and not setup:
        commands = getattr(app.cli, "commands", {})
        for name in INIT_COMMANDS:
            if name in commands and _invoke(app, [name]) is None:
                recipes.append(f"flask {name}")
                steps.append(name)
                break
    recipe = " + ".join(recipes) if recipes and _tables(directory) else NO_SCHEMA
    return SchemaSetup(recipe, tuple(notes), tuple(steps))


def _tables(directory: Path) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    connect = getattr(sqlite3.connect, "__wrapped__", sqlite3.connect)
    for file in sorted(directory.glob("*.sqlite")):
        if file.stat().st_size == 0:
            continue
        connection = connect(str(file))
        try:
            found |= {
                (file.name, name)
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
                )
            }
        except sqlite3.DatabaseError:
            continue
        finally:
            connection.close()
    return found


def _flask_arguments(command: str) -> str:
    words = shlex.split(command)
    return shlex.join(words[1:] if words and words[0] == "flask" else words)


def _run_stated_command(app: Flask, command: str) -> None:
    arguments = shlex.split(_flask_arguments(command))
    if not arguments:
        raise UsageError(f"[tool.testboost] setup has an empty command: {command!r}.")
    if arguments[:2] == ["db", "upgrade"]:
        problem = _upgrade_migrations(app, required=True)
        if problem is not None:
            raise UsageError(f"The setup command {command!r} failed: {problem}")
        return
    failure = _invoke(app, arguments)
    if failure is not None:
        raise UsageError(
            f"The setup command {command!r} failed: {failure}. Fix it in [tool.testboost] setup "
            "(or --setup); it runs inside the sandbox, on its temporary database."
        )


def _invoke(app: Flask, arguments: list[str]) -> str | None:
    """Run one of the app's CLI commands in-process; None when it worked, else why not."""
    if arguments[0] not in getattr(app.cli, "commands", {}):
        return f"the app has no CLI command {arguments[0]!r}"
    # FlaskGroup pushes an app context for every command; app.cli alone does not
    with app.app_context():
        result = app.test_cli_runner().invoke(args=arguments)
    if result.exit_code == 0:
        return None
    output = (result.output or "").strip().splitlines()
    cause = result.exception if result.exception is not None else (output[-1] if output else "")
    return f"exit code {result.exit_code}: {cause}"


def _upgrade_migrations(app: Flask, *, required: bool = False) -> str | None:
    """Apply Flask-Migrate's migrations when the app has them; why not, if they failed."""
    migrate = app.extensions.get("migrate")
    directory = getattr(migrate, "directory", None)
    if migrate is None or not isinstance(directory, str):
        return "the app does not use Flask-Migrate" if required else None
    if (
        not (Path(directory) / "env.py").is_file()
        and not (Path(app.root_path).parent / directory / "env.py").is_file()
    ):
        return f"no migrations in {directory}/" if required else None
    try:
        from flask_migrate import upgrade
    except ImportError:
        return None
    try:
        with app.app_context(), _logging_kept(), contextlib.redirect_stderr(io.StringIO()):
            upgrade(directory=directory)
    except (Exception, SystemExit) as exc:
        return (
            f"the app's migrations (flask db upgrade) failed: {type(exc).__name__}: {exc}; "
            "testboost fell back to create_all"
        )
    return None


@contextlib.contextmanager
def _logging_kept() -> Iterator[None]:
    """Undo what Alembic's ``fileConfig`` does to logging (handlers, disabled loggers)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    disabled = {
        name: logger.disabled
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, logger in logging.Logger.manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.disabled = disabled.get(name, False)


def _create_all(app: Flask, engines: Sequence[Any], notes: list[str], held: list[str]) -> str:
    """``create_all`` on Flask-SQLAlchemy and on every other metadata; what was called.

    ``held`` gets a ``create_all:module:name`` step for each object other than Flask-SQLAlchemy
    whose ``create_all()`` made tables, for the generated conftest to call the same way.
    """
    done = "create_all()"
    extension = sqlalchemy_extension(app)  # the SQLAlchemy object, on Flask-SQLAlchemy 2 too
    create = getattr(extension, "create_all", None)
    bound: set[int] = set()
    if callable(create):
        try:
            with app.app_context():
                create()
            done = "Flask-SQLAlchemy create_all()"
            model = getattr(extension, "Model", None)
            metadata = getattr(model, "metadata", None)
            if metadata is not None:
                bound.add(id(metadata))
        except Exception as exc:
            notes.append(f"Flask-SQLAlchemy create_all() failed: {type(exc).__name__}: {exc}")
    others = [m for m in app_metadatas(app) if id(m) not in bound and m.tables]
    for name, holder in _metadata_holders(app, others):
        # an object such as Alchemical's db: it knows its engines, made lazily on first use
        try:
            with app.app_context():
                holder.create_all()
        except Exception as exc:
            notes.append(f"{name}.create_all() failed: {type(exc).__name__}: {exc}")
            continue
        done = f"{name}.create_all()"
        held.append(f"create_all:{name}")
        others = [
            m for m in others if m is not getattr(getattr(holder, "Model", None), "metadata", None)
        ]
    if others and not engines:
        names = ", ".join(sorted({t for m in others for t in m.tables})[:5])
        notes.append(
            f"tables of models outside Flask-SQLAlchemy ({names}) have no engine the app made "
            "while loading; state how the schema is made with [tool.testboost] setup"
        )
    for metadata in others:
        for engine in engines:
            try:
                metadata.create_all(engine)
                done = "create_all() on the app's models"
            except Exception as exc:
                notes.append(f"create_all() on {engine.url} failed: {type(exc).__name__}: {exc}")
    return done


def _metadata_holders(app: Flask, metadatas: Sequence[Any]) -> list[tuple[str, Any]]:
    """Objects of the app's modules with a ``create_all()`` and a ``Model`` of these metadatas."""
    import sys

    found: list[tuple[str, Any]] = []
    wanted = {id(m) for m in metadatas}
    names = {app.import_name, *(getattr(v, "__module__", "") for v in app.view_functions.values())}
    for module_name in sorted(n for n in names if n):
        module = sys.modules.get(module_name)
        for attribute, value in sorted(vars(module).items()) if module is not None else ():
            try:  # a context-local proxy (request, g, current_user) raises outside a request
                if isinstance(value, type) or not callable(getattr(value, "create_all", None)):
                    continue
                metadata = getattr(getattr(value, "Model", None), "metadata", None)
            except Exception:
                continue
            if id(metadata) in wanted and all(value is not v for _, v in found):
                found.append((f"{module_name}:{attribute}", value))
    return found
