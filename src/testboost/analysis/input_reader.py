"""Reading a view's source for what it takes from the request: which expressions are the
request's mappings (``request.args``, ``get_json()``, a wrapper around them), which fields a
value comes from, what a condition says about which keys are present, and flask-restx reqparse
arguments. :class:`RequestReader` holds that state for one function; the walk over its
statements is :class:`~testboost.analysis.input_walk.Analyser`."""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from collections.abc import Callable, Iterable

import flask

from testboost.analysis.input_collector import CAST, Collector, Ref
from testboost.analysis.inputspec import value_type

REQUEST_ATTRS = {
    "json": "json",
    "form": "form",
    "args": "query",
    "values": "query",
    "headers": "header",
    "files": "file",
    "cookies": "cookie",
}
TYPE_NAMES = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "list": "list",
    "tuple": "list",
    "dict": "dict",
    "Decimal": "float",
}
ANYTHING_CASTS = frozenset({"str", "bool"})  # they accept any value: no evidence of a type
INT_METHODS = frozenset({"isdigit", "isnumeric", "isdecimal"})
VALUE_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold"})
STR_METHODS = VALUE_METHODS.union(
    ("capitalize", "split", "startswith", "endswith", "replace", "encode"),
    ("isalpha", "isalnum", "format"),
)
DICT_METHODS = frozenset({"items", "keys", "values", "get"})
STR_CALLS = frozenset({"match", "fullmatch", "search", "fromisoformat", "strptime"})
_RESTX_API_CLASSES = frozenset({"Api", "Namespace"})
_BODY_VERBS = frozenset({"post", "put", "patch"})


def literal_of(node: ast.expr | None) -> tuple[bool, object]:
    """(True, value) when ``node`` is a literal, else (False, None)."""
    if node is None:
        return False, None
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def str_items(values: Iterable[ast.expr]) -> tuple[str, ...] | None:
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


def terminates(body: list[ast.stmt]) -> bool:
    """Does this block reject the request: return, raise or abort()?"""
    for stmt in body:
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            name = call_name(stmt.value)
            if name == "abort":
                return True
    return False


def call_name(call: ast.Call) -> str | None:
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


def package_of(module: str | None) -> str:
    return (module or "").partition(".")[0]


ALL_KEYS = frozenset({("*", "*")})  # a guard that makes every key optional (try/except KeyError)


