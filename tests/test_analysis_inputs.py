"""infer_inputs: what a view reads from the request, one pattern per test."""

from __future__ import annotations

import builtins
import contextlib
import functools
from collections.abc import Callable
from typing import Any

import flask
from flask import Flask, abort, jsonify, request
from flask.views import MethodView

from testboost.analysis.inputs import Field, InputSpec, infer_inputs

REQUIRED_FIELDS = ("title", "body")
STATUSES = ["open", "closed"]


def _app() -> Flask:
    return Flask(__name__)


def _view(app: Flask, endpoint: str) -> Callable[..., Any]:
    return app.view_functions[endpoint]


def _fields(spec: InputSpec) -> list[tuple[str, str, str, bool, object]]:
    return [(f.location, f.name, f.type, f.required, f.default) for f in spec.fields]


# --- helpers the views below hand request data to (same module → followed) -----------------


def validate_user(payload: dict[str, Any]) -> None:
    if not isinstance(payload["age"], int):
        abort(400)


def read_paging() -> tuple[int, int]:
    page = request.args.get("page", 1, type=int)
    size = int(request.args.get("size", 20))
    return page, size


def get_payload() -> Any:
    return request.get_json(silent=True) or {}


def check_email(email: str) -> bool:
    return "@" in email and email.strip() == email


def audit_log(message: str) -> None:
    del message


# --- nothing read ---------------------------------------------------------------------------


def test_view_reading_nothing_has_no_fields() -> None:
    app = _app()

    @app.route("/ping")
    def ping() -> Any:
        return jsonify(ok=True)

    spec = infer_inputs(_view(app, "ping"))
    assert spec.fields == ()
    assert not (spec.json_body or spec.whole_json or spec.form_body or spec.whole_form)
    assert len(spec.sources) == 1
    assert spec.sources[0].endswith(f"test_analysis_inputs.py:{ping.__code__.co_firstlineno + 1}")


def test_builtins_lambdas_and_missing_source_give_an_empty_spec() -> None:
    assert infer_inputs(builtins.len) == InputSpec()
    assert infer_inputs(lambda: request.json) == InputSpec()
    namespace: dict[str, Any] = {}
    exec("def generated():\n    return request.json['k']\n", namespace)
    assert infer_inputs(namespace["generated"]) == InputSpec()
    assert infer_inputs(functools.partial(int, "3")) == InputSpec()


# --- JSON body ------------------------------------------------------------------------------


def test_subscripts_of_request_json_and_get_json_are_required() -> None:
    app = _app()

    @app.post("/a")
    def a() -> Any:
        return jsonify(request.json["name"], request.get_json()["price"])

    spec = infer_inputs(_view(app, "a"))
    assert _fields(spec) == [
        ("json", "name", "any", True, None),
        ("json", "price", "any", True, None),
    ]
    assert spec.json_body and not spec.whole_json and not spec.form_body


def test_data_variable_subscript_get_and_default() -> None:
    app = _app()

    @app.post("/items")
    def create() -> Any:
        data = request.get_json(force=True, silent=True)
        name = data["name"]
        note = data.get("note")
        qty = data.get("qty", 5)
        tags = data.get("tags", [])
        return jsonify(name, note, qty, tags)

    assert _fields(infer_inputs(_view(app, "create"))) == [
        ("json", "name", "any", True, None),
        ("json", "note", "any", False, None),
        ("json", "qty", "int", False, 5),
        ("json", "tags", "list", False, []),
    ]


def test_request_json_get_is_not_required() -> None:
    app = _app()

    @app.post("/x")
    def x() -> Any:
        return jsonify(request.json.get("flag"), (request.get_json() or {}).get("other"))

    spec = infer_inputs(_view(app, "x"))
    assert _fields(spec) == [
        ("json", "flag", "any", False, None),
        ("json", "other", "any", False, None),
    ]
    assert spec.json_body


