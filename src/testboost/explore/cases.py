"""The requests to send to one (route, method): a valid one, then one variation per defect kind.

Every variation changes one thing of the valid request — one field missing, one value of the
wrong type, no credentials, another user's credentials — so a finding always shows the smallest
request that triggers it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from testboost.analysis.headers import writes_headers
from testboost.analysis.inputs import Field, InputSpec, path_casts
from testboost.explore.database import SandboxDatabase, TableInfo
from testboost.explore.exchange import Case, ProbeRequest
from testboost.explore.identity import USERNAME_FIELDS, Identity
from testboost.explore.seeding import Seed
from testboost.explore.values import (
    CONTROL,
    CRLF_TARGET,
    EVIL_URL,
    HUGE_INT,
    PASSWORD,
    QUOTE,
    TAUTOLOGY,
    invalid_variants,
    is_email,
    is_redirect_target,
    protected_columns,
    protected_value,
    valid_value,
)
from testboost.inventory import METHOD_ORDER, Handler, PathParam, Route

UNKNOWN_INT = 99999
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Planned:
    """A request to send and the case it stands for."""

    case: Case
    request: ProbeRequest


@dataclass(frozen=True)
class World:
    """What cases are built from: the database, seeded keys, users and model names."""

    database: SandboxDatabase
    seed: Seed
    users: Mapping[str, Identity]
    user_table: str | None
    owner_columns: Mapping[str, str]
    class_tables: Mapping[str, str]
    login_rule: str | None = None
    enums: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


def _stem(name: str) -> str:
    base = re.sub(r"_?(id|pk|uuid|key)$", "", name.lower())
    return base.rstrip("_")


def _plural_forms(stem: str) -> set[str]:
    forms = {stem, stem + "s", stem + "es"}
    if stem.endswith("y"):
        forms.add(stem[:-1] + "ies")
    return forms


def table_for_name(name: str, database: SandboxDatabase) -> TableInfo | None:
    """The table a parameter or path segment names: ``order_id`` → ``orders``."""
    stem = _stem(name)
    if not stem:
        return None
    forms = _plural_forms(stem)
    exact = [t for t in database.tables if t.name.lower() in forms]
    if exact:
        return exact[0]
    suffix = [t for t in database.tables if any(t.name.lower().endswith("_" + f) for f in forms)]
    return suffix[0] if suffix else None


def _mentioned_tables(handler: Handler, world: World) -> list[TableInfo]:
    try:
        source = inspect.getsource(handler.function)
    except (OSError, TypeError):
        return []
    tables = []
    for cls, table_name in world.class_tables.items():
        if re.search(rf"\b{re.escape(cls)}\b", source):
            table = world.database.table(table_name)
            if table is not None and table not in tables:
                tables.append(table)
    return tables


_SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+[\"`\[]?(\w+)", re.IGNORECASE)


def _sql_tables(handler: Handler, world: World) -> list[TableInfo]:
    """Tables named in SQL strings of the view and of the module functions it calls."""
    function = handler.function
    functions = [function]
    code = getattr(function, "__code__", None)
    namespace = getattr(function, "__globals__", {})
    for name in code.co_names if code is not None else ():
        callee = namespace.get(name)
        if inspect.isfunction(callee) and callee.__module__ == function.__module__:
            functions.append(callee)
    tables: list[TableInfo] = []
    for each in functions:
        try:
            source = inspect.getsource(each)
        except (OSError, TypeError):
            continue
        for name in _SQL_TABLE.findall(source):
            table = world.database.table(name)
            if table is not None and table not in tables:
                tables.append(table)
    return tables


def main_table(route: Route, handler: Handler, world: World) -> TableInfo | None:
    """The table a route is about: its last id parameter's, a model its view uses, its path's."""
    for param in reversed(route.params):
        table = table_for_name(param.name, world.database)
        if table is not None:
            return table
    mentioned = _mentioned_tables(handler, world) or _sql_tables(handler, world)
    if len(mentioned) == 1:
        return mentioned[0]
    segments = [s for s in route.rule.split("/") if s and not s.startswith("<")]
    for segment in reversed(segments):
        table = table_for_name(segment, world.database)
        if table is not None:
            return table
    return mentioned[0] if mentioned else None


def path_rows(route: Route, handler: Handler, world: World) -> dict[str, Any]:
    """The seeded row each id of the valid request's path names: ``{table: primary key}``."""
    route = _with_cast_params(route, handler)
    rows: dict[str, Any] = {}
    for param in route.params:
        value, table = _param_value(param, route, handler, world, 0)
        if table is not None and world.seed.keys.get(table.name):
            rows[table.name] = value
    return rows