class RequestReader:
    """What one function's code says about the request, shared by the walk over it."""

    def __init__(self, func: types.FunctionType, collector: Collector, depth: int) -> None:
        self.func = func
        self.collector = collector
        self.depth = depth
        self.names = _namespace(func)
        self.owner = _owner_class(func, self.names)
        self.request_names = {k for k, v in func.__globals__.items() if v is flask.request}
        self.request_names.add("request")
        self.sources: dict[str, str] = {}  # variable → location of the mapping it holds
        self.bound: dict[str, tuple[Ref, ...]] = {}  # variable → the field(s) its value is
        self.keys: dict[str, tuple[str, ...]] = {}  # variable → the string keys it ranges over
        self.parsers: dict[str, list[ast.Call]] = {}  # local reqparse parsers' add_argument calls
        self.guards: list[frozenset[Ref]] = []

    def expect_decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``@api.expect(parser)`` on a flask-restx method declares its reqparse arguments."""
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and call_name(deco) == "expect":
                for arg in deco.args:
                    self._runtime_parser(self._resolve(arg))

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
                return REQUEST_ATTRS.get(node.attr)
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
            return str_items(node.elts)
        if isinstance(node, ast.Name):
            if node.id in self.keys:
                return self.keys[node.id]
            return _str_collection(self._lookup(node.id))
        if isinstance(node, ast.Attribute):
            return _str_collection(self._resolve(node))
        return None

    def refs(self, node: ast.expr) -> tuple[Ref, ...]:
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
                if f.attr in VALUE_METHODS:
                    return self.refs(f.value)
            if isinstance(f, ast.Name) and f.id in TYPE_NAMES and len(node.args) == 1:
                return self.refs(node.args[0])
            return ()
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self.refs(node.values[0])
        if isinstance(node, ast.NamedExpr):
            return self.refs(node.value)
        if isinstance(node, ast.IfExp):
            return self.refs(node.body) or self.refs(node.orelse)
        return ()

    def _guarded(self, ref: Ref) -> bool:
        return any(ref in g or g is ALL_KEYS for g in self.guards)

    def _hint(self, refs: Iterable[Ref], type_: str | None, rank: int) -> None:
        if type_ is None:
            return
        for ref in refs:
            self.collector.touch(ref).hint(type_, rank)

    def _require(self, refs: Iterable[Ref]) -> None:
        for ref in refs:
            self.collector.touch(ref).required = True

    def _type_of(self, node: ast.expr) -> str | None:
        """The type a ``type=`` / isinstance argument names (int, inputs.boolean, ...)."""
        if isinstance(node, ast.Name):
            return TYPE_NAMES.get(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr in ("boolean",):
                return "bool"
            if node.attr in ("natural", "positive", "int_range"):
                return "int"
            return TYPE_NAMES.get(node.attr)
        if isinstance(node, ast.Call):
            return self._type_of(node.func)
        if isinstance(node, ast.Tuple):
            found = [t for t in (self._type_of(e) for e in node.elts) if t is not None]
            if "int" in found and "float" in found:
                return "float"
            return found[0] if found else None
        return None

    def positive(self, test: ast.expr) -> frozenset[Ref]:
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
            if isinstance(op, (ast.IsNot, ast.NotEq)) and is_none(right):
                return frozenset(self.refs(test.left))
            return frozenset()
        if isinstance(test, ast.Call) and call_name(test) == "all":
            return self._over_generator(test, self.positive)
        if isinstance(test, ast.Call) and call_name(test) == "isinstance" and len(test.args) == 2:
            # isinstance(None, T) is false unless T admits None
            admits_none = any(
                (isinstance(n, ast.Name) and n.id == "NoneType")
                or (isinstance(n, ast.Call) and call_name(n) == "type")
                for n in ast.walk(test.args[1])
            )
            return frozenset() if admits_none else frozenset(self.refs(test.args[0]))
        return frozenset(self.refs(test))

    def negative(self, test: ast.expr) -> frozenset[Ref]:
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
                is_none(right) or (isinstance(right, ast.Constant) and right.value == "")
            ):
                return frozenset(self.refs(test.left))
            return frozenset()
        if isinstance(test, ast.Call) and call_name(test) == "any":
            return self._over_generator(test, self.negative)
        return frozenset()

    def _over_generator(
        self, call: ast.Call, judge: Callable[[ast.expr], frozenset[Ref]]
    ) -> frozenset[Ref]:
        """all(k in data for k in KEYS) / any(k not in data for k in KEYS)."""
        if len(call.args) != 1 or not isinstance(call.args[0], ast.GeneratorExp):
            return frozenset()
        gen = call.args[0]
        with self._comprehension_keys(gen.generators):
            return judge(gen.elt)

    def _comprehension_keys(self, generators: list[ast.comprehension]) -> KeyScope:
        scope = KeyScope(self)
        for gen in generators:
            if isinstance(gen.target, ast.Name):
                keys = self.collection_keys(gen.iter)
                if keys is not None:
                    scope.bind(gen.target.id, keys)
        return scope

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
        loc = REQUEST_ATTRS.get(location) if isinstance(location, str) else None
        acc = self.collector.touch((loc or self._default_location(), name))
        if type_ is not None:
            acc.hint(type_, CAST)
        if required:
            acc.required = True
        if default is not None and acc.default is None:
            acc.default = default

    def _static_argument(self, call: ast.Call) -> None:
        if not call.args:
            return
        ok, name = literal_of(call.args[0])
        if not ok or not isinstance(name, str):
            return
        kwargs = {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}
        type_ = self._type_of(kwargs["type"]) if "type" in kwargs else None
        if literal_of(kwargs.get("action"))[1] == "append":
            type_ = "list"
        required = literal_of(kwargs.get("required"))[1] is True
        location = literal_of(kwargs.get("location"))[1]
        default = literal_of(kwargs.get("default"))[1]
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

    def _helper_returns_source(self, node: ast.Call) -> str | None:
        """The location a same-app helper called by ``node`` returns; the walk knows helpers."""
        return None


class KeyScope:
    """Temporarily binds loop / comprehension variables to the string keys they range over."""

    def __init__(self, analyser: RequestReader) -> None:
        self.analyser = analyser
        self.saved: list[tuple[str, tuple[str, ...] | None]] = []

    def bind(self, name: str, keys: tuple[str, ...]) -> None:
        self.saved.append((name, self.analyser.keys.get(name)))
        self.analyser.keys[name] = keys

    def __enter__(self) -> KeyScope:
        return self

    def __exit__(self, *exc: object) -> None:
        for name, old in reversed(self.saved):
            if old is None:
                self.analyser.keys.pop(name, None)
            else:
                self.analyser.keys[name] = old


def is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _chain_root(node: ast.expr) -> str | None:
    """``parser`` in ``parser.add_argument(...).add_argument(...)``."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node.id if isinstance(node, ast.Name) else None


def _runtime_type(type_: object) -> str | None:
    if isinstance(type_, type):
        return TYPE_NAMES.get(type_.__name__)
    name = getattr(type_, "__name__", type(type_).__name__)
    if name == "boolean":
        return "bool"
    if name in ("natural", "positive", "int_range"):
        return "int"
    return None


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
