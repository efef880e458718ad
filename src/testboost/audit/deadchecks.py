"""Checks a test writes but never makes: unreachable, looped over nothing, swallowed, self-fulfilling.

The smell scan (:mod:`testboost.audit.smells`) counts an ``assert`` as a check. Four shapes of
code hold asserts that cannot fail the test, and this module finds them, statically:

``unreachable-assertion``
    the assert follows a ``return``, ``raise``, ``continue``, ``break`` or ``pytest.skip(...)``
    in its block, or sits under ``if False:``;
``empty-loop-assertion``
    the assert is in the body of a loop over an empty iterable: a literal (``[]``, ``{}``,
    ``range(0)``) or a local name only ever bound to one and never filled;
``swallowed-assertion``
    the assert is inside ``try`` whose handler catches ``AssertionError`` (or ``Exception``,
    ``BaseException``, a bare ``except``) and neither re-raises nor fails, or inside
    ``with contextlib.suppress(AssertionError)``;
``own-value-assertion``
    the assert only compares values the test built itself from literals (``payload = {...}``,
    then ``assert payload["name"] == "Mug"``).

:func:`prune` removes the dead parts of a test body, so that the scan can compare the checks
found with and without them. :func:`status_class_is_behaviour` tells a status check worth
making (401, 404, 400...) from one that only says "it did not crash" (200, 201).

>>> import ast
>>> body = ast.parse("for x in []:\\n    assert x\\n").body
>>> prune(body, empty_names(body))[1]
{'empty-loop-assertion'}
"""

from __future__ import annotations

import ast
import copy
import http
import re
from collections.abc import Iterable
from typing import Any

from testboost.audit.expressions import dotted_name

#: The smells this module adds to the scan, in the order they are tried.
DEAD_SMELLS = ("unreachable-assertion", "empty-loop-assertion", "swallowed-assertion")
OWN_VALUES = "own-value-assertion"

_TERMINAL_CALLS = frozenset(
    {"pytest.skip", "pytest.xfail", "pytest.exit", "skip", "xfail", "self.skipTest", "sys.exit"}
)
_SWALLOWING = frozenset({"AssertionError", "Exception", "BaseException"})
_EMPTY_CALLS = frozenset({"list", "dict", "set", "tuple", "frozenset", "str"})
_MAPPING_VIEWS = frozenset({"items", "keys", "values"})
_SAFE_CALLS = frozenset(
    {"len", "str", "int", "float", "bool", "sorted", "list", "dict", "set", "tuple", "repr"}
)
_DRF_STATUS = re.compile(r"HTTP_(\d{3})")
_EQUALITY = (ast.Eq, ast.In, ast.Is)


# --- pruning dead checks -------------------------------------------------------------------------


def empty_names(body: list[ast.stmt]) -> frozenset[str]:
    """Local names bound only to empty literals and never filled, in a test body."""
    bound: dict[str, bool] = {}
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound[target.id] = bound.get(target.id, True) and _is_empty(node.value, set())
                else:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            bound[name.id] = False
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
            for name in ast.walk(node.target):
                if isinstance(name, ast.Name):
                    bound[name.id] = False
        elif isinstance(node, ast.NamedExpr | ast.withitem | ast.Global | ast.Nonlocal):
            for name in ast.walk(node):
                if isinstance(name, ast.Name):
                    bound[name.id] = False
    return frozenset(name for name, empty in bound.items() if empty) - mutated_names(body)


def mutated_names(body: list[ast.stmt]) -> frozenset[str]:
    """Names a test body may change or hand to other code: method calls on them, positional
    arguments, item and attribute assignments, ``del``, and any use that lets the value escape
    (stored in a container or an attribute, returned, yielded). Reading one, comparing it,
    looping over it or passing it as a keyword argument (``json=payload``) keeps it local."""
    tree = ast.Module(body=body, type_ignores=[])
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if _escapes(node, parents):
                found.add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    return frozenset(found)


def _escapes(name: ast.Name, parents: dict[int, ast.AST]) -> bool:
    parent = parents.get(id(name))
    if isinstance(parent, ast.keyword | ast.Compare | ast.BoolOp | ast.UnaryOp | ast.BinOp):
        return False
    if isinstance(parent, ast.Assert | ast.FormattedValue | ast.JoinedStr | ast.Expr | ast.If):
        return False
    if isinstance(parent, ast.For | ast.AsyncFor | ast.comprehension):
        return parent.target is name
    if isinstance(parent, ast.Assign):
        return not all(isinstance(t, ast.Name) for t in parent.targets)
    if isinstance(parent, ast.Subscript):
        return not isinstance(parent.ctx, ast.Load) or parent.value is not name
    if isinstance(parent, ast.Attribute):
        return not isinstance(parent.ctx, ast.Load) or isinstance(parents.get(id(parent)), ast.Call)
    if isinstance(parent, ast.Call):
        func = parent.func
        return parent.func is not name and not (
            isinstance(func, ast.Name) and func.id in _SAFE_CALLS
        )
    return True


