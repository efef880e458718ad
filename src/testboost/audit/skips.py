"""Skips, fixtures and placeholders: what always skips a test and why, which functions are
fixtures, and bodies that are only ``pass``, ``...`` or a docstring."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from testboost.audit.expressions import dotted_name
from testboost.audit.testcode import Function, Module

_TODO = re.compile(
    r"\b(?:todo|fixme|xxx|tbd|wip|hack)\b"
    r"|\bnot\s+(?:yet\s+)?(?:implemented|written|done|ready|finished|working)\b"
    r"|\b(?:unimplemented|unfinished|incomplete|placeholder|stub|pending)\b"
    r"|\b(?:implement|write|fix|finish|revisit|enable|do)\s+(?:me|this|it|later|soon)\b"
    r"|\b(?:do|fix|finish|write|add|enable|revisit|implement)\b[^.]{0,30}\blater\b"
    r"|\bfor\s+now\b|\btemporar|\bcome\s+back\b",
    re.IGNORECASE,
)
_SKIP_MARKS = frozenset({"pytest.mark.skip", "unittest.skip", "unittest.case.skip"})
_SKIPIF_MARKS = frozenset({"pytest.mark.skipif", "unittest.skipIf", "unittest.case.skipIf"})
_SKIPUNLESS_MARKS = frozenset({"unittest.skipUnless", "unittest.case.skipUnless"})
_FIXTURE_DECORATORS = frozenset(
    {"pytest.fixture", "pytest.yield_fixture", "pytest_asyncio.fixture"}
)
_TODO_COMMENT = re.compile(r"#.*\b(?:todo|fixme|xxx|tbd)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Skip:
    """An unconditional skip and its reason (None when none was given)."""

    reason: str | None
    dynamic: bool = False

    @property
    def todo(self) -> bool:
        if self.dynamic:
            return False
        return self.reason is None or not self.reason.strip() or bool(_TODO.search(self.reason))

    def describe(self) -> str:
        if self.dynamic:
            return "skipped"
        if self.reason is None or not self.reason.strip():
            return "skipped with no reason"
        return f"skipped with reason {self.reason.strip()!r}"


def call_argument(call: ast.Call, position: int | None, *keywords: str) -> ast.expr | None:
    if position is not None and len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg in keywords), None)


def _reason(expr: ast.expr | None) -> Skip:
    if expr is None:
        return Skip(None)
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return Skip(expr.value)
    if isinstance(expr, ast.JoinedStr):
        parts = [v.value for v in expr.values if isinstance(v, ast.Constant)]
        return Skip("".join(str(p) for p in parts))
    return Skip(None, dynamic=True)


def mark_skip(expr: ast.expr, module: Module) -> Skip | None:
    """The skip a decorator or ``pytestmark`` entry imposes, if it always skips."""
    call = expr if isinstance(expr, ast.Call) else None
    name = module.qualified(call.func if call else expr)
    if name in _SKIP_MARKS:
        return _reason(call_argument(call, 0, "reason")) if call else Skip(None)
    if call is None or not (name in _SKIPIF_MARKS or name in _SKIPUNLESS_MARKS):
        return None
    condition = call_argument(call, 0, "condition")
    # A string condition is evaluated by pytest at run time, so only literal flags are static.
    if not isinstance(condition, ast.Constant) or isinstance(condition.value, str):
        return None
    if bool(condition.value) is not (name in _SKIPIF_MARKS):
        return None
    return _reason(call_argument(call, 1, "reason"))


def statement_skip(stmt: ast.stmt, module: Module) -> Skip | None:
    """The skip a statement always makes: ``pytest.skip(...)``, ``self.skipTest(...)``, ..."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        name = module.qualified(call.func)
        if name == "pytest.skip":
            return _reason(call_argument(call, 0, "reason", "msg"))
        if isinstance(call.func, ast.Attribute) and call.func.attr == "skipTest":
            return _reason(call_argument(call, 0, "reason"))
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        raised = stmt.exc
        dotted = dotted_name(raised.func if isinstance(raised, ast.Call) else raised) or ""
        if dotted.endswith(("SkipTest", "skip.Exception")):
            if isinstance(raised, ast.Call):
                return _reason(call_argument(raised, 0, "reason", "msg"))
            return Skip(None)
    return None


def pytestmarks(body: list[ast.stmt]) -> list[ast.expr]:
    marks: list[ast.expr] = []
    for node in body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = node.value
            marks.extend(value.elts if isinstance(value, ast.List | ast.Tuple) else [value])
    return marks


def fixture_name(node: Function, module: Module) -> str | None:
    """The name a function is registered under as a fixture, or None if it is not a fixture."""
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        if module.qualified(call.func if call else decorator) in _FIXTURE_DECORATORS:
            name = call_argument(call, None, "name") if call else None
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return name.value
            return node.name
    return None


def string_list(expr: ast.expr | None) -> list[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [n.strip() for n in expr.value.split(",") if n.strip()]
    if isinstance(expr, ast.List | ast.Tuple):
        return [s for e in expr.elts for s in string_list(e)]
    return []


def split_docstring(node: Function) -> tuple[bool, list[ast.stmt]]:
    """Whether the function has a docstring, and its statements after it."""
    body = node.body
    first = body[0]
    has_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    return has_doc, body[1:] if has_doc else body


def placeholder_text(node: Function, module: Module) -> str | None:
    """How the body is a placeholder (``pass``, ``...``, docstring only), or None."""
    has_doc, rest = split_docstring(node)
    rest = [s for s in rest if statement_skip(s, module) is None]
    kinds: list[str] = []
    for stmt in rest:
        if isinstance(stmt, ast.Pass):
            kinds.append("`pass`")
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            kinds.append("`...`" if stmt.value.value is Ellipsis else "a string")
        elif len(rest) == 1 and isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if dotted_name(exc) != "NotImplementedError":
                return None
            return "body only raises NotImplementedError"
        elif len(rest) == 1 and isinstance(stmt, ast.Return):
            if stmt.value is not None and not (
                isinstance(stmt.value, ast.Constant) and stmt.value.value is None
            ):
                return None
            kinds.append("`return`")
        else:
            return None
    described = ["a docstring"] if has_doc else []
    described += list(dict.fromkeys(kinds))
    text = "body is only " + " and ".join(described) if described else "body is empty"
    end = node.end_lineno or node.lineno
    if any(_TODO_COMMENT.search(line) for line in module.lines[node.lineno - 1 : end]):
        text += " (with a TODO comment)"
    return text