def test_types_from_casts_isinstance_methods_and_comparisons() -> None:
    app = _app()

    @app.post("/t")
    def t() -> Any:
        data = request.get_json() or {}
        price = float(data["price"])
        if not isinstance(data.get("qty"), int):
            abort(400)
        if not isinstance(data.get("ratio"), (int, float)):
            abort(400)
        code = data.get("code", "")
        if not code.isdigit():
            abort(400)
        name = data["name"].strip()
        if data.get("stock") < 0:
            abort(400)
        if data.get("active") is True or data.get("kind") in ("a", "b"):
            pass
        for item in data.get("items", ()):
            audit_log(item)
        return jsonify(price=price, name=name, city=data["address"]["city"])

    assert _fields(infer_inputs(_view(app, "t"))) == [
        ("json", "price", "float", True, None),
        ("json", "qty", "int", True, None),  # rejected unless an int: so required
        ("json", "ratio", "float", True, None),
        ("json", "code", "int", False, ""),
        ("json", "name", "str", True, None),
        ("json", "stock", "int", False, None),
        ("json", "active", "bool", False, None),
        ("json", "kind", "str", False, None),
        ("json", "items", "list", False, ()),
        ("json", "address", "dict", True, None),
    ]


def test_tuple_unpacking_binds_each_field() -> None:
    app = _app()

    @app.post("/login")
    def login() -> Any:
        data = request.get_json()
        email, pw = data["email"], data["password"]
        if len(pw) < 8:
            abort(400)
        return jsonify(check_email(email))

    spec = infer_inputs(_view(app, "login"))
    assert _fields(spec) == [
        ("json", "email", "str", True, None),
        ("json", "password", "str", True, None),
    ]
    # check_email receives a field: followed, and its str methods type the field
    assert len(spec.sources) == 2


def test_explicit_missing_checks_make_fields_required() -> None:
    app = _app()

    @app.post("/m")
    def m() -> Any:
        data = request.get_json()
        if not data or "name" not in data or "email" not in data:
            return jsonify(error="missing"), 400
        sku = data.get("sku")
        if not sku:
            abort(400)
        if data.get("price") is None:
            return jsonify(error="price"), 400
        if not isinstance(data.get("title"), str) or not isinstance(
            data.get("n"), (int, type(None))
        ):
            return jsonify(error="title"), 400
        status = data.get("status") if isinstance(data, dict) else None
        if status not in STATUSES:
            abort(400)
        return jsonify(data.get("name"), data.get("email"), data.get("note"))

    assert _fields(infer_inputs(_view(app, "m"))) == [
        ("json", "name", "any", True, None),
        ("json", "email", "any", True, None),
        ("json", "sku", "any", True, None),
        ("json", "price", "any", True, None),
        ("json", "title", "str", True, None),
        ("json", "n", "int", False, None),
        ("json", "status", "str", True, None),
        ("json", "note", "any", False, None),
    ]


def test_a_check_that_does_not_reject_does_not_require() -> None:
    app = _app()

    @app.post("/n")
    def n() -> Any:
        data = request.get_json()
        if "nick" not in data:
            data["nick"] = "anon"
        return jsonify(data.get("nick"))

    assert _fields(infer_inputs(_view(app, "n"))) == [("json", "nick", "any", False, None)]


def test_required_field_loops_literal_and_named() -> None:
    app = _app()

    @app.post("/loop")
    def loop() -> Any:
        data = request.get_json()
        for f in ("a", "b"):
            if f not in data:
                abort(400)
        required = ["c", "d"]
        missing = [f for f in required if f not in data]
        if missing:
            return jsonify(missing=missing), 400
        if not all(k in data for k in REQUIRED_FIELDS):
            abort(400)
        return jsonify(ok=True)

    assert _fields(infer_inputs(_view(app, "loop"))) == [
        ("json", "a", "any", True, None),
        ("json", "b", "any", True, None),
        ("json", "c", "any", True, None),
        ("json", "d", "any", True, None),
        ("json", "title", "any", True, None),
        ("json", "body", "any", True, None),
    ]