def sql_tables(statements: Sequence[str], database: SandboxDatabase) -> list[str]:
    """The tables of ``database`` that SQL ``statements`` name, in the database's order."""
    named = {name.lower() for statement in statements for name in _SQL_TABLE.findall(statement)}
    return [t.name for t in database.tables if t.name.lower() in named]


def _param_table(
    param: PathParam, route: Route, handler: Handler, world: World
) -> TableInfo | None:
    table = table_for_name(param.name, world.database)
    if table is None and len(route.params) == 1:
        table = main_table(route, handler, world)
    return table


def _param_value(
    param: PathParam, route: Route, handler: Handler, world: World, row: int
) -> tuple[Any, TableInfo | None]:
    if param.converter == "any" and param.choices:
        return param.choices[0], None
    table = _param_table(param, route, handler, world)
    keys = world.seed.keys.get(table.name, []) if table is not None else []
    if param.type == "int":
        if keys:
            return keys[min(row, len(keys) - 1)][0], table
        return 1, table
    if param.type == "float":
        return 0.25, table
    if param.type == "uuid":
        return UNKNOWN_UUID, table
    for t in world.database.tables:
        if t.column(param.name) is None:
            continue
        # a row testboost wrote gives the value it wrote: one the app set later (a token made
        # at login with secrets.token_hex) is new in every run, and no suite could rebuild it
        own = world.database.written.get(t.name, {})
        values = [
            own[key].get(param.name) if key in own else stored[param.name]
            for key, stored in world.database.read()[t.name].items()
        ]
        values = [value for value in values if value is not None]
        if values:
            return values[min(row, len(values) - 1)], t
    # a text id no column of that name holds (CTFd's ``<page_id>``): the seeded row of its table
    parent = table_for_name(param.name, world.database) if param.name.endswith("_id") else None
    parent_keys = world.seed.keys.get(parent.name, []) if parent is not None else []
    if parent is not None and parent_keys:
        return parent_keys[min(row, len(parent_keys) - 1)][0], parent
    return "tb-value", table


def _build_path(rule: str, values: Mapping[str, Any]) -> str:
    def substitute(match: re.Match[str]) -> str:
        return str(values[match.group(2)])

    return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", substitute, rule)


def _field_value(f: Field, table: TableInfo | None, world: World, n: int) -> Any:
    if f.items:
        element_table = table_for_name(f.name, world.database) or table
        return [
            {
                item.name: _field_value(item, element_table, world, n + i)
                for i, item in enumerate(f.items)
            }
        ]
    if f.name.endswith("_id"):
        parent = table_for_name(f.name, world.database)
        if parent is not None and parent.name == world.user_table and "A" in world.users:
            return world.users["A"].key
        if parent is not None and world.seed.keys.get(parent.name):
            return world.seed.keys[parent.name][0][0]
    column = table.column(f.name) if table is not None else None
    return valid_value(f.name, f.type, n, length=column.length if column else None)


