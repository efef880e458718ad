"""Whether a condition only checks a response's status (``r.status_code == 200``,
``r.status == "200 OK"``, ``HTTPStatus.OK``) and nothing else."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from testboost.audit.expressions import dotted_name

_STATUS_ATTRS = frozenset({"status_code", "status_int"})
_RESPONSE_NAME = re.compile(r"^(?:r|rv|res|resp|reply)\d*$|resp", re.IGNORECASE)
_REQUEST_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "open"})
_STATUS_ROOTS = frozenset({"HTTPStatus", "http", "status", "codes", "HTTP"})
_STATUS_FUNCS = frozenset(
    {"int", "str", "HTTPStatus", "range", "set", "frozenset", "tuple", "list"}
)
_HTTP_STATUS_TEXT = re.compile(r"^[1-5]\d\d\b")


def _looks_like_response(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Name):
        return bool(_RESPONSE_NAME.search(expr.id))
    if isinstance(expr, ast.Attribute):
        return bool(_RESPONSE_NAME.search(expr.attr))
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        return expr.func.attr in _REQUEST_METHODS
    return False


def _is_http_literal(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        value = expr.value
        if isinstance(value, int) and not isinstance(value, bool):
            return 100 <= value <= 599
        return isinstance(value, str) and bool(_HTTP_STATUS_TEXT.match(value))
    dotted = dotted_name(expr)
    return dotted is not None and dotted.split(".")[0] in _STATUS_ROOTS and "." in dotted


def _is_plain(expr: ast.expr) -> bool:
    """A value a status can be compared with: literals, names, ``HTTPStatus.OK`` and the like."""
    if isinstance(expr, ast.Constant | ast.Name):
        return True
    if isinstance(expr, ast.Attribute):
        dotted = dotted_name(expr)
        if dotted is None:
            return False
        parts = dotted.split(".")
        return parts[0] in _STATUS_ROOTS or parts[-1].isupper() or parts[-1] == "value"
    if isinstance(expr, ast.Tuple | ast.List | ast.Set):
        return all(_is_plain(e) for e in expr.elts)
    if isinstance(expr, ast.UnaryOp):
        return _is_plain(expr.operand)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        return expr.func.id in _STATUS_FUNCS and all(_is_plain(a) for a in expr.args)
    return False


def _is_status_expr(expr: ast.expr, http: bool) -> bool:
    """``r.status_code``, ``r.status`` (on something response-like) and expressions over them."""
    if isinstance(expr, ast.Attribute):
        if expr.attr in _STATUS_ATTRS:
            return True
        return expr.attr == "status" and (http or _looks_like_response(expr.value))
    if isinstance(expr, ast.Call):
        func = expr.func
        args_plain = all(_is_plain(a) for a in expr.args)
        if isinstance(func, ast.Attribute):
            return args_plain and _is_status_expr(func.value, http)
        if isinstance(func, ast.Name) and func.id in _STATUS_FUNCS and len(expr.args) == 1:
            return _is_status_expr(expr.args[0], http)
        return False
    if isinstance(expr, ast.BinOp):
        left, right = expr.left, expr.right
        return (_is_status_expr(left, http) and _is_plain(right)) or (
            _is_plain(left) and _is_status_expr(right, http)
        )
    if isinstance(expr, ast.Subscript):
        return _is_status_expr(expr.value, http) and _is_plain(expr.slice)
    return False


def _conjuncts(expr: ast.expr) -> Iterator[ast.expr]:
    if isinstance(expr, ast.BoolOp):
        for value in expr.values:
            yield from _conjuncts(value)
    elif isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        yield from _conjuncts(expr.operand)
    else:
        yield expr


def is_status_check(expr: ast.expr) -> bool:
    """Whether every part of a condition is about a response's status and nothing else."""
    for part in _conjuncts(expr):
        if isinstance(part, ast.Compare):
            operands = [part.left, *part.comparators]
            http = any(_is_http_literal(o) for o in operands)
            statuses = [_is_status_expr(o, http) for o in operands]
            if not any(statuses) or not all(
                s or _is_plain(o) for s, o in zip(statuses, operands, strict=True)
            ):
                return False
        elif not _is_status_expr(part, False):
            return False
    return True