def test_membership_guarded_subscripts_are_optional() -> None:
    app = _app()

    @app.patch("/p")
    def p() -> Any:
        data = request.get_json()
        out = {}
        if "name" in data:
            out["name"] = data["name"]
        out["bio"] = data["bio"] if "bio" in data else ""  # noqa: SIM401 (the pattern under test)
        for key in ("x", "y"):
            if key in data:
                out[key] = data[key]
        if data.get("z") is not None and data["z"] > 3:
            out["z"] = data["z"]
        try:  # noqa: SIM105 (the pattern under test)
            out["w"] = data["w"]
        except KeyError:
            pass
        with contextlib.suppress(KeyError):
            out["v"] = data["v"]
        return jsonify(out)

    spec = infer_inputs(_view(app, "p"))
    assert _fields(spec) == [
        ("json", "name", "any", False, None),
        ("json", "bio", "any", False, None),
        ("json", "x", "any", False, None),
        ("json", "y", "any", False, None),
        ("json", "z", "int", False, None),
        ("json", "w", "any", False, None),
        ("json", "v", "any", False, None),
    ]
    assert not spec.whole_json


# --- whole body passed on ---------------------------------------------------------------------


class Thing:
    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


def test_model_star_star_data_is_whole_json() -> None:
    app = _app()

    @app.post("/w1")
    def w1() -> Any:
        data = request.get_json()
        return jsonify(vars(Thing(**data)))

    @app.post("/w2")
    def w2() -> Any:
        return jsonify(vars(Thing(**request.json)))

    @app.put("/w3")
    def w3() -> Any:
        row: dict[str, Any] = {}
        row.update(request.json)
        return jsonify(row)

    @app.put("/w4")
    def w4() -> Any:
        obj = Thing()
        data = request.get_json()
        for k, v in data.items():
            setattr(obj, k, v)
        return jsonify(vars(obj))

    @app.put("/w5")
    def w5() -> Any:
        return jsonify(dict(request.get_json()))

    for endpoint in ("w1", "w2", "w3", "w4", "w5"):
        spec = infer_inputs(_view(app, endpoint))
        assert spec.whole_json, endpoint
        assert spec.json_body, endpoint
        assert spec.fields == (), endpoint


def test_whitelisted_setattr_loop_is_not_whole_json() -> None:
    app = _app()

    @app.put("/safe")
    def safe() -> Any:
        obj = Thing()
        data = request.get_json()
        for k, v in data.items():
            if k in ("name", "bio"):
                setattr(obj, k, v)
        return jsonify(vars(obj))

    spec = infer_inputs(_view(app, "safe"))
    assert spec.json_body and not spec.whole_json


def test_form_passed_whole_sets_whole_form() -> None:
    app = _app()

    @app.post("/f")
    def f() -> Any:
        return jsonify(vars(Thing(**request.form.to_dict())))

    spec = infer_inputs(_view(app, "f"))
    assert spec.whole_form and spec.form_body and not spec.whole_json and not spec.json_body


# --- query, form, values, headers, files, cookies ---------------------------------------------


def test_query_args_with_type_and_default() -> None:
    app = _app()

    @app.get("/q")
    def q() -> Any:
        page = request.args.get("page", 1, type=int)
        per = request.args.get("per_page", type=int)
        limit = int(request.args["limit"])
        sort = request.args.get("sort", "name")
        tags = request.args.getlist("tag")
        offset = request.args.get("offset")
        return jsonify(page, per, limit, sort, tags, int(offset or 0), request.args.get("q"))

    spec = infer_inputs(_view(app, "q"))
    assert _fields(spec) == [
        ("query", "page", "int", False, 1),
        ("query", "per_page", "int", False, None),
        ("query", "limit", "int", True, None),
        ("query", "sort", "str", False, "name"),
        ("query", "tag", "list", False, None),
        ("query", "offset", "int", False, None),
        ("query", "q", "str", False, None),
    ]
    assert not spec.json_body and not spec.form_body


class CaseInsensitiveDict(dict[str, Any]):
    """Stands for ``requests.structures.CaseInsensitiveDict`` (httpbin wraps its query so)."""