def _is_empty(expr: ast.expr, empties: Iterable[str]) -> bool:
    if isinstance(expr, ast.List | ast.Tuple | ast.Set):
        return not expr.elts
    if isinstance(expr, ast.Dict):
        return not expr.keys
    if isinstance(expr, ast.Constant):
        return expr.value in ("", b"")
    if isinstance(expr, ast.Name):
        return expr.id in empties
    if isinstance(expr, ast.Call) and not expr.keywords:
        func = expr.func
        if isinstance(func, ast.Name) and func.id in _EMPTY_CALLS:
            return not expr.args or (len(expr.args) == 1 and _is_empty(expr.args[0], empties))
        if isinstance(func, ast.Name) and func.id == "range" and expr.args:
            stop = expr.args[0] if len(expr.args) == 1 else None
            return isinstance(stop, ast.Constant) and stop.value == 0
        if isinstance(func, ast.Attribute) and func.attr in _MAPPING_VIEWS and not expr.args:
            return _is_empty(func.value, empties)
    return False


def _terminal(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Return | ast.Raise | ast.Continue | ast.Break):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return (dotted_name(stmt.value.func) or "") in _TERMINAL_CALLS
    return False


def _handler_swallows(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type
    names: list[str] = []
    if kinds is None:
        names = ["BaseException"]
    elif isinstance(kinds, ast.Tuple):
        names = [dotted_name(e) or "" for e in kinds.elts]
    else:
        names = [dotted_name(kinds) or ""]
    if not any(name.rsplit(".", 1)[-1] in _SWALLOWING for name in names):
        return False
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise | ast.Assert):
            return False
        if isinstance(node, ast.Call):
            name = (dotted_name(node.func) or "").rsplit(".", 1)[-1]
            if name in ("fail", "exit") or name.lower().startswith("assert"):
                return False
    return True


def _suppresses(stmt: ast.With | ast.AsyncWith) -> bool:
    for item in stmt.items:
        call = item.context_expr
        if (
            isinstance(call, ast.Call)
            and (dotted_name(call.func) or "").endswith("suppress")
            and any((dotted_name(a) or "").rsplit(".", 1)[-1] in _SWALLOWING for a in call.args)
        ):
            return True
    return False


def prune(
    body: list[ast.stmt], empties: frozenset[str], kinds: Iterable[str] = DEAD_SMELLS
) -> tuple[list[ast.stmt], set[str]]:
    """``body`` without its dead parts (of ``kinds``), and the kinds of dead part it had.

    Nested functions and classes are kept as they are; the tree given is not changed.
    """
    wanted = frozenset(kinds)
    found: set[str] = set()

    def block(stmts: list[ast.stmt]) -> list[ast.stmt]:
        kept: list[ast.stmt] = []
        for index, stmt in enumerate(stmts):
            kept.append(statement(stmt))
            if _terminal(stmt) and index + 1 < len(stmts) and "unreachable-assertion" in wanted:
                found.add("unreachable-assertion")
                break
        return kept

    def dead_or_kept(kind: str, dead: bool, stmts: list[ast.stmt]) -> list[ast.stmt]:
        if dead and kind in wanted and stmts:
            found.add(kind)
            return []
        return block(stmts)

    def statement(stmt: ast.stmt) -> ast.stmt:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return stmt
        new = copy.copy(stmt)
        if isinstance(new, ast.If | ast.While):
            test = new.test
            never = isinstance(test, ast.Constant) and not test.value
            new.body = dead_or_kept("unreachable-assertion", never, new.body)
            new.orelse = block(new.orelse)
        elif isinstance(new, ast.For | ast.AsyncFor):
            empty = _is_empty(new.iter, empties)
            new.body = dead_or_kept("empty-loop-assertion", empty, new.body)
            new.orelse = block(new.orelse)
        elif isinstance(new, ast.With | ast.AsyncWith):
            new.body = dead_or_kept("swallowed-assertion", _suppresses(new), new.body)
        elif isinstance(new, ast.Try) or type(new).__name__ == "TryStar":
            node: Any = new  # ast.Try or ast.TryStar: the same fields
            swallowing = any(_handler_swallows(h) for h in node.handlers)
            node.body = dead_or_kept("swallowed-assertion", swallowing, node.body)
            handlers = []
            for handler in node.handlers:
                replaced = copy.copy(handler)
                replaced.body = block(handler.body)
                handlers.append(replaced)
            node.handlers = handlers
            node.orelse = block(node.orelse)
            node.finalbody = block(node.finalbody)
        return new

    return block(body), found


