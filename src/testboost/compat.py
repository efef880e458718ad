"""The one place where the versions of the app's libraries differ for testboost.

testboost is installed into the app's own environment and must run on the versions the app pins:
Flask 1.1.4 (Werkzeug 1.0, Jinja2 2.11, click 7.1) to 3.1, SQLAlchemy 1.3 to 2.x and
Flask-SQLAlchemy 2.5 to 3.1. Every API that is missing or behaves differently on one of them is
reached through a function here, chosen by the installed version (:func:`version`), so that the
rest of the code is written once, against the newest API:

==========================  =========================================  ===========================
what                        old                                        new
==========================  =========================================  ===========================
a URL with its password     ``URL.__to_string__`` (SQLAlchemy 1.3)     ``URL.render_as_string``
the autoincrement column    ``Table._autoincrement_column`` (< 2.0)    ``Table.autoincrement_column``
mapper registries           declarative base classes (1.3)             ``registry`` objects (1.4+)
relationship loads seen     none (1.3)                                 ``do_orm_execute`` (1.4+)
engines, ``db``             ``get_engine``, state ``.db`` (F-SQLA 2)   ``db.engines``, ``db``
a Path option               ``click.Path`` gives str (click 7)         ``path_type=Path`` (8)
test client cookies         ``cookie_jar`` (Werkzeug < 2.3)            ``_cookies``
``set_cookie`` in a suite   ``(server_name, key, value)`` (< 2.3)      ``(key, value)``
Flask's signals             need blinker installed (Flask < 2.3)       always there
==========================  =========================================  ===========================

    >>> version("sqlalchemy")
    (1, 3, 24)
    >>> url_text(engine.url)
    'sqlite:////tmp/tb-x/app.db'

SQLAlchemy and Flask-SQLAlchemy are optional: the functions that need them import them when
called, and only with an app that uses them.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import click

__all__ = [
    "autoincrement_column",
    "client_cookies",
    "configured_mappers",
    "declarative_registry",
    "missing_signals",
    "orm_execute_session",
    "path_option_type",
    "set_client_cookies",
    "set_cookie_source",
    "sqlalchemy_db_source",
    "sqlalchemy_engines",
    "sqlalchemy_extension",
    "url_text",
    "version",
]


@functools.cache
def version(distribution: str) -> tuple[int, ...]:
    """The installed version of ``distribution`` as numbers (``(1, 3, 24)``); ``()`` if absent.

    >>> version("flask")
    (3, 1, 0)
    """
    try:
        text = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ()
    numbers: list[int] = []
    for part in text.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        numbers.append(int(match.group()))
    return tuple(numbers)


# --- click ------------------------------------------------------------------------------------


class _PathAsPath(click.Path):
    """click 7's ``Path`` converts to ``str`` only (``path_type=Path`` gives bytes there)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return Path(os.fsdecode(super().convert(value, param, ctx)))


def path_option_type(*, file_okay: bool = True, dir_okay: bool = True) -> click.Path:
    """A ``click.Path`` parameter type whose value arrives as a :class:`pathlib.Path`.

    >>> click.option("--out", type=path_option_type(file_okay=False))
    """
    if version("click") >= (8,):
        return click.Path(file_okay=file_okay, dir_okay=dir_okay, path_type=Path)
    return _PathAsPath(file_okay=file_okay, dir_okay=dir_okay)


# --- SQLAlchemy -------------------------------------------------------------------------------


def url_text(url: Any) -> str:
    """A database URL (a string or SQLAlchemy's ``URL``) as a string, password included."""
    if isinstance(url, str):
        return url
    if version("sqlalchemy") >= (1, 4):
        return str(url.render_as_string(hide_password=False))
    return str(url.__to_string__(hide_password=False))


def autoincrement_column(table: Any) -> Any:
    """The column of ``table`` that the database numbers itself, or None.

    Public as ``Table.autoincrement_column`` from SQLAlchemy 2.0; private before.
    """
    if version("sqlalchemy") >= (2,):
        return table.autoincrement_column
    return table._autoincrement_column


def declarative_registry(value: object) -> object | None:
    """The mapper registry ``value`` belongs to, if it is one or a declarative class.

    SQLAlchemy 1.4+ has ``registry`` objects (``Base.registry``); 1.3 has none, and there the
    declarative base class that holds ``_decl_class_registry`` stands for it.
    """
    if version("sqlalchemy") >= (1, 4):
        from sqlalchemy.orm import registry

        if isinstance(value, registry):
            return value
        if isinstance(value, type):
            found = inspect.getattr_static(value, "registry", None)  # no descriptor runs
            return found if isinstance(found, registry) else None
        return None
    if not isinstance(value, type):
        return None
    return next((c for c in value.__mro__ if "_decl_class_registry" in vars(c)), None)


def configured_mappers(registries: Iterable[object]) -> list[Any]:
    """Every mapper of the given registries (from :func:`declarative_registry`), configured."""
    registries = list(registries)
    if not registries:
        return []
    if version("sqlalchemy") >= (1, 4):
        for reg in registries:
            reg.configure(cascade=True)  # type: ignore[attr-defined]
        found = list({id(m): m for reg in registries for m in reg.mappers}.values())  # type: ignore[attr-defined]
        return sorted(found, key=_mapper_order)
    from sqlalchemy.orm import configure_mappers, mapperlib

    configure_mappers()
    every: Iterable[Any] = getattr(mapperlib, "_mapper_registry")  # noqa: B009  (1.3 only)
    bases = tuple(r for r in registries if isinstance(r, type))
    return sorted((m for m in list(every) if issubclass(m.class_, bases)), key=_mapper_order)


def _mapper_order(mapper: Any) -> tuple[str, str]:
    """A registry keeps its mappers in a set, ordered by object id: sort them by class name.

    Which model a view is taken to be about (the first one its source mentions) must not change
    from one run to the next.
    """
    cls = mapper.class_
    return (getattr(cls, "__module__", ""), getattr(cls, "__qualname__", ""))


def orm_execute_session() -> Any:
    """SQLAlchemy's ORM ``Session`` class where it has the ``do_orm_execute`` event, else None.

    The event (which tells relationship loads apart) is new in SQLAlchemy 1.4.
    """
    if version("sqlalchemy") < (1, 4):
        return None
    from sqlalchemy.orm import Session

    return Session


# --- Flask-SQLAlchemy -------------------------------------------------------------------------


def sqlalchemy_engines(app: Any) -> list[Any]:
    """The engines Flask-SQLAlchemy made for ``app`` (default and binds); needs an app context.

    Flask-SQLAlchemy 3 keeps them in ``db.engines``; 2.x builds them in ``db.get_engine(app,
    bind)`` and stores a state object (with ``.db``) in ``app.extensions``.
    """
    extension = app.extensions.get("sqlalchemy")
    if extension is None:
        return []
    if version("flask-sqlalchemy") >= (3,):
        return list(extension.engines.values())
    db = extension.db
    binds = app.config.get("SQLALCHEMY_BINDS") or {}
    return [db.get_engine(app, bind) for bind in [None, *binds]]


def sqlalchemy_extension(app: Any) -> Any:
    """The ``SQLAlchemy`` object (``db``) registered on ``app``, or None.

    Flask-SQLAlchemy 3 stores ``db`` itself in ``app.extensions["sqlalchemy"]``; 2.x a state
    object whose ``.db`` it is.
    """
    extension = app.extensions.get("sqlalchemy")
    return getattr(extension, "db", extension)


# --- Werkzeug ---------------------------------------------------------------------------------


def client_cookies(client: Any) -> list[Any]:
    """A copy of the cookies a test client holds, to give back with :func:`set_client_cookies`.

    Werkzeug 2.3+ keeps them in ``client._cookies`` (a dict); before, in ``client.cookie_jar``
    (an :class:`http.cookiejar.CookieJar`, None when the client was made without cookies).
    """
    if version("werkzeug") >= (2, 3):
        return list((client._cookies or {}).items())
    return list(client.cookie_jar or ())


def set_client_cookies(client: Any, cookies: Iterable[Any]) -> None:
    """Make ``client`` hold exactly ``cookies`` (from :func:`client_cookies`; ``()`` clears)."""
    if version("werkzeug") >= (2, 3):
        client._cookies = dict(cookies)
        return
    jar = client.cookie_jar
    if jar is not None:
        jar.clear()
        for cookie in cookies:
            jar.set_cookie(cookie)


# --- Flask ------------------------------------------------------------------------------------


def missing_signals() -> str | None:
    """Why Flask's signals cannot be listened to here, or None when they can.

    Flask 2.3+ depends on blinker; before, its signals are stand-ins that raise on ``connect``
    when blinker is not installed. ``scan`` and the audit plugin listen to them.
    """
    if version("flask") >= (2, 3) or version("blinker"):
        return None
    return (
        f"Flask {'.'.join(map(str, version('flask')))} needs blinker for its signals, which "
        "testboost listens to: pip install blinker"
    )


# --- source text for the generated suite ------------------------------------------------------
# The generated suite runs on the app's versions too: where they differ, it is written with the
# form the installed version takes.


def sqlalchemy_db_source(app: str) -> str:
    """Source of the expression that gives the Flask-SQLAlchemy ``db`` registered on ``app``.

    >>> sqlalchemy_db_source("app")
    'app.extensions["sqlalchemy"]'
    """
    if version("flask-sqlalchemy") >= (3,):
        return f'{app}.extensions["sqlalchemy"]'
    return f'{app}.extensions["sqlalchemy"].db'


def set_client_cookie(client: Any, name: str, value: str) -> None:
    """Give test client ``client`` the cookie ``name=value`` (for localhost).

    A ``Cookie`` header passed to a request is dropped by Werkzeug 2.3+'s client, which sends
    its own jar instead: a cookie the app reads must be in the jar.
    """
    if version("werkzeug") >= (2, 3):
        client.set_cookie(name, value)
    else:
        client.set_cookie("localhost", name, value)


def set_cookie_source(client: str, name: str, value: str) -> str:
    """Source of the call that gives test client ``client`` the cookie ``name=value``.

    Werkzeug 2.3 dropped the leading ``server_name`` argument of ``set_cookie``.

    >>> set_cookie_source("client", "name", "value")
    'client.set_cookie(name, value)'
    """
    if version("werkzeug") >= (2, 3):
        return f"{client}.set_cookie({name}, {value})"
    return f'{client}.set_cookie("localhost", {name}, {value})'