def test_query_read_through_a_mapping_wrapper_keeps_its_keys_and_casts() -> None:
    app = _app()

    @app.get("/drip")
    def drip() -> Any:
        args = CaseInsensitiveDict(request.args.items())
        duration = float(args.get("duration", 2))
        return jsonify(duration, int(args["code"]))

    @app.get("/plain")
    def plain() -> Any:  # a class that is not a mapping wrapper: nothing learned from it
        value = ValueError(request.args.items())
        return jsonify(str(value))

    spec = infer_inputs(_view(app, "drip"))
    assert _fields(spec) == [
        ("query", "duration", "float", False, 2),
        ("query", "code", "int", True, None),
    ]
    assert infer_inputs(_view(app, "plain")).fields == ()


def test_form_values_headers_files_cookies() -> None:
    app = _app()

    @app.post("/upload")
    def upload() -> Any:
        title = request.form["title"]
        note = request.form.get("note")
        mode = request.values.get("mode")
        key = request.headers.get("X-Api-Key")
        trace = request.headers["X-Trace"]
        doc = request.files["document"]
        thumb = request.files.get("thumb")
        session_id = request.cookies.get("sid")
        return jsonify(title, note, mode, key, trace, doc.filename, bool(thumb), session_id)

    spec = infer_inputs(_view(app, "upload"))
    assert _fields(spec) == [
        ("form", "title", "str", True, None),
        ("form", "note", "str", False, None),
        ("query", "mode", "str", False, None),
        ("header", "X-Api-Key", "str", False, None),
        ("header", "X-Trace", "str", True, None),
        ("file", "document", "any", True, None),
        ("file", "thumb", "any", False, None),
        ("cookie", "sid", "str", False, None),
    ]
    assert spec.form_body and not spec.json_body


def test_flask_dot_request_and_aliases() -> None:
    app = _app()

    @app.get("/alias")
    def alias() -> Any:
        return jsonify(flask.request.args["a"])

    assert _fields(infer_inputs(_view(app, "alias"))) == [("query", "a", "str", True, None)]


def test_same_location_and_name_are_merged() -> None:
    app = _app()

    @app.post("/merge")
    def merge() -> Any:
        data = request.get_json()
        maybe = data.get("n", 0)
        n = int(data["n"])
        return jsonify(maybe, n, request.args.get("n"))

    assert _fields(infer_inputs(_view(app, "merge"))) == [
        ("json", "n", "int", True, 0),
        ("query", "n", "str", False, None),
    ]


# --- helpers ----------------------------------------------------------------------------------


def test_helpers_receiving_data_or_reading_request_are_followed() -> None:
    app = _app()

    @app.post("/users")
    def users() -> Any:
        data = get_payload()
        validate_user(data)
        page, size = read_paging()
        audit_log("created")
        return jsonify(data["email"], page, size)

    spec = infer_inputs(_view(app, "users"))
    assert _fields(spec) == [
        ("json", "age", "int", True, None),
        ("query", "page", "int", False, 1),
        ("query", "size", "int", False, 20),
        ("json", "email", "any", True, None),
    ]
    # the view, get_payload (reads request), validate_user (gets data), read_paging; not audit_log
    assert len(spec.sources) == 4
    names = [s.rsplit(":", 1)[1] for s in spec.sources]
    assert names[1:] == [
        str(get_payload.__code__.co_firstlineno),
        str(validate_user.__code__.co_firstlineno),
        str(read_paging.__code__.co_firstlineno),
    ]


def test_decorated_views_are_unwrapped() -> None:
    def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        return wrapper

    app = _app()

    @app.post("/d")
    @login_required
    def d() -> Any:
        return jsonify(request.json["k"])

    assert _fields(infer_inputs(_view(app, "d"))) == [("json", "k", "any", True, None)]


# --- class-based views --------------------------------------------------------------------------


class ItemAPI(MethodView):
    def get(self, item_id: int) -> Any:
        return jsonify(item_id, request.args.get("expand", type=bool))

    def post(self) -> Any:
        data = request.get_json()
        self._check(data)
        return jsonify(data["name"])

    def _check(self, payload: dict[str, Any]) -> None:
        if "price" not in payload:
            abort(400)


def test_method_view_methods() -> None:
    app = _app()
    app.add_url_rule("/items", view_func=ItemAPI.as_view("items"))

    post = infer_inputs(ItemAPI.post)
    assert _fields(post) == [
        ("json", "price", "any", True, None),
        ("json", "name", "any", True, None),
    ]
    assert len(post.sources) == 2
    assert _fields(infer_inputs(ItemAPI.get)) == [("query", "expand", "bool", False, None)]
    # the as_view() function covers every verb of the class
    whole = infer_inputs(_view(app, "items"))
    assert {(f.location, f.name) for f in whole.fields} == {
        ("query", "expand"),
        ("json", "price"),
        ("json", "name"),
    }


def test_flask_restx_reqparse_and_payload() -> None:
    from flask_restx import Api, Resource, inputs, reqparse

    app = _app()
    api = Api(app)
    parser = reqparse.RequestParser()
    parser.add_argument("name", type=str, required=True, location="json")
    parser.add_argument("age", type=int, location="json", default=18)
    parser.add_argument("active", type=inputs.boolean, location="args")
    parser.add_argument("tags", action="append", location="values")

    class People(Resource):  # type: ignore[misc]
        def post(self) -> Any:
            args = parser.parse_args()
            return {"name": args["name"]}

        def put(self) -> Any:
            local = reqparse.RequestParser()
            local.add_argument("limit", type=int, required=True, location="args")
            local.add_argument("nick")
            return local.parse_args()

        def patch(self) -> Any:
            return {"n": api.payload["nick"]}

    api.add_resource(People, "/people")

    post = infer_inputs(People.post)
    assert _fields(post) == [
        ("json", "name", "str", True, None),
        ("json", "age", "int", False, 18),
        ("query", "active", "bool", False, None),
        ("query", "tags", "list", False, None),
    ]
    assert post.json_body
    assert _fields(infer_inputs(People.put)) == [
        ("query", "limit", "int", True, None),
        ("json", "nick", "any", False, None),
    ]
    patch = infer_inputs(People.patch)
    assert _fields(patch) == [("json", "nick", "any", True, None)]
    assert patch.json_body


def test_field_lookup_helper() -> None:
    spec = InputSpec(fields=(Field("a", "query", "int", False, 1),))
    assert spec.field("a") == Field("a", "query", "int", False, 1)
    assert spec.field("a", "json") is None


def test_keys_read_from_each_element_of_a_list_become_its_items() -> None:
    app = _app()

    @app.post("/orders")
    def orders() -> Any:
        data = request.get_json()
        for entry in data["items"]:
            product = int(entry["product_id"])
            quantity = entry.get("quantity", 1)
            if quantity < 1:
                return jsonify(error="bad"), 400
            del product
        return jsonify(ok=True)

    (items,) = infer_inputs(_view(app, "orders")).fields
    assert (items.name, items.location, items.type, items.required) == (
        "items",
        "json",
        "list",
        True,
    )
    assert _fields(InputSpec(fields=items.items)) == [
        ("json", "product_id", "int", True, None),
        ("json", "quantity", "int", False, 1),
    ]


def test_a_list_of_plain_values_has_no_items() -> None:
    app = _app()

    @app.post("/tags")
    def tags() -> Any:
        data = request.get_json()
        return jsonify([tag.lower() for tag in data["tags"]])

    (tags_field,) = infer_inputs(_view(app, "tags")).fields
    assert tags_field.items == ()


def test_a_default_that_passes_the_check_is_not_required() -> None:
    app = _app()

    @app.post("/ship")
    def ship() -> Any:
        data = request.get_json()
        address = data.get("address", "")
        if not isinstance(address, str):
            return jsonify(error="address must be a string"), 400
        return jsonify(address=address)

    assert _fields(infer_inputs(_view(app, "ship"))) == [("json", "address", "str", False, "")]