# --- assertions on the test's own values ---------------------------------------------------------


def own_values(
    condition: ast.expr, local: dict[str, list[ast.expr]], mutated: frozenset[str]
) -> bool:
    """Whether ``condition`` only reads names the test bound to literals it wrote itself."""
    names = [n.id for n in ast.walk(condition) if isinstance(n, ast.Name)]
    if not names:
        return False
    if any(_unsafe_call(node) for node in ast.walk(condition)):
        return False
    seen: set[str] = set()
    return all(name in _SAFE_CALLS or _built_here(name, local, mutated, seen) for name in names)


def _built_here(
    name: str, local: dict[str, list[ast.expr]], mutated: frozenset[str], seen: set[str]
) -> bool:
    if name in seen:
        return True
    values = local.get(name)
    if not values or (name in mutated and not all(_immutable(v) for v in values)):
        return False
    seen.add(name)
    return all(_literalish(value, local, mutated, seen) for value in values)


def _literalish(
    expr: ast.expr, local: dict[str, list[ast.expr]], mutated: frozenset[str], seen: set[str]
) -> bool:
    for node in ast.walk(expr):
        if _unsafe_call(node) or isinstance(node, _NOT_LITERALISH):
            return False
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id not in _SAFE_CALLS
            and not _built_here(node.id, local, mutated, seen)
        ):
            return False
    return True


def _immutable(expr: ast.expr) -> bool:
    """A literal no call can change: a number, a string (f-strings too), a tuple of those."""
    if isinstance(expr, ast.Constant | ast.JoinedStr):
        return True
    if isinstance(expr, ast.Tuple):
        return all(_immutable(e) for e in expr.elts)
    return isinstance(expr, ast.BinOp) and _immutable(expr.left) and _immutable(expr.right)


_NOT_LITERALISH = (
    ast.Attribute,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
    ast.Lambda,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.NamedExpr,
)


def _unsafe_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and not (
        isinstance(node.func, ast.Name) and node.func.id in _SAFE_CALLS
    )


# --- which statuses are behaviour ----------------------------------------------------------------


def status_value(expr: ast.expr) -> int | None:
    """The HTTP status an expression names: ``404``, ``"404 NOT FOUND"``, ``HTTPStatus.NOT_FOUND``,
    ``status.HTTP_404_NOT_FOUND``; ``None`` when it names none."""
    if isinstance(expr, ast.Constant):
        value = expr.value
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
        if isinstance(value, str) and value[:3].isdigit():
            return int(value[:3])
        return None
    dotted = dotted_name(expr)
    if dotted is None:
        return None
    parts = dotted.split(".")
    if parts[-1] == "value" and len(parts) > 1:
        parts = parts[:-1]
    match = _DRF_STATUS.search(parts[-1])
    if match:
        return int(match.group(1))
    try:
        return int(http.HTTPStatus[parts[-1]])
    except KeyError:
        return None


def status_class_is_behaviour(condition: ast.expr) -> bool:
    """Whether a status check pins a status other than 2xx (``== 404``, ``in (401, 403)``):
    that status is the behaviour under test, not a mere "it did not fail"."""
    for node in ast.walk(condition):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, _EQUALITY) for op in node.ops):
            continue
        operands = [node.left, *node.comparators]
        values: list[int] = []
        for operand in operands:
            elements = (
                operand.elts if isinstance(operand, ast.Tuple | ast.List | ast.Set) else [operand]
            )
            for element in elements:
                value = status_value(element)
                if value is not None:
                    values.append(value)
        if any(not 200 <= value < 300 for value in values):
            return True
    return False


def helper_status_is_behaviour(name: str, args: list[ast.expr]) -> bool:
    """``self.assert404(r)``, ``assert_status(r, 401)``: a status helper pinning a non-2xx."""
    digits = re.search(r"[1-5]\d\d", name)
    if digits is not None:
        return not digits.group(0).startswith("2")
    values = [v for v in (status_value(a) for a in args) if v is not None]
    return any(not 200 <= value < 300 for value in values)
