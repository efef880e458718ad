"""Evidence of checking found in code: real checks, status-only checks, checks that cannot fail
and checks on values the test built itself; and the calls that print rather than check."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from testboost.audit.deadchecks import own_values, status_class_is_behaviour
from testboost.audit.expressions import dotted_name, static_truth
from testboost.audit.statuschecks import is_status_check
from testboost.audit.testcode import ClassRef, FunctionRef, Module


@dataclass(frozen=True)
class Evidence:
    """The checks found in some code: real ones, status-only ones and ones that cannot fail."""

    real: bool = False
    status: tuple[str, ...] = ()
    constant: tuple[str, ...] = ()
    own: tuple[str, ...] = ()

    def __or__(self, other: Evidence) -> Evidence:
        return Evidence(
            self.real or other.real,
            self.status + other.status,
            self.constant + other.constant,
            self.own + other.own,
        )

    def restated(self, text: str) -> Evidence:
        """The same evidence, described by ``text`` (the call that led to it)."""
        if self.real:
            return self
        return Evidence(
            False,
            (text,) if self.status else (),
            (text,) if (self.constant or self.own) and not self.status else (),
        )


NOTHING = Evidence()
REAL = Evidence(real=True)


def short(node: ast.AST, limit: int = 70) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def condition_evidence(test: ast.expr, shown: ast.AST, scope: Scope | None = None) -> Evidence:
    truth = static_truth(test)
    if truth is True:
        return Evidence(constant=(short(shown),))
    if truth is False:
        return REAL  # always fails: an explicit failure such as ``assert False``
    if is_status_check(test):
        # 401, 404, 400... asserted is the behaviour under test; a 2xx only says "no failure"
        return REAL if status_class_is_behaviour(test) else Evidence(status=(short(shown),))
    if scope is not None and own_values(test, scope.local, scope.mutated):
        return Evidence(own=(short(shown),))
    return REAL


_UNITTEST_COMPARE: dict[str, type[ast.cmpop]] = {
    **dict.fromkeys(
        (
            "assertEqual",
            "assertEquals",
            "failUnlessEqual",
            "assertAlmostEqual",
            "assertAlmostEquals",
            "assertCountEqual",
            "assertListEqual",
            "assertDictEqual",
            "assertTupleEqual",
            "assertSetEqual",
            "assertSequenceEqual",
            "assertMultiLineEqual",
        ),
        ast.Eq,
    ),
    **dict.fromkeys(("assertNotEqual", "assertNotEquals", "assertNotAlmostEqual"), ast.NotEq),
    "assertIs": ast.Is,
    "assertIsNot": ast.IsNot,
    "assertIn": ast.In,
    "assertNotIn": ast.NotIn,
    "assertGreater": ast.Gt,
    "assertGreaterEqual": ast.GtE,
    "assertLess": ast.Lt,
    "assertLessEqual": ast.LtE,
}
_UNITTEST_TRUTH = frozenset({"assertTrue", "assert_", "failUnless"})
_UNITTEST_FALSITY = frozenset({"assertFalse", "failIf"})
_UNITTEST_NONE: dict[str, type[ast.cmpop]] = {"assertIsNone": ast.Is, "assertIsNotNone": ast.IsNot}


def unittest_condition(name: str, args: list[ast.expr]) -> ast.expr | None:
    """The condition a ``self.assertX(...)`` call checks, as an expression."""
    if name in _UNITTEST_COMPARE and len(args) >= 2:
        return ast.Compare(args[0], [_UNITTEST_COMPARE[name]()], [args[1]])
    if name in _UNITTEST_NONE and args:
        return ast.Compare(args[0], [_UNITTEST_NONE[name]()], [ast.Constant(None)])
    if name in _UNITTEST_TRUTH and args:
        return args[0]
    if name in _UNITTEST_FALSITY and args:
        return ast.UnaryOp(ast.Not(), args[0])
    return None


FAILING_CALLS = frozenset(
    {"pytest.fail", "pytest.raises", "pytest.warns", "pytest.deprecated_call"}
)
PRINT_CALLS = frozenset(
    {
        "print",
        "pprint",
        "pp",
        "pprint.pprint",
        "pprint.pp",
        "click.echo",
        "click.secho",
        "rich.print",
        "sys.stdout.write",
        "sys.stderr.write",
        "warnings.warn",
    }
)
_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)


def is_print_call(call: ast.Call, module: Module) -> bool:
    name = module.qualified(call.func)
    if name in PRINT_CALLS:
        return True
    func = call.func
    if isinstance(func, ast.Attribute):
        receiver = (dotted_name(func.value) or "").lower()
        if func.attr in _LOG_METHODS and "log" in receiver:
            return True
        return func.attr in {"print", "log", "rule"} and receiver.endswith("console")
    return False


COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
INERT = (ast.Pass, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom)


def walk_nodes(stmts: Iterable[ast.AST], nested: bool) -> Iterator[ast.AST]:
    """Every node under ``stmts``; with ``nested`` False, not inside nested functions or classes."""
    scoped = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
    stack = [node for node in stmts if nested or not isinstance(node, scoped)][::-1]
    while stack:
        node = stack.pop()
        yield node
        children = ast.iter_child_nodes(node)
        stack.extend([c for c in children if nested or not isinstance(c, scoped)][::-1])


def raises_failure(node: ast.Raise) -> bool:
    """Whether a ``raise`` fails the test: any exception but a skip or ``NotImplementedError``."""
    if node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    dotted = dotted_name(exc) or ""
    return not dotted.endswith(("NotImplementedError", "SkipTest", "skip.Exception"))


@dataclass(frozen=True, eq=False)
class Scope:
    """Where code runs: its module, the class ``self`` is, and fixtures it may call by name."""

    module: Module
    cls: ClassRef | None
    fixtures: dict[str, FunctionRef] = field(default_factory=dict)
    local: dict[str, list[ast.expr]] = field(default_factory=dict)
    mutated: frozenset[str] = frozenset()
