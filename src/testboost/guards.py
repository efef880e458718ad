"""Which authentication guards a view: decorators, ``before_request`` hooks, checks in the body.

The kinds are ``none``, ``session`` (Flask-Login or a session cookie), ``jwt``
(flask-jwt-extended or a decoded bearer JWT), ``token`` (an API key or bearer token checked by
hand, Flask-HTTPAuth's token auth), ``basic`` (HTTP basic) and ``unknown`` (something aborts with
401/403 but testboost cannot tell how credentials are checked).

>>> GuardFinder(app).auth_for(unwrap_chain(view), None, "GET", None, "index")  # doctest: +SKIP
Auth(kind='jwt', source='@jwt_required', optional=False)
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

_VARARGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS

# Ordered: the first pattern that matches a guard's source names its kind.
_SOURCE_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "jwt",
        re.compile(r"verify_jwt_in_request|get_jwt_identity|get_jwt\(|jwt\.decode|jwt_required"),
    ),
    ("basic", re.compile(r"request\.authorization|check_auth\(|HTTPBasicAuth")),
    (
        "session",
        re.compile(
            r"current_user|login_required|session\.get\(|session\[|\bg\.user\b"
            r"|redirect\(\s*url_for\(\s*['\"][\w.]*(login|signin)"
        ),
    ),
    (
        "token",
        re.compile(r"Authorization|X-API-Key|api[_-]?key|[Tt]oken|HTTPTokenAuth", re.IGNORECASE),
    ),
)
# what a guard does: deny, redirect, or hand the request to a known guard (``login_required(f)``)
_DENIES = re.compile(
    r"\b40[13]\b|abort\(|Unauthorized|Forbidden|redirect\(|raise\s+\w*(Auth|Permission)"
    r"|\blogin_required\(\s*\w+\s*\)"
)
_LIBRARY_KINDS = (
    ("flask_jwt_extended", "jwt"),
    ("flask_login", "session"),
    ("flask_praetorian", "jwt"),
)
# Packages where only some decorators guard: (package, decorator name) -> kind.
_LIBRARY_DECORATORS = {
    ("flask_appbuilder", "protect"): "jwt",
    ("flask_appbuilder", "has_access"): "session",
    ("flask_appbuilder", "has_access_api"): "session",
    ("flask_security", "auth_required"): "session",
    ("flask_security", "login_required"): "session",
    ("flask_security", "roles_required"): "session",
    ("flask_security", "roles_accepted"): "session",
    ("flask_security", "permissions_required"): "session",
    ("flask_security", "permissions_accepted"): "session",
    ("flask_security", "auth_token_required"): "token",
    ("flask_security", "http_auth_required"): "basic",
}
_HTTPAUTH_KINDS = {
    "HTTPBasicAuth": "basic",
    "HTTPDigestAuth": "basic",
    "HTTPTokenAuth": "token",
}


@dataclass(frozen=True)
class Auth:
    """How a handler demands credentials: the kind, where that was seen, whether it is optional."""

    kind: str
    source: str = ""
    optional: bool = False

    @property
    def label(self) -> str:
        """Short text for tables: ``jwt (@jwt_required)``, ``none``."""
        if self.kind == "none":
            return "none"
        suffix = ", optional" if self.optional else ""
        return f"{self.kind} ({self.source}{suffix})"


NO_AUTH = Auth("none")


def unwrap_chain(function: Callable[..., Any]) -> list[Callable[..., Any]]:
    """``function`` and every function it wraps, outermost first.

    Follows ``__wrapped__`` (``functools.wraps``) and, for hand-written decorators that forgot
    ``wraps``, the single function held in a ``*args, **kwargs`` wrapper's closure.
    """
    chain = [function]
    seen = {id(function)}
    current: Any = function
    while True:
        inner = getattr(current, "__wrapped__", None)
        if inner is None:
            inner = _closure_target(current)
        if inner is None or id(inner) in seen:
            return chain
        chain.append(inner)
        seen.add(id(inner))
        current = inner


def _closure_target(function: Any) -> Callable[..., Any] | None:
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None)
    if code is None or not cells or not code.co_flags & _VARARGS:
        return None
    functions = []
    for cell in cells:
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if inspect.isfunction(value):
            functions.append(value)
    return functions[0] if len(functions) == 1 else None


def _source(function: Any) -> str:
    # inspect.getsource(function) follows __wrapped__ to the view; the code object does not
    code = getattr(function, "__code__", function)
    try:
        return textwrap.dedent(inspect.getsource(code))
    except (OSError, TypeError):
        return ""


def _code_file(function: Any) -> str:
    code = getattr(function, "__code__", None)
    return str(code.co_filename) if code is not None else ""


def _is_library(function: Any) -> bool:
    filename = _code_file(function)
    return "site-packages" in filename or "dist-packages" in filename


def _decorator_name(function: Any) -> str:
    # functools.wraps copies the view's names onto the wrapper: only the code object tells the truth
    code = getattr(function, "__code__", None)
    qualname: str = getattr(code, "co_qualname", None) or getattr(code, "co_name", "") or ""
    parts = [p for p in qualname.split(".") if p != "<locals>"]
    names = [p for p in parts if p not in ("wrapper", "decorated", "decorator", "wrap", "inner")]
    return names[0] if names else (parts[0] if parts else "decorator")


def _library_auth(function: Any) -> Auth | None:
    path = Path(_code_file(function))
    parts = {*path.parts, path.stem}
    name = _decorator_name(function)
    optional = bool(_nonlocals(function).get("optional", False))
    for package, kind in _LIBRARY_KINDS:
        if package in parts:
            return Auth(kind, f"@{name}", optional)
    for (package, decorator), kind in _LIBRARY_DECORATORS.items():
        if package in parts and name == decorator:
            return Auth(kind, f"@{name}", optional)
    if "flask_httpauth" in parts:
        owner = _nonlocals(function).get("self")
        kind = _HTTPAUTH_KINDS.get(type(owner).__name__, "unknown")
        return Auth(kind, "@auth.login_required", optional)
    return None


def _nonlocals(function: Any) -> dict[str, Any]:
    try:
        return dict(inspect.getclosurevars(function).nonlocals)
    except (TypeError, ValueError):
        return {}


def _text_kind(source: str) -> str | None:
    for kind, pattern in _SOURCE_KINDS:
        if pattern.search(source):
            return kind
    return None


class GuardFinder:
    """Finds the auth guarding each handler of one app; caches what it reads of the source."""

    def __init__(self, app: Flask) -> None:
        self._hooks = {
            name: list(functions) for name, functions in app.before_request_funcs.items()
        }
        self._wrapper_cache: dict[int, Auth | None] = {}
        # an app installed into site-packages (pip install calibreweb) is still the app's code
        self._own = str(Path(app.root_path).resolve())

    def _is_library(self, function: Any) -> bool:
        return _is_library(function) and not _code_file(function).startswith(self._own)

    def auth_for(
        self,
        chain: list[Callable[..., Any]],
        view_class: type | None,
        method: str,
        blueprint: str | None,
        endpoint: str,
    ) -> Auth:
        """The auth demanded by a handler reached through ``chain`` (outermost first)."""
        for wrapper in [*chain[:-1], *self._class_wrappers(view_class, method)]:
            auth = self._wrapper_auth(wrapper)
            if auth is not None:
                return auth
        hook_auth = self._hook_auth(blueprint, endpoint, chain[-1])
        if hook_auth is not None:
            return hook_auth
        return self._body_auth(chain[-1])

    def _class_wrappers(self, view_class: type | None, method: str) -> list[Callable[..., Any]]:
        """Wrappers made by flask-restx ``method_decorators`` (applied per request at dispatch)."""
        decorators = getattr(view_class, "method_decorators", None) if view_class else None
        if isinstance(decorators, dict):
            decorators = decorators.get(method.lower(), [])
        wrappers: list[Callable[..., Any]] = []
        for decorator in decorators or ():
            try:
                wrapped = decorator(_probe)
            except Exception:
                continue
            wrappers.extend(f for f in unwrap_chain(wrapped) if f is not _probe)
        return wrappers

    def _wrapper_auth(self, wrapper: Callable[..., Any]) -> Auth | None:
        key = id(getattr(wrapper, "__code__", wrapper))
        if key not in self._wrapper_cache:
            self._wrapper_cache[key] = self._classify_wrapper(wrapper)
        auth = self._wrapper_cache[key]
        if auth is not None and auth.source.startswith("@") and _library_auth(wrapper):
            # optional flags live in the closure, which differs per use of the same code
            return _library_auth(wrapper)
        return auth

    def _classify_wrapper(self, wrapper: Callable[..., Any]) -> Auth | None:
        library = _library_auth(wrapper)
        if library is not None or self._is_library(wrapper):
            return library
        source = _source(wrapper)
        if not _DENIES.search(source) and not re.search(r"verify_jwt_in_request", source):
            return None
        kind = _text_kind(source) or "unknown"
        return Auth(kind, f"@{_decorator_name(wrapper)}")

    def _hook_auth(
        self, blueprint: str | None, endpoint: str, target: Callable[..., Any]
    ) -> Auth | None:
        scopes: list[str | None] = [None]
        if blueprint:
            parts = blueprint.split(".")
            scopes.extend(".".join(parts[: i + 1]) for i in range(len(parts)))
        for scope in scopes:
            for hook in self._hooks.get(scope, []):
                chain = unwrap_chain(hook)
                for wrapper in chain[:-1]:
                    auth = self._wrapper_auth(wrapper)
                    if auth is not None:
                        return Auth(auth.kind, f"before_request {chain[-1].__name__}")
                source = _for_anonymous(_source(chain[-1]))
                if self._is_library(chain[-1]) or not _DENIES.search(source):
                    continue
                if _exempts(source, endpoint, target):
                    continue
                kind = _text_kind(source)
                if kind is not None:
                    return Auth(kind, f"before_request {chain[-1].__name__}")
        return None

    def _body_auth(self, target: Callable[..., Any]) -> Auth:
        source = _source(target)
        if re.search(r"verify_jwt_in_request\(", source):
            return Auth("jwt", "verify_jwt_in_request() in body")
        if re.search(r"current_user\.is_(authenticated|anonymous)", source) and _DENIES.search(
            source
        ):
            return Auth("session", "current_user check in body")
        if "request.authorization" in source and _DENIES.search(source):
            return Auth("basic", "request.authorization check in body")
        return NO_AUTH


#: Conditions true only for a logged-in user.
_LOGGED_IN = {
    "current_user.is_authenticated",
    "current_user.is_authenticated()",
    "not current_user.is_anonymous",
    "g.user",
    "g.user is not None",
}


class _DropLoggedInBranches(ast.NodeTransformer):
    """Empties the branches that only run for a logged-in user (``if current_user.is_authenticated``)."""

    def visit_If(self, node: ast.If) -> ast.AST:
        self.generic_visit(node)
        test = node.test
        first = (
            test.values[0]
            if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And)
            else test
        )
        if ast.unparse(first) in _LOGGED_IN:
            node.body = [ast.Pass()]
        return node


def _for_anonymous(source: str) -> str:
    """A hook's source without what it does to logged-in users only.

    flasky's ``before_app_request`` sends an unconfirmed *logged-in* user elsewhere: it reads
    ``current_user`` and redirects, but an anonymous caller passes it untouched, so it guards
    nothing. What is left is what the hook can do to a caller without credentials.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    return ast.unparse(_DropLoggedInBranches().visit(tree))


def _exempts(source: str, endpoint: str, target: Callable[..., Any]) -> bool:
    """Whether a hook names the route's endpoint or view as an exception to its check."""
    names = {endpoint, endpoint.rpartition(".")[2], getattr(target, "__name__", "")}
    return any(re.search(rf"['\"]{re.escape(n)}['\"]", source) for n in names if n)


def _probe(*args: Any, **kwargs: Any) -> None:
    """Stand-in view that flask-restx ``method_decorators`` are applied to when classifying them."""
