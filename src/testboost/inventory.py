"""The route inventory: one :class:`Route` per (rule, endpoint) of ``app.url_map``.

Each route knows its methods (HEAD and OPTIONS folded away), its path parameters and their
converters, its blueprint, and for every method the real function that handles it — decorators
unwrapped, ``MethodView``/``View.as_view`` classes, flask-restx ``Resource`` and flask-smorest views
resolved to the method handler — with the authentication that guards it.

>>> routes = build_inventory(app)                                  # doctest: +SKIP
>>> routes[0].rule, routes[0].methods
('/api/users/<int:user_id>', ('GET', 'PUT', 'DELETE'))
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.routing import (
    AnyConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    Rule,
    UnicodeConverter,
    UUIDConverter,
)

from testboost.guards import NO_AUTH, Auth, GuardFinder, unwrap_chain

#: Methods every rule answers implicitly; they say nothing about the route.
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Most specific first: apps subclass these (an ``int`` converter that allows big ids, ...).
_CONVERTER_TYPES = (
    (IntegerConverter, "int", "int"),
    (FloatConverter, "float", "float"),
    (UUIDConverter, "uuid", "uuid"),
    (PathConverter, "path", "str"),
    (AnyConverter, "any", "str"),
    (UnicodeConverter, "string", "str"),
)
_DOC_PACKAGES = ("flask_restx", "flask_restplus", "flasgger", "flask_smorest", "apispec")


@dataclass(frozen=True)
class PathParam:
    """A variable part of a rule: ``<int:user_id>`` is ``PathParam("user_id", "int", "int")``."""

    name: str
    converter: str
    type: str
    choices: tuple[str, ...] = ()
    signed: bool = False


@dataclass(frozen=True)
class ViewRef:
    """The function that really handles a request: its dotted name and where it is defined."""

    qualname: str
    module: str
    file: str | None
    line: int | None

    @property
    def location(self) -> str:
        """``file:line`` relative to the working directory, or the dotted name when unknown."""
        if self.file is None:
            return f"{self.module}.{self.qualname}"
        return f"{_relative(self.file)}:{self.line}"


@dataclass(frozen=True)
class Handler:
    """What one HTTP method of a route runs, and the auth that guards it."""

    method: str
    view: ViewRef
    auth: Auth
    function: Callable[..., Any]


@dataclass(frozen=True)
class Route:
    """One rule of the app's url map with its endpoint, methods and per-method handlers.

    ``kind`` is ``"view"`` for the app's own routes, ``"static"`` for static file serving and
    ``"docs"`` for API documentation routes added by a framework (Swagger UI, spec JSON).
    """

    rule: str
    endpoint: str
    methods: tuple[str, ...]
    params: tuple[PathParam, ...]
    blueprint: str | None
    handlers: tuple[Handler, ...]
    kind: str

    def handler(self, method: str) -> Handler | None:
        """The handler of ``method``, or ``None`` when the route does not accept it."""
        return next((h for h in self.handlers if h.method == method), None)

    @property
    def auth(self) -> Auth:
        """The auth of the route as a whole: the first guarded handler's, else the first's."""
        guarded = [h.auth for h in self.handlers if h.auth.kind != "none"]
        if guarded:
            return guarded[0]
        return self.handlers[0].auth if self.handlers else NO_AUTH


def build_inventory(app: Flask) -> tuple[Route, ...]:
    """Every route of ``app``, sorted by rule then endpoint, with handlers resolved."""
    guards = GuardFinder(app)
    routes = [_route(app, rule, guards) for rule in app.url_map.iter_rules()]
    return tuple(sorted(routes, key=lambda r: (r.rule, r.endpoint)))


def sorted_methods(methods: Iterable[str]) -> tuple[str, ...]:
    """Methods without HEAD/OPTIONS, in the usual reading order (GET, POST, PUT, PATCH, DELETE)."""
    chosen = {m for m in methods if m not in IMPLICIT_METHODS}
    known = [m for m in METHOD_ORDER if m in chosen]
    return (*known, *sorted(chosen - set(METHOD_ORDER)))


def _route(app: Flask, rule: Rule, guards: GuardFinder) -> Route:
    methods = sorted_methods(rule.methods or ())
    view = app.view_functions.get(rule.endpoint)
    blueprint = rule.endpoint.rpartition(".")[0] or None
    handlers = tuple(
        _handler(method, view, blueprint, rule.endpoint, guards)
        for method in methods
        if view is not None
    )
    return Route(
        rule=rule.rule,
        endpoint=rule.endpoint,
        methods=methods,
        params=_params(rule),
        blueprint=blueprint,
        handlers=handlers,
        kind=_kind(rule, handlers),
    )


def _params(rule: Rule) -> tuple[PathParam, ...]:
    params = []
    for name, converter in rule._converters.items():
        converter_name, type_name = next(
            ((n, t) for base, n, t in _CONVERTER_TYPES if isinstance(converter, base)),
            (type(converter).__name__.lower(), "str"),
        )
        choices = (
            tuple(sorted(getattr(converter, "items", {}) or ()))
            if isinstance(converter, AnyConverter)
            else ()
        )
        params.append(
            PathParam(
                name=name,
                converter=converter_name,
                type=type_name,
                choices=choices,
                signed=bool(getattr(converter, "signed", False)),
            )
        )
    return tuple(params)


def _kind(rule: Rule, handlers: tuple[Handler, ...]) -> str:
    if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
        return "static"
    if handlers and all(h.view.module.startswith(_DOC_PACKAGES) for h in handlers):
        return "docs"
    return "view"


def _handler(
    method: str,
    view: Callable[..., Any],
    blueprint: str | None,
    endpoint: str,
    guards: GuardFinder,
) -> Handler:
    outer = unwrap_chain(view)
    view_class = next(
        (getattr(f, "view_class", None) for f in outer if getattr(f, "view_class", None)), None
    )
    chain = list(outer)
    if view_class is not None:
        method_function = getattr(view_class, method.lower(), None)
        if method_function is None and method == "HEAD":
            method_function = getattr(view_class, "get", None)
        if method_function is None:
            method_function = getattr(view_class, "dispatch_request", None)
        if method_function is not None:
            chain.extend(unwrap_chain(method_function))
    target = chain[-1]
    auth = guards.auth_for(chain, view_class, method, blueprint, endpoint)
    return Handler(method=method, view=_view_ref(target), auth=auth, function=target)


def _view_ref(function: Callable[..., Any]) -> ViewRef:
    code = getattr(function, "__code__", None)
    file = code.co_filename if code is not None else None
    if file is not None and file.startswith("<"):
        file = None
    line = code.co_firstlineno if code is not None and file is not None else None
    if line is not None and file is not None:
        line = _def_line(function, line)
    return ViewRef(
        qualname=getattr(function, "__qualname__", repr(function)),
        module=getattr(function, "__module__", None) or "",
        file=file,
        line=line,
    )


def _def_line(function: Callable[..., Any], first_line: int) -> int:
    """The line of ``def`` itself (``co_firstlineno`` points at the first decorator)."""
    try:
        lines, start = inspect.getsourcelines(function)
    except (OSError, TypeError):
        return first_line
    for offset, text in enumerate(lines):
        if text.lstrip().startswith(("def ", "async def ")):
            return start + offset
    return first_line


def _relative(path: str) -> str:
    for marker in ("site-packages", "dist-packages"):
        if f"{os.sep}{marker}{os.sep}" in path:
            return path.split(f"{os.sep}{marker}{os.sep}", 1)[1]
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative
