"""What a view reads from the request, inferred from its source.

The view's source (and that of the same-app helpers it hands request data to, one call deep) is
parsed and walked once, in source order. Every read of ``request.json``, ``request.form``,
``request.args``, ``request.values``, ``request.headers``, ``request.files`` and
``request.cookies`` becomes a :class:`Field`; casts, ``type=`` arguments, ``isinstance`` checks,
string methods and comparisons give it a type; subscript access and explicit "missing → 400"
checks make it required.

    >>> spec = infer_inputs(app.view_functions["create_user"])
    >>> [(f.location, f.name, f.type, f.required) for f in spec.fields]
    [('json', 'email', 'str', True), ('json', 'age', 'int', False)]
    >>> spec.whole_json  # the view does User(**data)
    True
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import flask

from testboost.analysis.source import FunctionSource, function_source

LOCATIONS = ("json", "form", "query", "header", "file", "cookie")
TYPES = ("str", "int", "float", "bool", "list", "dict", "any")


@dataclass(frozen=True)
class Field:
    """One named input a view reads.

    ``location`` is one of :data:`LOCATIONS`, ``type`` one of :data:`TYPES` ("any" when nothing
    in the code says more). ``required`` is true when the view reads the value in a way that
    fails without it (``data["k"]``) or rejects the request when it is missing; ``default`` is
    the literal default of ``.get("k", default)``. ``items`` are the keys the view reads from
    each element of a list of objects (``for entry in data["items"]: entry["product_id"]``).
    """

    name: str
    location: str
    type: str
    required: bool
    default: object | None = None
    items: tuple[Field, ...] = ()


@dataclass(frozen=True)
class InputSpec:
    """Everything a view reads from the request.

    ``whole_json`` / ``whole_form``: the view passes the entire body on (``Model(**data)``,
    ``obj.update(request.json)``, a ``setattr`` loop over ``data.items()``, ``dict(data)``),
    so any key a client sends may land in the database. ``sources`` are the ``file:line`` of the
    functions analysed: the view first, then the helpers followed.
    """

    fields: tuple[Field, ...] = ()
    json_body: bool = False
    whole_json: bool = False
    form_body: bool = False
    sources: tuple[str, ...] = ()
    whole_form: bool = False

    def field(self, name: str, location: str | None = None) -> Field | None:
        """The field called ``name`` (in ``location`` when given), or None.

        >>> spec.field("page", "query").type
        'int'
        """
        for f in self.fields:
            if f.name == name and (location is None or f.location == location):
                return f
        return None


def infer_inputs(func: Callable[..., Any]) -> InputSpec:
    """Infer what ``func`` — a view function, or one method of a MethodView / Resource — reads.

    Decorators are looked through (``__wrapped__``); a view made by ``View.as_view`` is analysed
    through its class's HTTP-method functions. A builtin, a lambda or a function without source
    gives an empty spec, never an error.

        >>> infer_inputs(UserAPI.post).fields[0]
        Field(name='email', location='json', type='str', required=True, default=None)
    """
    collector = _Collector()
    view_class = getattr(func, "view_class", None)
    if isinstance(view_class, type):
        for verb in ("get", "post", "put", "patch", "delete"):
            method = getattr(view_class, verb, None)
            if method is not None:
                _analyse_function(method, collector)
    else:
        _analyse_function(func, collector)
    return collector.spec()


# --- collection -------------------------------------------------------------------------------

_Ref = tuple[str, str]  # (location, name)
#: Joins a location and a list field into the pseudo-location of that list's elements while
#: analysing (``json[]items``); :meth:`_Collector.spec` folds them into ``Field.items``.
_ELEMENT = "[]"

_WEAK, _HINT, _CAST = 1, 2, 3  # how much a piece of evidence about a field's type is worth

_STRING_LOCATIONS = frozenset({"form", "query", "header", "cookie"})


@dataclass
class _FieldAcc:
    name: str
    location: str
    type: str
    rank: int = 0
    required: bool = False
    default: object | None = None
    subscripted: bool = False  # read as data["k"] somewhere unguarded

    def hint(self, type_: str, rank: int) -> None:
        if rank > self.rank:
            self.type, self.rank = type_, rank


@dataclass
class _Collector:
    fields: dict[_Ref, _FieldAcc] = field(default_factory=dict)
    json_body: bool = False
    whole_json: bool = False
    form_body: bool = False
    whole_form: bool = False
    sources: list[str] = field(default_factory=list)
    seen: set[types.CodeType] = field(default_factory=set)
    parsed: dict[types.FunctionType, FunctionSource | None] = field(default_factory=dict)

    def parse(self, func: types.FunctionType) -> FunctionSource | None:
        if func not in self.parsed:
            self.parsed[func] = function_source(func)
        return self.parsed[func]

    def touch(self, ref: _Ref) -> _FieldAcc:
        acc = self.fields.get(ref)
        if acc is None:
            location, name = ref
            base = "str" if location in _STRING_LOCATIONS else "any"
            acc = self.fields[ref] = _FieldAcc(name=name, location=location, type=base)
            if location == "json":
                self.json_body = True
            elif location in ("form", "file"):
                self.form_body = True
        return acc

    def whole(self, location: str) -> None:
        if location == "json":
            self.whole_json = True
        elif location == "form":
            self.whole_form = True

    def spec(self) -> InputSpec:
        elements: dict[tuple[str, str], list[Field]] = {}
        for a in self.fields.values():
            if _ELEMENT in a.location:
                location, _, parent = a.location.partition(_ELEMENT)
                field = Field(a.name, location, a.type, _required(a), a.default)
                elements.setdefault((location, parent), []).append(field)
        return InputSpec(
            fields=tuple(
                Field(
                    a.name,
                    a.location,
                    "list" if (a.location, a.name) in elements else a.type,
                    _required(a),
                    a.default,
                    tuple(elements.get((a.location, a.name), ())),
                )
                for a in self.fields.values()
                if _ELEMENT not in a.location
            ),
            json_body=self.json_body,
            whole_json=self.whole_json,
            form_body=self.form_body,
            sources=tuple(self.sources),
            whole_form=self.whole_form,
        )


def _required(acc: _FieldAcc) -> bool:
    """Required, unless ``.get(k, default)`` supplies a value whenever the key is missing.

    A check that rejects a bad value (``if not isinstance(x, str): abort(400)``) passes the
    default, so only an unguarded ``data["k"]`` makes such a field required.
    """
    return acc.required and (acc.default is None or acc.subscripted)


def _analyse_function(func: object, collector: _Collector) -> None:
    parsed = function_source(func)
    if parsed is None or parsed.func.__code__ in collector.seen:
        return
    collector.seen.add(parsed.func.__code__)
    collector.sources.append(parsed.location)
    analyser = _Analyser(parsed.func, collector, depth=0)
    analyser.expect_decorators(parsed.node)
    analyser.run(parsed.node)


# --- the walk ---------------------------------------------------------------------------------

_REQUEST_ATTRS = {
    "json": "json",
    "form": "form",
    "args": "query",
    "values": "query",
    "headers": "header",
    "files": "file",
    "cookies": "cookie",
}
_TYPE_NAMES = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "list": "list",
    "tuple": "list",
    "dict": "dict",
    "Decimal": "float",
}
_ANYTHING_CASTS = frozenset({"str", "bool"})  # they accept any value: no evidence of a type
_INT_METHODS = frozenset({"isdigit", "isnumeric", "isdecimal"})
_VALUE_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold"})
_STR_METHODS = _VALUE_METHODS.union(
    ("capitalize", "split", "startswith", "endswith", "replace", "encode"),
    ("isalpha", "isalnum", "format"),
)
_DICT_METHODS = frozenset({"items", "keys", "values", "get"})
_STR_CALLS = frozenset({"match", "fullmatch", "search", "fromisoformat", "strptime"})
_RESTX_API_CLASSES = frozenset({"Api", "Namespace"})
_BODY_VERBS = frozenset({"post", "put", "patch"})


def value_type(value: object) -> str | None:
    """The input type (:data:`TYPES`) of a Python value, or None for other objects."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return None


def _literal(node: ast.expr | None) -> tuple[bool, object]:
    """(True, value) when ``node`` is a literal, else (False, None)."""
    if node is None:
        return False, None
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _str_items(values: Iterable[ast.expr]) -> tuple[str, ...] | None:
    items: list[str] = []
    for value in values:
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            return None
        items.append(value.value)
    return tuple(items)


def _str_collection(obj: object) -> tuple[str, ...] | None:
    """A runtime tuple/list/set of strings as an ordered tuple (sets sorted), else None."""
    if isinstance(obj, (tuple, list)) and obj and all(isinstance(x, str) for x in obj):
        return tuple(obj)
    if isinstance(obj, (set, frozenset)) and obj and all(isinstance(x, str) for x in obj):
        return tuple(sorted(obj))
    return None


def _terminates(body: list[ast.stmt]) -> bool:
    """Does this block reject the request: return, raise or abort()?"""
    for stmt in body:
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            name = _call_name(stmt.value)
            if name == "abort":
                return True
    return False


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _namespace(func: types.FunctionType) -> dict[str, object]:
    """Names visible to ``func``: builtins, its module globals and its closure."""
    names: dict[str, object] = dict(vars(builtins))
    names.update(func.__globals__)
    for name, cell in zip(func.__code__.co_freevars, func.__closure__ or (), strict=False):
        try:
            names[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return names


def _owner_class(func: types.FunctionType, names: dict[str, object]) -> type | None:
    """The class a method was defined in, when it can be reached from module globals."""
    parts = func.__qualname__.split(".")
    if len(parts) < 2 or "<locals>" in parts:
        return None
    obj: object = names.get(parts[0])
    for part in parts[1:-1]:
        obj = getattr(obj, part, None)
    return obj if isinstance(obj, type) else None


def _package(module: str | None) -> str:
    return (module or "").partition(".")[0]


_ALL = frozenset({("*", "*")})  # a guard that makes every key optional (try/except KeyError)


class _Analyser(ast.NodeVisitor):
    """Walks one function's AST in source order, feeding a shared :class:`_Collector`."""

    def __init__(self, func: types.FunctionType, collector: _Collector, depth: int) -> None:
        self.func = func
        self.collector = collector
        self.depth = depth
        self.names = _namespace(func)
        self.owner = _owner_class(func, self.names)
        self.request_names = {k for k, v in func.__globals__.items() if v is flask.request}
        self.request_names.add("request")
        self.sources: dict[str, str] = {}  # variable → location of the mapping it holds
        self.bound: dict[str, tuple[_Ref, ...]] = {}  # variable → the field(s) its value is
        self.keys: dict[str, tuple[str, ...]] = {}  # variable → the string keys it ranges over
        self.parsers: dict[str, list[ast.Call]] = {}  # local reqparse parsers' add_argument calls
        self.guards: list[frozenset[_Ref]] = []

    # -- entry points

    def run(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for stmt in node.body:
            self.visit(stmt)

    def expect_decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``@api.expect(parser)`` on a flask-restx method declares its reqparse arguments."""
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and _call_name(deco) == "expect":
                for arg in deco.args:
                    self._runtime_parser(self._resolve(arg))

    # -- resolution

    def _lookup(self, name: str) -> object:
        return self.names.get(name)

    def _resolve(self, node: ast.expr) -> object:
        """The runtime object a Name / dotted attribute refers to, or None."""
        if isinstance(node, ast.Name):
            if node.id in ("self", "cls"):
                return self.owner
            return self._lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            if base is None:
                return None
            try:
                return inspect.getattr_static(base, node.attr)
            except AttributeError:
                return None
        return None

    def _is_request(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.request_names
        if isinstance(node, ast.Attribute) and node.attr == "request":
            return isinstance(node.value, ast.Name) and self._lookup(node.value.id) is flask
        return False

    def _is_restx_api(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "api":
            return isinstance(node.value, ast.Name) and node.value.id == "self"
        if isinstance(node, ast.Name):
            cls = type(self._lookup(node.id))
            return cls.__module__.startswith("flask_restx") and cls.__name__ in _RESTX_API_CLASSES
        return False

    def _is_raw_body(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "data":
            return self._is_request(node.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return node.func.attr == "get_data" and self._is_request(node.func.value)
        return False

    def source(self, node: ast.expr) -> str | None:
        """The location whose whole mapping ``node`` evaluates to (``request.args`` → query)."""
        if isinstance(node, ast.Attribute):
            if self._is_request(node.value):
                return _REQUEST_ATTRS.get(node.attr)
            if node.attr == "payload" and self._is_restx_api(node.value):
                return "json"
            return None
        if isinstance(node, ast.Name):
            return self.sources.get(node.id)
        if isinstance(node, ast.Call):
            return self._call_source(node)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self.source(node.values[0])
        if isinstance(node, ast.IfExp):
            return self.source(node.body) or self.source(node.orelse)
        if isinstance(node, ast.NamedExpr):
            return self.source(node.value)
        if isinstance(node, ast.DictComp) and len(node.generators) == 1:
            gen = node.generators[0]
            filtered = any(
                isinstance(op, (ast.In, ast.NotIn))
                for test in gen.ifs
                for sub in ast.walk(test)
                if isinstance(sub, ast.Compare)
                for op in sub.ops
            )
            it = gen.iter
            if (
                not filtered
                and isinstance(it, ast.Call)
                and isinstance(it.func, ast.Attribute)
                and it.func.attr == "items"
            ):
                return self.source(it.func.value)
        return None

    def _call_source(self, node: ast.Call) -> str | None:
        f = node.func
        if isinstance(f, ast.Attribute):
            if f.attr == "get_json" and self._is_request(f.value):
                return "json"
            if f.attr in ("to_dict", "copy"):
                return self.source(f.value)
            if f.attr == "loads" and node.args and self._is_raw_body(node.args[0]):
                return "json"
            if f.attr == "deepcopy" and len(node.args) == 1:
                return self.source(node.args[0])
        if isinstance(f, ast.Name) and f.id in ("dict", "deepcopy") and len(node.args) == 1:
            return self.source(node.args[0])
        if _is_mapping_wrapper(f) and len(node.args) == 1:
            # CaseInsensitiveDict(request.args.items()), MultiDict(request.form): the same keys
            arg = node.args[0]
            if (
                isinstance(arg, ast.Call)
                and isinstance(arg.func, ast.Attribute)
                and arg.func.attr in ("items", "to_dict", "copy")
                and not arg.args
            ):
                arg = arg.func.value
            return self.source(arg)
        if self.depth == 0:
            return self._helper_returns_source(node)
        return None

    def keys_of(self, node: ast.expr) -> tuple[str, ...]:
        """The string key(s) an expression stands for: a literal, or a loop over literals."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return (node.value,)
        if isinstance(node, ast.Name) and node.id in self.keys:
            return self.keys[node.id]
        return ()

    def collection_keys(self, node: ast.expr) -> tuple[str, ...] | None:
        """Keys iterated by ``for k in <node>``: a literal or named collection of strings."""
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return _str_items(node.elts)
        if isinstance(node, ast.Name):
            if node.id in self.keys:
                return self.keys[node.id]
            return _str_collection(self._lookup(node.id))
        if isinstance(node, ast.Attribute):
            return _str_collection(self._resolve(node))
        return None

    def refs(self, node: ast.expr) -> tuple[_Ref, ...]:
        """The field(s) whose value ``node`` is (through variables, casts and str methods)."""
        if isinstance(node, ast.Subscript):
            loc = self.source(node.value)
            if loc is not None:
                return tuple((loc, k) for k in self.keys_of(node.slice))
            return ()
        if isinstance(node, ast.Name):
            return self.bound.get(node.id, ())
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute):
                if f.attr in ("get", "getlist", "pop") and node.args:
                    loc = self.source(f.value)
                    if loc is not None:
                        return tuple((loc, k) for k in self.keys_of(node.args[0]))
                if f.attr in _VALUE_METHODS:
                    return self.refs(f.value)
            if isinstance(f, ast.Name) and f.id in _TYPE_NAMES and len(node.args) == 1:
                return self.refs(node.args[0])
            return ()
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self.refs(node.values[0])
        if isinstance(node, ast.NamedExpr):
            return self.refs(node.value)
        if isinstance(node, ast.IfExp):
            return self.refs(node.body) or self.refs(node.orelse)
        return ()

    # -- recording helpers

    def _guarded(self, ref: _Ref) -> bool:
        return any(ref in g or g is _ALL for g in self.guards)

    def _hint(self, refs: Iterable[_Ref], type_: str | None, rank: int) -> None:
        if type_ is None:
            return
        for ref in refs:
            self.collector.touch(ref).hint(type_, rank)

    def _require(self, refs: Iterable[_Ref]) -> None:
        for ref in refs:
            self.collector.touch(ref).required = True

    def _type_of(self, node: ast.expr) -> str | None:
        """The type a ``type=`` / isinstance argument names (int, inputs.boolean, ...)."""
        if isinstance(node, ast.Name):
            return _TYPE_NAMES.get(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr in ("boolean",):
                return "bool"
            if node.attr in ("natural", "positive", "int_range"):
                return "int"
            return _TYPE_NAMES.get(node.attr)
        if isinstance(node, ast.Call):
            return self._type_of(node.func)
        if isinstance(node, ast.Tuple):
            found = [t for t in (self._type_of(e) for e in node.elts) if t is not None]
            if "int" in found and "float" in found:
                return "float"
            return found[0] if found else None
        return None

    # -- guards: what a condition says about which keys are present

    def positive(self, test: ast.expr) -> frozenset[_Ref]:
        """Refs known to be present when ``test`` is true."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            return frozenset().union(*(self.positive(v) for v in test.values))
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.negative(test.operand)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, right = test.ops[0], test.comparators[0]
            if isinstance(op, ast.In):
                loc = self.source(right)
                if loc is not None:
                    return frozenset((loc, k) for k in self.keys_of(test.left))
                return frozenset()
            if isinstance(op, (ast.IsNot, ast.NotEq)) and _is_none(right):
                return frozenset(self.refs(test.left))
            return frozenset()
        if isinstance(test, ast.Call) and _call_name(test) == "all":
            return self._over_generator(test, self.positive)
        if isinstance(test, ast.Call) and _call_name(test) == "isinstance" and len(test.args) == 2:
            # isinstance(None, T) is false unless T admits None
            admits_none = any(
                (isinstance(n, ast.Name) and n.id == "NoneType")
                or (isinstance(n, ast.Call) and _call_name(n) == "type")
                for n in ast.walk(test.args[1])
            )
            return frozenset() if admits_none else frozenset(self.refs(test.args[0]))
        return frozenset(self.refs(test))

    def negative(self, test: ast.expr) -> frozenset[_Ref]:
        """Refs known to be missing (or empty) when ``test`` is true."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            return frozenset().union(*(self.negative(v) for v in test.values))
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.positive(test.operand)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, right = test.ops[0], test.comparators[0]
            if isinstance(op, ast.NotIn):
                loc = self.source(right)
                if loc is not None:
                    return frozenset((loc, k) for k in self.keys_of(test.left))
                # status not in ("open", "closed"): a missing value is not in the list either
                if self.collection_keys(right):
                    return frozenset(self.refs(test.left))
                return frozenset()
            if isinstance(op, (ast.Is, ast.Eq)) and (
                _is_none(right) or (isinstance(right, ast.Constant) and right.value == "")
            ):
                return frozenset(self.refs(test.left))
            return frozenset()
        if isinstance(test, ast.Call) and _call_name(test) == "any":
            return self._over_generator(test, self.negative)
        return frozenset()

    def _over_generator(
        self, call: ast.Call, judge: Callable[[ast.expr], frozenset[_Ref]]
    ) -> frozenset[_Ref]:
        """all(k in data for k in KEYS) / any(k not in data for k in KEYS)."""
        if len(call.args) != 1 or not isinstance(call.args[0], ast.GeneratorExp):
            return frozenset()
        gen = call.args[0]
        with self._comprehension_keys(gen.generators):
            return judge(gen.elt)

    def _comprehension_keys(self, generators: list[ast.comprehension]) -> _KeyScope:
        scope = _KeyScope(self)
        for gen in generators:
            if isinstance(gen.target, ast.Name):
                keys = self.collection_keys(gen.iter)
                if keys is not None:
                    scope.bind(gen.target.id, keys)
        return scope

    # -- statements

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._assign(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._assign(node.target, node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._assign(node.target, node.value)

    def _assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts, strict=True):
                    self._assign(t, v)
            else:
                for t in target.elts:
                    self._forget(t)
            return
        if not isinstance(target, ast.Name):
            return
        name = target.id
        self._forget(target)
        loc = self.source(value)
        if loc is not None:
            self.sources[name] = loc
            return
        refs = self.refs(value)
        if refs:
            self.bound[name] = refs
            return
        literal = isinstance(value, (ast.Tuple, ast.List, ast.Set))
        keys = self.collection_keys(value) if literal else None
        if keys:
            self.keys[name] = keys
            return
        if isinstance(value, ast.Call) and _call_name(value) == "RequestParser":
            self.parsers[name] = []
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "copy"
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id in self.parsers
        ):
            self.parsers[name] = list(self.parsers[value.func.value.id])

    def _forget(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.sources.pop(target.id, None)
            self.bound.pop(target.id, None)
            self.keys.pop(target.id, None)
            self.parsers.pop(target.id, None)

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        missing = self.negative(node.test)
        if missing and _terminates(node.body):
            self._require(missing)
        self._guarded_block(self.positive(node.test), node.body)
        self._guarded_block(missing, node.orelse)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.test)
        self._guarded_expr(self.positive(node.test), node.body)
        self._guarded_expr(self.negative(node.test), node.orelse)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        pushed = 0
        for value in node.values:
            self.visit(value)
            judge = self.positive if isinstance(node.op, ast.And) else self.negative
            self.guards.append(judge(value))
            pushed += 1
        del self.guards[len(self.guards) - pushed :]

    def visit_Try(self, node: ast.Try) -> None:
        lenient = any(_catches_key_error(h) and not _terminates(h.body) for h in node.handlers)
        self._guarded_block(_ALL if lenient else frozenset(), node.body)
        for stmt in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(stmt)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
        lenient = any(
            isinstance(item.context_expr, ast.Call)
            and _call_name(item.context_expr) == "suppress"
            and any(_names_key_error(arg) for arg in item.context_expr.args)
            for item in node.items
        )
        self._guarded_block(_ALL if lenient else frozenset(), node.body)

    def _guarded_block(self, guard: frozenset[_Ref], body: list[ast.stmt]) -> None:
        self.guards.append(guard)
        for stmt in body:
            self.visit(stmt)
        self.guards.pop()

    def _guarded_expr(self, guard: frozenset[_Ref], expr: ast.expr) -> None:
        self.guards.append(guard)
        self.visit(expr)
        self.guards.pop()

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        iterated = self.refs(node.iter)
        self._hint(iterated, "list", _HINT)
        loc = self._iterated_source(node.iter)
        if loc is not None and self._setattr_loop(node):
            self.collector.whole(loc)
        element = None
        if (
            len(iterated) == 1
            and isinstance(node.target, ast.Name)
            and _ELEMENT not in iterated[0][0]
        ):
            # for entry in data["items"]: what is read from `entry` belongs to each element
            element = node.target.id
            saved = self.sources.get(element)
            self.sources[element] = f"{iterated[0][0]}{_ELEMENT}{iterated[0][1]}"
        try:
            self._loop_body(node, keep=element)
        finally:
            if element is not None:
                if saved is None:
                    self.sources.pop(element, None)
                else:
                    self.sources[element] = saved

    def _loop_body(self, node: ast.For | ast.AsyncFor, keep: str | None) -> None:
        with _KeyScope(self) as scope:
            keys = self.collection_keys(node.iter)
            if isinstance(node.target, ast.Name) and keys is not None:
                scope.bind(node.target.id, keys)
            else:
                for name in ast.walk(node.target):
                    if isinstance(name, ast.Name) and name.id != keep:
                        self._forget(name)
            for stmt in [*node.body, *node.orelse]:
                self.visit(stmt)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.visit_For(node)

    def _iterated_source(self, it: ast.expr) -> str | None:
        """``data`` / ``data.items()`` / ``data.keys()`` → data's location."""
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute):
            if it.func.attr in ("items", "keys"):
                return self.source(it.func.value)
            return None
        return self.source(it)

    def _setattr_loop(self, node: ast.For | ast.AsyncFor) -> bool:
        """Does the loop body setattr() each key, without filtering keys by a whitelist?"""
        target = node.target
        key = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else target
        if not isinstance(key, ast.Name):
            return False
        sets = filtered = False
        for stmt in node.body:
            for sub in ast.walk(stmt):
                if (
                    isinstance(sub, ast.Call)
                    and isinstance(sub.func, ast.Name)
                    and sub.func.id == "setattr"
                    and len(sub.args) >= 2
                    and isinstance(sub.args[1], ast.Name)
                    and sub.args[1].id == key.id
                ):
                    sets = True
                if (
                    isinstance(sub, ast.Compare)
                    and isinstance(sub.left, ast.Name)
                    and sub.left.id == key.id
                    and any(isinstance(op, (ast.In, ast.NotIn)) for op in sub.ops)
                ):
                    filtered = True
        return sets and not filtered

    # -- expressions

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node.generators, [node.elt])

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node.generators, [node.elt])

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node.generators, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, [node.key, node.value])

    def _comprehension(self, generators: list[ast.comprehension], parts: list[ast.expr]) -> None:
        for gen in generators:
            self.visit(gen.iter)
        with self._comprehension_keys(generators):
            for gen in generators:
                for test in gen.ifs:
                    self.visit(test)
                    # [f for f in REQUIRED if f not in data] collects missing keys to reject
                    self._require(self.negative(test))
            for part in parts:
                self.visit(part)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self._is_request(node.value):
            if node.attr == "json":
                self.collector.json_body = True
            elif node.attr in ("form", "files"):
                self.collector.form_body = True
        elif node.attr == "payload" and self._is_restx_api(node.value):
            self.collector.json_body = True
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load):
            loc = self.source(node.value)
            if loc is not None:
                for key in self.keys_of(node.slice):
                    ref = (loc, key)
                    acc = self.collector.touch(ref)
                    if not self._guarded(ref):
                        acc.required = acc.subscripted = True
            else:
                inner = self.refs(node.value)
                if isinstance(node.slice, ast.Constant):
                    index_type = "dict" if isinstance(node.slice.value, str) else "list"
                    self._hint(inner, index_type, _HINT)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if isinstance(op, (ast.In, ast.NotIn)):
                loc = self.source(right)
                if loc is not None:
                    for key in self.keys_of(left):
                        self.collector.touch((loc, key))
                elif isinstance(right, (ast.Tuple, ast.List, ast.Set)):
                    elt_types = {value_type(_literal(e)[1]) for e in right.elts}
                    if len(elt_types) == 1:
                        self._hint(self.refs(left), elt_types.pop(), _HINT)
                elif self.collection_keys(right):
                    self._hint(self.refs(left), "str", _HINT)
                continue
            for a, b in ((left, right), (right, left)):
                refs = self.refs(a)
                if not refs:
                    continue
                if isinstance(b, ast.Constant) and b.value is not None:
                    self._hint(refs, value_type(b.value), _HINT)
            self._type_comparison(left, right)
            self._len_comparison(left)
        self.generic_visit(node)

    def _type_comparison(self, left: ast.expr, right: ast.expr) -> None:
        """type(x) is int / type(x) == int."""
        if isinstance(left, ast.Call) and _call_name(left) == "type" and len(left.args) == 1:
            self._hint(self.refs(left.args[0]), self._type_of(right), _CAST)

    def _len_comparison(self, left: ast.expr) -> None:
        if isinstance(left, ast.Call) and _call_name(left) == "len" and len(left.args) == 1:
            self._hint(self.refs(left.args[0]), "str", _WEAK)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if isinstance(b, ast.Constant) and type(b.value) in (int, float):
                self._hint(self.refs(a), value_type(b.value), _WEAK)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        self._reads(node)
        self._whole(node)
        self._casts(node)
        self._reqparse(node)
        self.visit(f.value if isinstance(f, ast.Attribute) else f)
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)
        if self.depth == 0:
            self._follow(node)

    def _reads(self, node: ast.Call) -> None:
        """``src.get(k, default, type=T)``, ``src.getlist(k)``, ``src.pop(k)``, get_json()."""
        f = node.func
        if not isinstance(f, ast.Attribute):
            return
        if f.attr == "get_json" and self._is_request(f.value):
            self.collector.json_body = True
            return
        if f.attr == "loads" and node.args and self._is_raw_body(node.args[0]):
            self.collector.json_body = True
            return
        if f.attr not in ("get", "getlist", "pop") or not node.args:
            return
        loc = self.source(f.value)
        if loc is None:
            return
        default = node.args[1] if len(node.args) > 1 else None
        type_node = node.args[2] if len(node.args) > 2 else None
        for kw in node.keywords:
            if kw.arg == "default":
                default = kw.value
            elif kw.arg == "type":
                type_node = kw.value
        is_literal, value = _literal(default)
        for key in self.keys_of(node.args[0]):
            ref = (loc, key)
            acc = self.collector.touch(ref)
            if f.attr == "pop" and default is None and not self._guarded(ref):
                acc.required = True
            if f.attr == "getlist":
                acc.hint("list", _CAST)
            if type_node is not None:
                type_ = self._type_of(type_node)
                if type_ is not None:
                    acc.hint(type_, _CAST)
            if is_literal and value is not None:
                if acc.default is None:
                    acc.default = value
                literal_type = value_type(value)
                if literal_type is not None:
                    acc.hint(literal_type, _WEAK)

    def _whole(self, node: ast.Call) -> None:
        """Model(**data), obj.update(data), dict(data): the whole body passed on."""
        for kw in node.keywords:
            if kw.arg is None:
                loc = self.source(kw.value)
                if loc is not None:
                    self.collector.whole(loc)
        f = node.func
        if not node.args:
            return
        is_update = isinstance(f, ast.Attribute) and f.attr == "update"
        is_dict = isinstance(f, ast.Name) and f.id == "dict"
        if is_update or is_dict:
            loc = self.source(node.args[0])
            if loc is not None:
                self.collector.whole(loc)

    def _casts(self, node: ast.Call) -> None:
        """int(x), isinstance(x, T), x.isdigit(), x.strip(), re.match(p, x), len(x)."""
        f = node.func
        if isinstance(f, ast.Name) and node.args:
            cast = f.id in _TYPE_NAMES and f.id not in _ANYTHING_CASTS and len(node.args) == 1
            if cast and self._lookup(f.id) is not None:
                self._hint(self.refs(node.args[0]), _TYPE_NAMES[f.id], _CAST)
            elif f.id == "isinstance" and len(node.args) == 2:
                self._hint(self.refs(node.args[0]), self._type_of(node.args[1]), _CAST)
        if isinstance(f, ast.Attribute):
            if self.source(f.value) is None:
                inner = self.refs(f.value)
                if f.attr in _INT_METHODS:
                    self._hint(inner, "int", _HINT)
                elif f.attr in _STR_METHODS:
                    self._hint(inner, "str", _HINT)
                elif f.attr in _DICT_METHODS:
                    self._hint(inner, "dict", _HINT)
            if f.attr in _STR_CALLS:
                for arg in node.args:
                    self._hint(self.refs(arg), "str", _HINT)

    # -- flask-restx reqparse

    def _reqparse(self, node: ast.Call) -> None:
        f = node.func
        if not isinstance(f, ast.Attribute):
            return
        if f.attr == "add_argument":
            parser = _chain_root(f.value)
            if parser is not None and parser in self.parsers:
                self.parsers[parser].append(node)
        elif f.attr == "parse_args":
            if isinstance(f.value, ast.Name) and f.value.id in self.parsers:
                for call in self.parsers[f.value.id]:
                    self._static_argument(call)
            else:
                self._runtime_parser(self._resolve(f.value))

    def _default_location(self) -> str:
        return "json" if self.func.__name__ in _BODY_VERBS else "query"

    def _argument(
        self, name: str, type_: str | None, required: bool, location: object, default: object
    ) -> None:
        if isinstance(location, (list, tuple)):
            location = location[0] if len(location) == 1 else None
        loc = _REQUEST_ATTRS.get(location) if isinstance(location, str) else None
        acc = self.collector.touch((loc or self._default_location(), name))
        if type_ is not None:
            acc.hint(type_, _CAST)
        if required:
            acc.required = True
        if default is not None and acc.default is None:
            acc.default = default

    def _static_argument(self, call: ast.Call) -> None:
        if not call.args:
            return
        ok, name = _literal(call.args[0])
        if not ok or not isinstance(name, str):
            return
        kwargs = {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}
        type_ = self._type_of(kwargs["type"]) if "type" in kwargs else None
        if _literal(kwargs.get("action"))[1] == "append":
            type_ = "list"
        required = _literal(kwargs.get("required"))[1] is True
        location = _literal(kwargs.get("location"))[1]
        default = _literal(kwargs.get("default"))[1]
        self._argument(name, type_, required, location, default)

    def _runtime_parser(self, parser: object) -> None:
        """Arguments of a live ``reqparse.RequestParser`` the code refers to."""
        if type(parser).__name__ != "RequestParser":
            return
        for arg in getattr(parser, "args", ()):
            name = getattr(arg, "name", None)
            if not isinstance(name, str):
                continue
            if getattr(arg, "action", None) == "append":
                type_: str | None = "list"
            else:
                type_ = _runtime_type(getattr(arg, "type", None))
            default = getattr(arg, "default", None)
            self._argument(
                name,
                type_,
                getattr(arg, "required", False) is True,
                getattr(arg, "location", None),
                default if value_type(default) is not None else None,
            )

    # -- helpers of the same app, one call deep

    def _helper(self, node: ast.Call) -> tuple[FunctionSource, bool] | None:
        """The same-app plain function ``node`` calls, and whether ``self`` is skipped."""
        f = node.func
        skip_first = False
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.value.id in ("self", "cls"):
                if self.owner is None:
                    return None
                raw = inspect.getattr_static(self.owner, f.attr, None)
                if isinstance(raw, staticmethod):
                    target: object = raw.__func__
                elif isinstance(raw, classmethod):
                    target, skip_first = raw.__func__, True
                else:
                    target, skip_first = raw, True
            else:
                module = self._lookup(f.value.id)
                if not isinstance(module, types.ModuleType):
                    return None
                target = getattr(module, f.attr, None)
        elif isinstance(f, ast.Name):
            target = self._lookup(f.id)
        else:
            return None
        if not isinstance(target, types.FunctionType):
            return None
        if _package(target.__module__) != _package(self.func.__module__):
            return None
        parsed = self.collector.parse(target)
        if parsed is None or parsed.func.__code__ is self.func.__code__:
            return None
        return parsed, skip_first

    def _helper_returns_source(self, node: ast.Call) -> str | None:
        """``data = get_payload()`` where the helper returns ``request.get_json()``."""
        found = self._helper(node)
        if found is None:
            return None
        parsed, _ = found
        inner = _Analyser(parsed.func, _Collector(), depth=1)
        inner.run(parsed.node)
        for sub in ast.walk(parsed.node):
            if isinstance(sub, ast.Return) and sub.value is not None:
                loc = inner.source(sub.value)
                if loc is not None:
                    return loc
        return None

    def _follow(self, node: ast.Call) -> None:
        found = self._helper(node)
        if found is None:
            return
        parsed, skip_first = found
        args = [*node.args, *(kw.value for kw in node.keywords)]
        carries = any(
            self.source(a) is not None or self.refs(a)
            for a in (x.value if isinstance(x, ast.Starred) else x for x in args)
        )
        inner = _Analyser(parsed.func, self.collector, depth=self.depth + 1)
        reads_request = any(
            isinstance(sub, ast.Name) and sub.id in inner.request_names
            for sub in ast.walk(parsed.node)
        )
        if not (carries or reads_request) or parsed.func.__code__ in self.collector.seen:
            return
        self.collector.seen.add(parsed.func.__code__)
        self.collector.sources.append(parsed.location)
        inner.take_arguments(parsed.node, node, skip_first, self)
        inner.run(parsed.node)

    def take_arguments(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        call: ast.Call,
        skip_first: bool,
        caller: _Analyser,
    ) -> None:
        """Bind this helper's parameters to what the caller passed: a body, a field, key names."""
        params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        if skip_first:
            params = params[1:]
        positional = list(call.args)
        if any(isinstance(arg, ast.Starred) for arg in positional):
            positional = positional[
                : next(i for i, a in enumerate(positional) if isinstance(a, ast.Starred))
            ]
        pairs = list(zip(params, positional, strict=False))
        known = set(params) | {a.arg for a in node.args.kwonlyargs}
        pairs.extend((kw.arg, kw.value) for kw in call.keywords if kw.arg in known and kw.arg)
        for param, arg in pairs:
            loc = caller.source(arg)
            refs = caller.refs(arg)
            keys = caller.keys_of(arg) or caller.collection_keys(arg)
            if loc is not None:
                self.sources[param] = loc
            elif refs:
                self.bound[param] = refs
            elif keys:
                self.keys[param] = keys
        rest = positional[len(params) :]
        if node.args.vararg is not None and rest:
            # require_fields(data, "name", "email") → def require_fields(data, *names)
            names = _str_items(rest)
            if names:
                self.keys[node.args.vararg.arg] = names


class _KeyScope:
    """Temporarily binds loop / comprehension variables to the string keys they range over."""

    def __init__(self, analyser: _Analyser) -> None:
        self.analyser = analyser
        self.saved: list[tuple[str, tuple[str, ...] | None]] = []

    def bind(self, name: str, keys: tuple[str, ...]) -> None:
        self.saved.append((name, self.analyser.keys.get(name)))
        self.analyser.keys[name] = keys

    def __enter__(self) -> _KeyScope:
        return self

    def __exit__(self, *exc: object) -> None:
        for name, old in reversed(self.saved):
            if old is None:
                self.analyser.keys.pop(name, None)
            else:
                self.analyser.keys[name] = old


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _catches_key_error(handler: ast.ExceptHandler) -> bool:
    return handler.type is None or _names_key_error(handler.type)


def _names_key_error(node: ast.expr) -> bool:
    """Does an exception expression (a name or a tuple of them) include KeyError?"""
    names = [
        n.id if isinstance(n, ast.Name) else n.attr
        for n in ast.walk(node)
        if isinstance(n, (ast.Name, ast.Attribute))
    ]
    return any(n in ("KeyError", "LookupError", "Exception", "BaseException") for n in names)


def _chain_root(node: ast.expr) -> str | None:
    """``parser`` in ``parser.add_argument(...).add_argument(...)``."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node.id if isinstance(node, ast.Name) else None


def _runtime_type(type_: object) -> str | None:
    if isinstance(type_, type):
        return _TYPE_NAMES.get(type_.__name__)
    name = getattr(type_, "__name__", type(type_).__name__)
    if name == "boolean":
        return "bool"
    if name in ("natural", "positive", "int_range"):
        return "int"
    return None


def path_casts(func: Callable[..., Any], names: Iterable[str]) -> dict[str, str]:
    """Types a view casts its plain ``<name>`` path parameters to: ``float(delay)`` → float.

    Only parameters passed to ``int(...)`` or ``float(...)`` directly are reported; a converter in
    the rule (``<int:id>``) already says the type and needs no inference.
    """
    wanted = set(names)
    parsed = function_source(func)
    if parsed is None or not wanted:
        return {}
    casts: dict[str, str] = {}
    for node in ast.walk(parsed.node):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("int", "float")
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in wanted
        ):
            casts.setdefault(node.args[0].id, node.func.id)
    return casts


def _is_mapping_wrapper(func: ast.expr) -> bool:
    """A class called on a mapping (``CaseInsensitiveDict``, ``structures.MultiDict``)."""
    name = (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )
    return name[:1].isupper() and ("Dict" in name or "Map" in name)
