"""The walk over one function's statements, in source order, recording every request read
with the evidence of its type and presence, and following same-app helpers one call deep."""

from __future__ import annotations

import ast
import inspect
import types

from testboost.analysis.input_collector import CAST, ELEMENT, HINT, WEAK, Collector, Ref
from testboost.analysis.input_reader import (
    ALL_KEYS,
    ANYTHING_CASTS,
    DICT_METHODS,
    INT_METHODS,
    STR_CALLS,
    STR_METHODS,
    TYPE_NAMES,
    KeyScope,
    RequestReader,
    call_name,
    literal_of,
    package_of,
    str_items,
    terminates,
)
from testboost.analysis.inputspec import value_type
from testboost.analysis.source import FunctionSource


class Analyser(ast.NodeVisitor, RequestReader):
    """Walks one function's AST in source order, feeding a shared :class:`Collector`."""

    def run(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for stmt in node.body:
            self.visit(stmt)

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
        if isinstance(value, ast.Call) and call_name(value) == "RequestParser":
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
        if missing and terminates(node.body):
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
        lenient = any(catches_key_error(h) and not terminates(h.body) for h in node.handlers)
        self._guarded_block(ALL_KEYS if lenient else frozenset(), node.body)
        for stmt in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(stmt)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
        lenient = any(
            isinstance(item.context_expr, ast.Call)
            and call_name(item.context_expr) == "suppress"
            and any(_names_key_error(arg) for arg in item.context_expr.args)
            for item in node.items
        )
        self._guarded_block(ALL_KEYS if lenient else frozenset(), node.body)

    def _guarded_block(self, guard: frozenset[Ref], body: list[ast.stmt]) -> None:
        self.guards.append(guard)
        for stmt in body:
            self.visit(stmt)
        self.guards.pop()

    def _guarded_expr(self, guard: frozenset[Ref], expr: ast.expr) -> None:
        self.guards.append(guard)
        self.visit(expr)
        self.guards.pop()

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        iterated = self.refs(node.iter)
        self._hint(iterated, "list", HINT)
        loc = self._iterated_source(node.iter)
        if loc is not None and self._setattr_loop(node):
            self.collector.whole(loc)
        element = None
        if (
            len(iterated) == 1
            and isinstance(node.target, ast.Name)
            and ELEMENT not in iterated[0][0]
        ):
            # for entry in data["items"]: what is read from `entry` belongs to each element
            element = node.target.id
            saved = self.sources.get(element)
            self.sources[element] = f"{iterated[0][0]}{ELEMENT}{iterated[0][1]}"
        try:
            self._loop_body(node, keep=element)
        finally:
            if element is not None:
                if saved is None:
                    self.sources.pop(element, None)
                else:
                    self.sources[element] = saved

    def _loop_body(self, node: ast.For | ast.AsyncFor, keep: str | None) -> None:
        with KeyScope(self) as scope:
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
                    self._hint(inner, index_type, HINT)
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
                    elt_types = {value_type(literal_of(e)[1]) for e in right.elts}
                    if len(elt_types) == 1:
                        self._hint(self.refs(left), elt_types.pop(), HINT)
                elif self.collection_keys(right):
                    self._hint(self.refs(left), "str", HINT)
                continue
            for a, b in ((left, right), (right, left)):
                refs = self.refs(a)
                if not refs:
                    continue
                if isinstance(b, ast.Constant) and b.value is not None:
                    self._hint(refs, value_type(b.value), HINT)
            self._type_comparison(left, right)
            self._len_comparison(left)
        self.generic_visit(node)

    def _type_comparison(self, left: ast.expr, right: ast.expr) -> None:
        """type(x) is int / type(x) == int."""
        if isinstance(left, ast.Call) and call_name(left) == "type" and len(left.args) == 1:
            self._hint(self.refs(left.args[0]), self._type_of(right), CAST)

    def _len_comparison(self, left: ast.expr) -> None:
        if isinstance(left, ast.Call) and call_name(left) == "len" and len(left.args) == 1:
            self._hint(self.refs(left.args[0]), "str", WEAK)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if isinstance(b, ast.Constant) and type(b.value) in (int, float):
                self._hint(self.refs(a), value_type(b.value), WEAK)
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
        is_literal, value = literal_of(default)
        for key in self.keys_of(node.args[0]):
            ref = (loc, key)
            acc = self.collector.touch(ref)
            if f.attr == "pop" and default is None and not self._guarded(ref):
                acc.required = True
            if f.attr == "getlist":
                acc.hint("list", CAST)
            if type_node is not None:
                type_ = self._type_of(type_node)
                if type_ is not None:
                    acc.hint(type_, CAST)
            if is_literal and value is not None:
                if acc.default is None:
                    acc.default = value
                literal_type = value_type(value)
                if literal_type is not None:
                    acc.hint(literal_type, WEAK)

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
            cast = f.id in TYPE_NAMES and f.id not in ANYTHING_CASTS and len(node.args) == 1
            if cast and self._lookup(f.id) is not None:
                self._hint(self.refs(node.args[0]), TYPE_NAMES[f.id], CAST)
            elif f.id == "isinstance" and len(node.args) == 2:
                self._hint(self.refs(node.args[0]), self._type_of(node.args[1]), CAST)
        if isinstance(f, ast.Attribute):
            if self.source(f.value) is None:
                inner = self.refs(f.value)
                if f.attr in INT_METHODS:
                    self._hint(inner, "int", HINT)
                elif f.attr in STR_METHODS:
                    self._hint(inner, "str", HINT)
                elif f.attr in DICT_METHODS:
                    self._hint(inner, "dict", HINT)
            if f.attr in STR_CALLS:
                for arg in node.args:
                    self._hint(self.refs(arg), "str", HINT)

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
        if package_of(target.__module__) != package_of(self.func.__module__):
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
        inner = Analyser(parsed.func, Collector(), depth=1)
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
        inner = Analyser(parsed.func, self.collector, depth=self.depth + 1)
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
        caller: Analyser,
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
            names = str_items(rest)
            if names:
                self.keys[node.args.vararg.arg] = names


def catches_key_error(handler: ast.ExceptHandler) -> bool:
    return handler.type is None or _names_key_error(handler.type)


def _names_key_error(node: ast.expr) -> bool:
    """Does an exception expression (a name or a tuple of them) include KeyError?"""
    names = [
        n.id if isinstance(n, ast.Name) else n.attr
        for n in ast.walk(node)
        if isinstance(n, (ast.Name, ast.Attribute))
    ]
    return any(n in ("KeyError", "LookupError", "Exception", "BaseException") for n in names)
