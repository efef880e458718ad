"""Reading test code's expressions without running them: dotted names, literal values, and
conditions that are always true or always false."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any


def dotted_name(expr: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


NOT_LITERAL = object()
_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def literal_value(expr: ast.expr) -> Any:
    """The value of a literal expression (numbers may be combined arithmetically), or NOT_LITERAL."""
    if isinstance(expr, ast.BinOp) and type(expr.op) in _ARITHMETIC:
        left, right = literal_value(expr.left), literal_value(expr.right)
        numbers = (int, float)
        if isinstance(left, numbers) and isinstance(right, numbers):
            try:
                return _ARITHMETIC[type(expr.op)](left, right)
            except (ArithmeticError, ValueError):
                return NOT_LITERAL
        return NOT_LITERAL
    try:
        return ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL


def has_call(expr: ast.AST) -> bool:
    return any(isinstance(node, ast.Call | ast.Await | ast.NamedExpr) for node in ast.walk(expr))


def static_truth(expr: ast.expr) -> bool | None:
    """True or False when ``expr`` is always truthy or always falsy, whatever the test did."""
    if isinstance(expr, ast.Constant):
        return bool(expr.value)
    if isinstance(expr, ast.JoinedStr):
        return True if any(isinstance(v, ast.Constant) and v.value for v in expr.values) else None
    if isinstance(expr, ast.Tuple | ast.List | ast.Set):
        if any(not isinstance(e, ast.Starred) for e in expr.elts):
            return True
        return False if not expr.elts else None
    if isinstance(expr, ast.Dict):
        return True if any(k is not None for k in expr.keys) else (False if not expr.keys else None)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        inner = static_truth(expr.operand)
        return None if inner is None else not inner
    if isinstance(expr, ast.BoolOp):
        values = [static_truth(v) for v in expr.values]
        decisive = isinstance(expr.op, ast.Or)
        if decisive in values:
            return decisive
        return (not decisive) if all(v is not None for v in values) else None
    if isinstance(expr, ast.Compare):
        return _compare_truth(expr)
    return None


def _compare_truth(expr: ast.Compare) -> bool | None:
    operands = [expr.left, *expr.comparators]
    values = [literal_value(o) for o in operands]
    if all(v is not NOT_LITERAL for v in values):
        try:
            return all(
                bool(_COMPARISONS[type(op)](a, b))
                for op, a, b in zip(expr.ops, values, values[1:], strict=False)
            )
        except Exception:  # comparing arbitrary literals may raise anything (e.g. TypeError)
            return None
    if len(expr.ops) != 1:
        return None
    op, left, right = expr.ops[0], expr.left, expr.comparators[0]
    if not has_call(left) and ast.dump(left) == ast.dump(right):
        if isinstance(op, ast.Eq | ast.Is | ast.LtE | ast.GtE):
            return True
        if isinstance(op, ast.NotEq | ast.IsNot | ast.Lt | ast.Gt):
            return False
    is_len = (
        isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "len"
    )
    if is_len and isinstance(right, ast.Constant) and right.value == 0:
        if isinstance(op, ast.GtE):
            return True
        if isinstance(op, ast.Lt):
            return False
    return None