def _element_variants(
    f: Field,
    body: Mapping[str, Any],
    world: World,
    request: Callable[..., ProbeRequest],
) -> Iterator[Planned]:
    """Invalid values inside the first element of a list of objects (``items[0].quantity``)."""
    element = dict(body[f.name][0])
    element_table = table_for_name(f.name, world.database)
    for item in f.items:
        column = element_table.column(item.name) if element_table is not None else None
        for variant in invalid_variants(
            item.name, item.type, required=item.required, length=column.length if column else None
        ):
            changed = {k: v for k, v in element.items() if not (variant.omit and k == item.name)}
            if not variant.omit:
                changed[item.name] = variant.value
            where = f"{f.name}[0].{item.name}"
            yield Planned(
                Case(
                    variant.kind,
                    variant.description.replace(item.name, where, 1),
                    item.name,
                    item.location,
                    variant.value,
                ),
                request(json_body={**body, f.name: [changed, *body[f.name][1:]]}),
            )


def _effective_type(f: Field, table: TableInfo | None) -> str:
    """A field's type, taken from the column it is stored in when the view's code does not say."""
    if f.type != "any":
        return f.type
    if f.name.endswith("_id"):
        return "int"
    column = table.column(f.name) if table is not None else None
    if column is not None and column.affinity in ("int", "float", "bool"):
        return column.affinity
    return "any"


def _body_fields(spec: InputSpec, table: TableInfo | None, world: World) -> list[Field]:
    fields = [
        replace(f, type=_effective_type(f, table))
        for f in spec.fields
        if f.location in ("json", "form")
    ]
    if (spec.whole_json or spec.whole_form) and not fields and table is not None:
        owner = world.owner_columns.get(table.name)
        protected = set(protected_columns([c.name for c in table.columns], owner))
        location = "json" if spec.whole_json else "form"
        for column in table.columns:
            if column.name in protected or column.primary_key:
                continue
            if any(fk.column == column.name for fk in table.foreign_keys):
                kind = "int"
            else:
                kind = column.affinity if column.affinity in ("int", "float", "bool") else "str"
            fields.append(
                Field(column.name, location, kind, column.not_null and not column.has_default)
            )
    return fields


