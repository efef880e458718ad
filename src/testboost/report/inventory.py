"""The route inventory as a terminal table and as JSON (``testboost.routes/1``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from testboost.analysis.inputs import InputSpec
from testboost.inventory import Route
from testboost.report.console import is_plain, make_table

ROUTES_SCHEMA = "testboost.routes/1"

#: Input descriptions per (endpoint, method), e.g. ``("json: email*, name", "query: page:int")``.
InputLines = Mapping[tuple[str, str], tuple[str, ...]]


def route_auth_label(route: Route) -> str:
    """One auth label for a route, or a per-method list when its methods differ."""
    labels = {h.method: h.auth.label for h in route.handlers}
    if len(set(labels.values())) <= 1:
        return next(iter(labels.values()), "none")
    return "; ".join(f"{method}: {label}" for method, label in labels.items())


def route_view_label(route: Route) -> str:
    """Where the route's code is: one ``file:line``, or one per method for class-based views."""
    places = {h.method: h.view.location for h in route.handlers}
    if len(set(places.values())) <= 1:
        return next(iter(places.values()), "-")
    return "; ".join(f"{method}: {place}" for method, place in places.items())


def render_routes(console: Console, routes: tuple[Route, ...], inputs: InputLines) -> None:
    """Print the inventory table, then a one-line summary."""
    plain = is_plain(console)
    table = make_table(console)
    for column in ("rule", "methods", "endpoint", "blueprint", "view", "auth", "inputs"):
        table.add_column(column, overflow="fold")
    for route in routes:
        reads = sorted(
            {line for method in route.methods for line in inputs.get((route.endpoint, method), ())}
        )
        marker = "" if route.kind == "view" else f" [{route.kind}]"
        cells = (
            route.rule + marker,
            ",".join(route.methods),
            route.endpoint,
            route.blueprint or "-",
            route_view_label(route),
            route_auth_label(route),
            "; ".join(reads) or "-",
        )
        table.add_row(
            *(escape(cell) for cell in cells),
            style="dim" if route.kind != "view" and not plain else None,
        )
    console.print(table)
    own = [r for r in routes if r.kind == "view"]
    pairs = sum(len(r.methods) for r in own)
    guarded = sum(1 for r in own for h in r.handlers if h.auth.kind != "none")
    console.print(
        f"{len(own)} routes ({pairs} method-route pairs, {guarded} guarded by auth)"
        + (f", {len(routes) - len(own)} static/docs routes" if len(own) != len(routes) else "")
    )


def routes_document(spec: str, routes: tuple[Route, ...], inputs: InputLines) -> dict[str, Any]:
    """The inventory as JSON data."""
    return {
        "schema": ROUTES_SCHEMA,
        "app": spec,
        "routes": [
            {
                "rule": route.rule,
                "endpoint": route.endpoint,
                "methods": list(route.methods),
                "blueprint": route.blueprint,
                "kind": route.kind,
                "params": [
                    {"name": p.name, "converter": p.converter, "type": p.type} for p in route.params
                ],
                "handlers": [
                    {
                        "method": h.method,
                        "view": f"{h.view.module}.{h.view.qualname}",
                        "location": h.view.location,
                        "auth": {
                            "kind": h.auth.kind,
                            "source": h.auth.source,
                            "optional": h.auth.optional,
                        },
                        "inputs": list(inputs.get((route.endpoint, h.method), ())),
                    }
                    for h in route.handlers
                ],
            }
            for route in routes
        ],
    }


def describe_inputs(spec: InputSpec) -> tuple[str, ...]:
    """What a handler reads, one line per location: ``json: email*, quantity:int`` (``*`` required).

    A handler that passes the whole JSON body on (``Model(**data)``) shows ``json: **body``.
    """
    by_location: dict[str, list[str]] = {}
    for field in spec.fields:
        text = field.name + ("*" if field.required else "")
        if field.type not in ("str", "any"):
            text += f":{field.type}"
        by_location.setdefault(field.location, []).append(text)
    if spec.whole_json:
        by_location.setdefault("json", []).append("**body")
    return tuple(f"{location}: {', '.join(names)}" for location, names in by_location.items())
