"""The inventory resolves blueprints, class-based views, flask-restx resources and auth guards."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from testboost.inventory import Route, build_inventory, sorted_methods
from testboost.sandbox import Sandbox
from testboost.target import load_app


@pytest.fixture
def pkg_routes(apps_dir: Path, sandbox: Sandbox) -> dict[str, Route]:
    app = load_app("pkgapp:create_app()", sandbox)
    return {route.rule: route for route in build_inventory(app)}


@pytest.fixture
def restx_routes(apps_dir: Path, sandbox: Sandbox) -> dict[str, Route]:
    app = load_app("restx_app", sandbox)
    return {route.rule: route for route in build_inventory(app)}


def test_methods_fold_head_and_options_and_read_in_order() -> None:
    assert sorted_methods({"DELETE", "HEAD", "OPTIONS", "GET", "PUT"}) == ("GET", "PUT", "DELETE")


def test_blueprint_prefixes_and_nesting(pkg_routes: dict[str, Route]) -> None:
    assert pkg_routes["/api/items"].blueprint == "api"
    ping = pkg_routes["/api/v2/ping"]
    assert (ping.endpoint, ping.blueprint) == ("api.v2.ping", "api.v2")
    assert pkg_routes["/"].blueprint is None


def test_path_parameters_and_converters(pkg_routes: dict[str, Route]) -> None:
    (user_id,) = pkg_routes["/api/users/<int:user_id>"].params
    assert (user_id.name, user_id.converter, user_id.type) == ("user_id", "int", "int")
    (report_id,) = pkg_routes["/private/report/<uuid:report_id>"].params
    assert (report_id.converter, report_id.type) == ("uuid", "uuid")
    (name,) = pkg_routes["/files/<path:name>"].params
    assert (name.converter, name.type) == ("path", "str")


def test_decorated_view_is_unwrapped_to_its_own_function(pkg_routes: dict[str, Route]) -> None:
    handler = pkg_routes["/api/items"].handler("POST")
    assert handler is not None
    assert handler.view.qualname == "items"
    assert handler.view.location == "pkgapp/__init__.py:41"


def test_method_view_resolves_each_method(pkg_routes: dict[str, Route]) -> None:
    route = pkg_routes["/api/users/<int:user_id>"]
    assert route.methods == ("GET", "PUT", "DELETE")
    names = [h.view.qualname for h in route.handlers]
    assert names == ["UserAPI.get", "UserAPI.put", "UserAPI.delete"]
    kinds = [h.auth.kind for h in route.handlers]
    assert kinds == ["none", "jwt", "none"]


def test_plain_view_class_resolves_dispatch_request(pkg_routes: dict[str, Route]) -> None:
    handler = pkg_routes["/api/v2/ping"].handler("GET")
    assert handler is not None and handler.view.qualname == "Ping.dispatch_request"


@pytest.mark.parametrize(
    ("rule", "kind", "source"),
    [
        ("/api/items/<int:item_id>", "jwt", "@jwt_required"),
        ("/api/feed", "jwt", "@jwt_required"),
        ("/api/profile", "session", "@login_required"),
        ("/api/basic", "basic", "@auth.login_required"),
        ("/api/token", "token", "@auth.login_required"),
        ("/api/admin/stats", "unknown", "@admin_required"),
        ("/api/staff", "jwt", "@staff_required"),
        ("/api/inline", "jwt", "verify_jwt_in_request() in body"),
        ("/private/report/<uuid:report_id>", "token", "before_request require_key"),
    ],
)
def test_auth_guards_are_recognised(
    pkg_routes: dict[str, Route], rule: str, kind: str, source: str
) -> None:
    auth = pkg_routes[rule].auth
    assert (auth.kind, auth.source) == (kind, source)


@pytest.mark.parametrize("rule", ["/api/items", "/", "/private/health", "/api/v2/ping"])
def test_unguarded_routes_have_no_auth(pkg_routes: dict[str, Route], rule: str) -> None:
    assert pkg_routes[rule].auth.kind == "none"


def test_optional_jwt_is_marked_optional(pkg_routes: dict[str, Route]) -> None:
    assert pkg_routes["/api/feed"].auth.optional is True
    assert pkg_routes["/api/items/<int:item_id>"].auth.optional is False


def test_decorator_without_wraps_still_reaches_the_view(pkg_routes: dict[str, Route]) -> None:
    handler = pkg_routes["/api/admin/stats"].handler("GET")
    assert handler is not None and handler.view.qualname == "admin_stats"


def test_static_route_is_marked(pkg_routes: dict[str, Route]) -> None:
    assert pkg_routes["/static/<path:filename>"].kind == "static"
    assert pkg_routes["/api/items"].kind == "view"


def test_restx_resources_resolve_to_their_methods(restx_routes: dict[str, Route]) -> None:
    todo = restx_routes["/api/todos/<int:todo_id>"]
    assert [h.view.qualname for h in todo.handlers] == ["Todo.get", "Todo.delete"]
    assert [h.auth.kind for h in todo.handlers] == ["none", "jwt"]
    assert restx_routes["/api/todos/"].handler("POST") is not None


def test_restx_documentation_routes_are_marked_docs(restx_routes: dict[str, Route]) -> None:
    assert restx_routes["/api/swagger.json"].kind == "docs"
    assert restx_routes["/docs"].kind == "docs"


def test_custom_decorator_that_does_not_deny_is_not_auth() -> None:
    import functools

    def timed(f):  # type: ignore[no-untyped-def]
        @functools.wraps(f)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            return f(*args, **kwargs)

        return wrapper

    app = Flask(__name__)

    @app.route("/x")
    @timed
    def x() -> str:
        return "x"

    (route,) = [r for r in build_inventory(app) if r.rule == "/x"]
    assert route.auth.kind == "none"
    assert route.handlers[0].view.qualname.endswith("x")


def test_before_request_hook_that_only_logs_guards_nothing() -> None:
    app = Flask(__name__)

    @app.before_request
    def log_request() -> None:
        app.logger.info("request")

    @app.route("/y")
    def y() -> str:
        return "y"

    (route,) = [r for r in build_inventory(app) if r.rule == "/y"]
    assert route.auth.kind == "none"