def plan_requests(
    route: Route, handler: Handler, spec: InputSpec, world: World, acting: str = "A"
) -> Iterator[Planned]:
    """The valid request for one handler, then every variation worth sending.

    ``acting`` is the user the valid request and its variations are sent as (A, or the
    administrator for routes only administrators may use).
    """
    method = handler.method
    route = _with_cast_params(route, handler)
    table = main_table(route, handler, world)
    identity = world.users.get(acting)
    who = acting if identity else None
    path_values = {p.name: _param_value(p, route, handler, world, 0)[0] for p in route.params}
    body_fields = _body_fields(spec, table, world) if method != "GET" else []
    form = any(f.location == "form" for f in body_fields) and not spec.json_body
    body = {f.name: _field_value(f, table, world, 500 + i) for i, f in enumerate(body_fields)}
    if route.rule == world.login_rule and identity is not None:
        body = {name: _credential(name, value, identity) for name, value in body.items()}
    query_fields = [f for f in spec.fields if f.location == "query"]
    query = {f.name: _query_value(f) for f in query_fields}
    header_fields = [f for f in spec.fields if f.location == "header" and f.name != "Authorization"]
    extra_headers = tuple((f.name, str(valid_value(f.name, f.type, 1))) for f in header_fields)

    def request(
        *,
        path: Mapping[str, Any] = path_values,
        json_body: Any = body,
        query_args: Mapping[str, Any] = query,
        as_user: str | None = who,
        raw: str | None = None,
        verb: str = method,
    ) -> ProbeRequest:
        user = world.users.get(as_user) if as_user is not None else None
        user_headers = user.headers if user is not None else {}
        if user is not None and route.rule == world.login_rule:
            # a token route behind HTTP Basic is reached with the user's password, not the token
            user_headers = {**user_headers, **user.login_headers}
        # an API key read from the query string travels with the user, like a header
        query_args = {**query_args, **(user.query if user is not None else {})}
        sends_body = verb not in ("GET", "DELETE") and (body_fields or spec.json_body)
        items = tuple(sorted({**user_headers}.items())) + extra_headers
        if raw is not None:
            return ProbeRequest(
                verb,
                _build_path(route.rule, path),
                tuple((k, str(v)) for k, v in query_args.items()),
                items,
                body=raw,
                content_type="text/plain",
                identity=as_user,
            )
        if form and sends_body:
            return ProbeRequest(
                verb,
                _build_path(route.rule, path),
                tuple((k, str(v)) for k, v in query_args.items()),
                items,
                form=tuple((k, str(v)) for k, v in json_body.items()),
                identity=as_user,
            )
        return ProbeRequest(
            verb,
            _build_path(route.rule, path),
            tuple((k, str(v)) for k, v in query_args.items()),
            items,
            json=json_body if sends_body else None,
            has_json=bool(sends_body),
            identity=as_user,
        )

    yield Planned(Case("valid", "a valid request"), request())
    id_params = [p for p in route.params if p.type in ("int", "uuid")]
    # Only a parameter that names a table is an id: /bytes/<int:n> is a count, not a lookup.
    if any(_param_table(p, route, handler, world) is not None for p in id_params):
        unknown = {
            **path_values,
            **{p.name: UNKNOWN_INT if p.type == "int" else UNKNOWN_UUID for p in id_params},
        }
        yield Planned(
            Case(
                "unknown-id",
                "an id that does not exist",
                id_params[-1].name,
                "path",
                UNKNOWN_INT,
                table=table.name if table is not None else None,
            ),
            request(path=unknown),
        )
    int_params = [p for p in route.params if p.converter == "int"]
    if int_params:
        huge = int_params[-1]
        yield Planned(
            Case("wrong-type", f"{huge.name} is past 64 bits", huge.name, "path", HUGE_INT),
            request(path={**path_values, huge.name: HUGE_INT}),
        )
    if identity is not None:
        yield Planned(Case("anonymous", "no credentials"), request(as_user=None))
    if "B" in world.users and id_params and table is not None and table.name in world.owner_columns:
        yield Planned(
            Case(
                "other-user",
                "user B on an object owned by user A",
                id_params[-1].name,
                "path",
                table=table.name,
            ),
            request(as_user="B"),
        )
    for f in body_fields:
        column = table.column(f.name) if table is not None else None
        for variant in invalid_variants(
            f.name, f.type, required=f.required, length=column.length if column else None
        ):
            changed = {k: v for k, v in body.items() if not (variant.omit and k == f.name)}
            if not variant.omit:
                changed[f.name] = variant.value
            yield Planned(
                Case(variant.kind, variant.description, f.name, f.location, variant.value),
                request(json_body=changed),
            )
        parent = table_for_name(f.name, world.database) if f.name.endswith("_id") else None
        if (
            parent is not None
            and parent.name != world.user_table
            and world.seed.keys.get(parent.name)
        ):
            # a child made under a parent that does not exist: stored, it points at nothing
            yield Planned(
                Case(
                    "malformed",
                    f"{f.name} names a {parent.name} row that does not exist",
                    f.name,
                    f.location,
                    UNKNOWN_INT,
                ),
                request(json_body={**body, f.name: UNKNOWN_INT}),
            )
        if f.required and not form:
            yield Planned(
                Case("wrong-type", f"{f.name} is null", f.name, f.location, None),
                request(json_body={**body, f.name: None}),
            )
        if f.type in ("str", "any") and not form:
            yield Planned(
                Case("quote", f"{f.name} carries SQL quotes", f.name, f.location, QUOTE),
                request(json_body={**body, f.name: QUOTE}),
            )
        if f.items and isinstance(body.get(f.name), list) and body[f.name]:
            yield from _element_variants(f, body, world, request)
    if (
        method in ("POST", "PUT", "PATCH")
        and (spec.json_body or spec.whole_json)
        and table is not None
    ):
        owner = world.owner_columns.get(table.name)
        other = world.users["B"].key if "B" in world.users else 2
        for name in protected_columns([c.name for c in table.columns], owner):
            value = protected_value(name, other)
            yield Planned(
                Case("protected-field", f"the client sets {name}", name, "json", value),
                request(json_body={**body, name: value}),
            )
    if spec.json_body and method != "GET":
        yield Planned(Case("not-json", "a body that is not JSON"), request(raw="not json"))
        yield Planned(
            Case("json-list", "a JSON list instead of an object"), request(json_body=[body])
        )
    for param in route.params:
        if param.converter == "string" and param.type in ("int", "float"):
            yield Planned(
                Case("wrong-type", f"{param.name} is not a number", param.name, "path", "abc"),
                request(path={**path_values, param.name: "abc"}),
            )
    for f in query_fields:
        if f.type in ("int", "float"):
            yield Planned(
                Case("bad-query", f"{f.name} is not a number", f.name, "query", "abc"),
                request(query_args={**query, f.name: "abc"}),
            )
            if f.type == "int":
                yield Planned(
                    Case("bad-query", f"{f.name} is past 64 bits", f.name, "query", str(HUGE_INT)),
                    request(query_args={**query, f.name: str(HUGE_INT)}),
                )
        elif is_redirect_target(f.name):
            yield Planned(
                Case("redirect-target", f"{f.name} is an external URL", f.name, "query", EVIL_URL),
                request(query_args={**query, f.name: EVIL_URL}),
            )
            yield Planned(
                Case("malformed", f"{f.name} carries CR/LF", f.name, "query", CRLF_TARGET),
                request(query_args={**query, f.name: CRLF_TARGET}),
            )
        else:
            for kind, description, value in (
                ("quote", f"{f.name} carries SQL quotes", QUOTE),
                ("quote", f"{f.name} carries an SQL tautology", TAUTOLOGY),
                ("quote-control", f"{f.name} is a harmless string", CONTROL),
            ):
                yield Planned(
                    Case(kind, description, f.name, "query", value),
                    request(query_args={**query, f.name: value}),
                )
            if writes_headers(handler.function):  # the value may end up in a header
                yield Planned(
                    Case("malformed", f"{f.name} carries CR/LF", f.name, "query", CRLF_TARGET),
                    request(query_args={**query, f.name: CRLF_TARGET}),
                )
    for f in body_fields:
        if f.location == "form" and is_redirect_target(f.name):
            yield Planned(
                Case("redirect-target", f"{f.name} is an external URL", f.name, "form", EVIL_URL),
                request(json_body={**body, f.name: EVIL_URL}),
            )


def wrong_method(accepted: set[str]) -> str | None:
    """A method a rule does not accept (over every endpoint sharing it), to check it answers 405."""
    return next((m for m in METHOD_ORDER if m not in accepted), None)


def wrong_method_request(route: Route, planned: Planned, method: str) -> Planned:
    """The valid request of a route sent with a method the rule does not accept."""
    request = replace(planned.request, method=method, json=None, has_json=False, form=None)
    return Planned(Case("wrong-method", f"{method} is not allowed here"), request)


def _with_cast_params(route: Route, handler: Handler) -> Route:
    """The route with plain ``<name>`` parameters typed by the casts its view applies to them."""
    plain = [p.name for p in route.params if p.converter == "string"]
    casts = path_casts(handler.function, plain)
    if not casts:
        return route
    params = tuple(replace(p, type=casts[p.name]) if p.name in casts else p for p in route.params)
    return replace(route, params=params)


def _credential(name: str, value: Any, identity: Identity) -> Any:
    """On the login route, user A's own email, username and password."""
    lowered = name.lower()
    if "password" in lowered:
        return PASSWORD
    if is_email(lowered) and identity.email:
        return identity.email
    if lowered in USERNAME_FIELDS and identity.username:
        return identity.username
    return value


def _query_value(f: Field) -> Any:
    if f.default is not None:
        return f.default
    if is_redirect_target(f.name):
        return "/"
    return valid_value(f.name, f.type, 1)
