"""The verdict on each test: collected the way pytest would, its fixtures and helpers followed,
and hollow (with one smell and a detail for people) or not."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from testboost.audit.deadchecks import (
    DEAD_SMELLS,
    OWN_VALUES,
    empty_names,
    helper_status_is_behaviour,
    mutated_names,
    prune,
)
from testboost.audit.evidence import (
    COMPOUND,
    FAILING_CALLS,
    INERT,
    NOTHING,
    PRINT_CALLS,
    REAL,
    Evidence,
    Scope,
    condition_evidence,
    is_print_call,
    raises_failure,
    short,
    unittest_condition,
    walk_nodes,
)
from testboost.audit.expressions import dotted_name, static_truth
from testboost.audit.skips import (
    call_argument,
    fixture_name,
    mark_skip,
    placeholder_text,
    pytestmarks,
    split_docstring,
    statement_skip,
    string_list,
)
from testboost.audit.testcode import (
    ClassRef,
    Function,
    FunctionRef,
    Import,
    Module,
    Project,
    Target,
    is_test_module,
)


@dataclass(frozen=True)
class HollowTest:
    """A test that passes without checking what it exercises.

    ``nodeid`` is the pytest node id relative to the scanned root, without parametrize ids;
    ``line`` is the line of the ``def``; ``smell`` is one of :data:`SMELLS`; ``detail`` is a short
    sentence for people::

        HollowTest(nodeid="tests/test_items.py::test_list", file="tests/test_items.py", line=12,
                   smell="status-only",
                   detail="only asserts the status: response.status_code == 200")
    """

    nodeid: str
    file: str
    line: int
    smell: str
    detail: str


_CHECKER_NAME = re.compile(r"^_?(?:check|ensure|verify|expect)(?:_|[A-Z]|$)")
_STATUS_HELPER = re.compile(r"^assert_?(?:[1-5]\d\d|status(?:_?code)?)$", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class _TestItem:
    nodeid: str
    function: FunctionRef
    classes: tuple[ClassRef, ...]
    unittest: bool


class Judge:
    """Collects the tests of a module the way pytest would and decides which are hollow."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._evidence: dict[tuple[int, int], Evidence] = {}
        self._prints: dict[tuple[int, int], bool] = {}
        self._busy: set[tuple[str, int, int]] = set()

    def scan_module(self, module: Module, name: str) -> tuple[list[str], list[HollowTest]]:
        """Node ids of every test in ``module`` and the hollow ones among them."""
        items = self.collect(module, name)
        fixtures = self.module_fixtures(module)
        hollow: list[HollowTest] = []
        for item in items:
            verdict = self.judge(item, fixtures)
            if verdict is not None:
                smell, detail = verdict
                line = item.function.node.lineno
                hollow.append(HollowTest(item.nodeid, name, line, smell, detail))
        return [item.nodeid for item in items], hollow

    # collecting

    def collect(self, module: Module, name: str) -> list[_TestItem]:
        if any(_assigns_false(node, "__test__") for node in module.tree.body):
            return []
        items: list[_TestItem] = []
        for key, binding in module.names.items():
            if isinstance(binding, ast.FunctionDef | ast.AsyncFunctionDef):
                if key.startswith("test") and fixture_name(binding, module) is None:
                    items.append(
                        _TestItem(f"{name}::{key}", FunctionRef(module, binding, None), (), False)
                    )
            elif isinstance(binding, ast.ClassDef):
                items.extend(self._collect_class(ClassRef(module, binding), f"{name}::{key}", ()))
        return items

    def _collect_class(
        self, cls: ClassRef, prefix: str, outer: tuple[ClassRef, ...]
    ) -> list[_TestItem]:
        node = cls.node
        if any(_assigns_false(stmt, "__test__") for stmt in node.body):
            return []
        unittest = self.project.is_testcase(cls)
        if not unittest and (
            not node.name.startswith("Test")
            or any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in node.body)
        ):
            return []
        chain = (*outer, cls)
        items = [
            _TestItem(f"{prefix}::{method}", ref, chain, unittest)
            for method, ref in self.project.methods(cls).items()
            if method.startswith("test") and fixture_name(ref.node, ref.module) is None
        ]
        if not unittest:
            for stmt in node.body:
                if isinstance(stmt, ast.ClassDef):
                    inner = ClassRef(cls.module, stmt)
                    items.extend(self._collect_class(inner, f"{prefix}::{stmt.name}", chain))
        return items

    # fixtures

    def module_fixtures(self, module: Module) -> dict[str, list[FunctionRef]]:
        """Fixtures visible in ``module`` by name, outermost definition first."""
        visible: dict[str, list[FunctionRef]] = {}
        layers = self.project.conftests(module.path) if module.path is not None else []
        if module not in layers:
            layers.append(module)
        for layer in layers:
            for name, ref in self._fixtures_defined(layer).items():
                visible.setdefault(name, []).append(ref)
        return visible

    def _fixtures_defined(self, module: Module) -> dict[str, FunctionRef]:
        found: dict[str, FunctionRef] = {}
        for star in module.star_imports:
            source = self.project.import_module(star.module, star.level, module)
            if source is not None:
                for node in source.names.values():
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                        name = fixture_name(node, source)
                        if name is not None:
                            found[name] = FunctionRef(source, node, None)
        for key, binding in module.names.items():
            ref: Target | None
            if isinstance(binding, Import):
                ref = self.project.resolve(module, key)
            elif isinstance(binding, ast.FunctionDef | ast.AsyncFunctionDef):
                ref = FunctionRef(module, binding, None)
            else:
                continue
            if isinstance(ref, FunctionRef):
                name = fixture_name(ref.node, ref.module)
                if name is not None:
                    found[name] = ref
        return found

    def _requested(self, item: _TestItem, module: Module) -> list[str]:
        node = item.function.node
        marks = self._marks(item, module)
        names: list[str] = []
        excluded: set[str] = set()
        for mark in marks:
            if not isinstance(mark, ast.Call):
                continue
            qualified = module.qualified(mark.func)
            if qualified == "pytest.mark.usefixtures":
                names.extend(s for a in mark.args for s in string_list(a))
            elif qualified == "pytest.mark.parametrize":
                excluded.update(string_list(call_argument(mark, 0, "argnames")))
        if not item.unittest:
            params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            skip_first = bool(item.classes) and not any(
                dotted_name(d) == "staticmethod" for d in node.decorator_list
            )
            names.extend(a.arg for a in params[1 if skip_first else 0 :] if a.arg not in excluded)
        return names

    def _marks(self, item: _TestItem, module: Module) -> list[ast.expr]:
        """Decorators and ``pytestmark`` entries of the test, its classes and its module."""
        marks: list[ast.expr] = list(item.function.node.decorator_list)
        for cls in reversed(item.classes):
            marks.extend(cls.node.decorator_list)
            marks.extend(pytestmarks(cls.node.body))
        marks.extend(pytestmarks(module.tree.body))
        return marks

    def _fixture_checks(
        self,
        ref: FunctionRef,
        visible: dict[str, list[FunctionRef]],
        seen: frozenset[int],
    ) -> bool:
        """Whether the fixture, or a fixture it requests, really asserts something."""
        if self.evidence(ref).real:
            return True
        seen = seen | {id(ref.node)}
        params = [*ref.node.args.posonlyargs, *ref.node.args.args, *ref.node.args.kwonlyargs]
        for param in params:
            candidates = [c for c in visible.get(param.arg, []) if id(c.node) not in seen]
            if candidates and self._fixture_checks(candidates[-1], visible, seen):
                return True
        return False

    def _checker_evidence(self, fixture: FunctionRef) -> Evidence:
        """The checks made by functions a fixture defines (and returns) for the test to call."""
        evidence = NOTHING
        for node in walk_nodes(fixture.node.body, nested=True):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                evidence |= self.evidence(FunctionRef(fixture.module, node, fixture.owner))
        return evidence

    # evidence

    def evidence(self, ref: FunctionRef) -> Evidence:
        """The checks a helper function (or fixture) makes, following the helpers it calls."""
        key = (id(ref.node), id(ref.owner.node) if ref.owner else 0)
        if key in self._evidence:
            return self._evidence[key]
        if ("evidence", *key) in self._busy:
            return NOTHING
        self._busy.add(("evidence", *key))
        scope = Scope(
            ref.module,
            ref.owner,
            local=_assignments(ref.node.body, nested=False),
            mutated=mutated_names(ref.node.body),
        )
        found = self.body_evidence(ref.node.body, scope, nested=False)
        self._busy.discard(("evidence", *key))
        self._evidence[key] = found
        return found

    def body_evidence(self, stmts: list[ast.stmt], scope: Scope, *, nested: bool) -> Evidence:
        evidence = NOTHING
        for node in walk_nodes(stmts, nested):
            if isinstance(node, ast.Assert):
                evidence |= condition_evidence(node.test, node.test, scope)
            elif isinstance(node, ast.Raise) and raises_failure(node):
                evidence |= REAL
            elif isinstance(node, ast.Call):
                evidence |= self._call_evidence(node, scope)
            if evidence.real:
                return evidence
        return evidence

    def _call_evidence(self, call: ast.Call, scope: Scope) -> Evidence:
        func = call.func
        if scope.module.qualified(func) in FAILING_CALLS:
            return REAL
        if isinstance(func, ast.Name) and func.id in scope.fixtures:
            return self._checker_evidence(scope.fixtures[func.id]).restated(short(call))
        helper = self._helper(func, scope)
        if helper is not None:
            return self.evidence(helper).restated(short(call))
        built = self._test_class(func, scope)
        if built is not None:
            methods = self.project.methods(built).values()
            evidence = NOTHING
            for method in methods:
                evidence |= self.evidence(method)
            return evidence.restated(short(call))
        aliased = self._aliased(func, scope)
        if aliased:
            evidence = NOTHING
            for target in aliased:
                evidence |= self.evidence(target)
            return evidence.restated(short(call))
        if isinstance(func, ast.Attribute):
            name = func.attr
            on_self = dotted_name(func.value) in {"self", "cls"}
            if name == "fail" and on_self:
                return REAL
            condition = unittest_condition(name, call.args)
            if condition is not None:
                return condition_evidence(condition, call, scope)
        elif isinstance(func, ast.Name):
            name, on_self = func.id, False
        else:
            return NOTHING
        if _STATUS_HELPER.match(name):
            if helper_status_is_behaviour(name, call.args):
                return REAL
            return Evidence(status=(short(call),))
        if name.lower().startswith("assert"):
            return REAL
        if name.startswith("expect"):  # pexpect's child.expect(...), Playwright's expect(...)
            return REAL
        # A checker we cannot read (installed package, base class elsewhere): trust its name.
        unseen_helper = isinstance(func, ast.Name) or on_self
        return REAL if unseen_helper and _CHECKER_NAME.match(name) else NOTHING

    def _helper(self, func: ast.expr, scope: Scope) -> FunctionRef | None:
        """The test helper a call goes to, if it is test code the scan can read.

        Calls into the code under test are not followed: its own asserts and raises check
        nothing about the test.
        """
        target: Target | None
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in {"self", "cls"}
        ):
            target = self.project.method(scope.cls, func.attr) if scope.cls else None
        else:
            target = self.project.expression(func, scope.module)
        if not isinstance(target, FunctionRef):
            return None
        if is_test_module(target.module) or (
            target.owner is not None and self.project.is_testcase(target.owner)
        ):
            return target
        return None

    def _test_class(self, func: ast.expr, scope: Scope) -> ClassRef | None:
        """The class a call instantiates, if it is defined in test code (e.g. a checking visitor)."""
        target = self.project.expression(func, scope.module)
        if isinstance(target, ClassRef) and is_test_module(target.module):
            return target
        return None

    def _aliased(self, func: ast.expr, scope: Scope) -> list[FunctionRef]:
        """Helpers behind a local name or ``self`` attribute the code assigned a callable to.

        Covers ``check = self.check_layout`` and ``cls.test = staticmethod(partial(_test, ...))``,
        including a function defined inside the method that makes the assignment.
        """
        values: list[tuple[ast.expr, FunctionRef | None]] = []
        if isinstance(func, ast.Name):
            values = [(value, None) for value in scope.local.get(func.id, [])]
        elif isinstance(func, ast.Attribute) and dotted_name(func.value) in {"self", "cls"}:
            values = self._attribute_assignments(scope.cls, func.attr) if scope.cls else []
        found: dict[int, FunctionRef] = {}
        for value, method in values:
            inner = {}
            if method is not None:
                inner = {
                    node.name: FunctionRef(method.module, node, method.owner)
                    for node in walk_nodes(method.node.body, nested=True)
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                }
            for node in ast.walk(value):
                ref = None
                if isinstance(node, ast.Name) and node.id in inner:
                    ref = inner[node.id]
                elif isinstance(node, ast.Name | ast.Attribute):
                    ref = self._helper(node, scope)
                if ref is not None:
                    found.setdefault(id(ref.node), ref)
        return list(found.values())

    def _attribute_assignments(
        self, cls: ClassRef, attr: str
    ) -> list[tuple[ast.expr, FunctionRef | None]]:
        """Values assigned to ``attr`` in the class body or to ``self.attr``/``cls.attr``, each
        with the method that assigns it."""
        values: list[tuple[ast.expr, FunctionRef | None]] = []
        for owner in (cls, *self.project.bases(cls)):
            for stmt in owner.node.body:
                if isinstance(stmt, ast.Assign):
                    if any(isinstance(t, ast.Name) and t.id == attr for t in stmt.targets):
                        values.append((stmt.value, None))
                elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    method = FunctionRef(owner.module, stmt, owner)
                    values.extend(
                        (node.value, method)
                        for node in walk_nodes(stmt.body, nested=False)
                        if isinstance(node, ast.Assign)
                        and any(
                            isinstance(t, ast.Attribute)
                            and t.attr == attr
                            and dotted_name(t.value) in {"self", "cls"}
                            for t in node.targets
                        )
                    )
        return values

    # printing

    def _prints_only(self, stmts: list[ast.stmt], scope: Scope) -> tuple[bool, bool]:
        """Whether the statements only compute values and print them, and whether any prints."""
        only, printed = True, False
        for stmt in stmts:
            if isinstance(stmt, ast.Expr):
                value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
                if isinstance(value, ast.Call) and self._is_printing(value, scope):
                    printed = True
                elif not isinstance(value, ast.Constant):
                    only = False
            elif isinstance(stmt, COMPOUND):
                blocks = [stmt.body, *(h.body for h in getattr(stmt, "handlers", []))]
                blocks += [getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])]
                for block in blocks:
                    block_only, block_printed = self._prints_only(block, scope)
                    only, printed = only and block_only, printed or block_printed
            elif not isinstance(stmt, INERT):
                only = False
        return only, printed

    def _is_printing(self, call: ast.Call, scope: Scope) -> bool:
        if is_print_call(call, scope.module):
            return True
        helper = self._helper(call.func, scope)
        if helper is None:
            return False
        key = (id(helper.node), id(helper.owner.node) if helper.owner else 0)
        if key not in self._prints:
            if ("prints", *key) in self._busy:
                return False
            self._busy.add(("prints", *key))
            _, stmts = split_docstring(helper.node)
            only, some = self._prints_only(stmts, Scope(helper.module, helper.owner))
            self._busy.discard(("prints", *key))
            self._prints[key] = only and some
        return self._prints[key]

    # the verdict

    def judge(
        self, item: _TestItem, module_fixtures: dict[str, list[FunctionRef]]
    ) -> tuple[str, str] | None:
        """The smell and detail of a hollow test, or None for a test that checks something."""
        ref = item.function
        module = item.classes[-1].module if item.classes else ref.module
        node = ref.node
        skips = [mark_skip(mark, module) for mark in self._marks(item, module)]
        skips += [statement_skip(stmt, ref.module) for stmt in split_docstring(node)[1]]
        skips += [statement_skip(stmt, module) for stmt in module.tree.body]
        skip = next((s for s in skips if s is not None and s.todo), None) or next(
            (s for s in skips if s is not None), None
        )
        placeholder = placeholder_text(node, ref.module)
        if skip is not None and skip.todo:
            return "skipped-todo", skip.describe()
        if skip is not None and placeholder is not None:
            return "skipped-todo", f"{skip.describe()} and its {placeholder}"
        if _has_doctest(node):
            return None
        if placeholder is not None:
            return "placeholder", placeholder

        visible = dict(module_fixtures)
        for enclosing in item.classes:
            for method in self.project.methods(enclosing).values():
                name = fixture_name(method.node, method.module)
                if name is not None:
                    visible[name] = [*visible.get(name, []), method]
        requested = {
            name: visible[name][-1] for name in self._requested(item, module) if name in visible
        }
        if any(self._fixture_checks(f, visible, frozenset()) for f in requested.values()):
            return None
        owner = item.classes[-1] if item.classes else None
        scope = Scope(
            ref.module,
            owner,
            requested,
            _assignments(node.body, nested=True),
            mutated_names(node.body),
        )
        evidence = self.body_evidence(node.body, scope, nested=True)
        if any(_returns_value(stmt) for stmt in node.body):
            return None
        dead = self._dead_checks(node.body, scope, evidence)
        if dead is not None or evidence.real:
            return dead
        if evidence.status and not _reads_more(node.body):
            return "status-only", f"only asserts the status: {_listing(evidence.status)}"
        if evidence.status:
            return None  # it reads the body or the database too: the status is not all it does
        if evidence.constant:
            return (
                "constant-assertion",
                f"only asserts {_listing(evidence.constant)}, which always passes",
            )
        if evidence.own:
            return (
                OWN_VALUES,
                f"only asserts on values it built itself: {_listing(evidence.own)}",
            )
        only, printed = self._prints_only(split_docstring(node)[1], scope)
        if only and printed:
            return "print-only", "only prints or logs; asserts nothing"
        if printed:
            return "no-assertion", "runs code and prints results but asserts nothing"
        return "no-assertion", "runs code but asserts nothing"

    def _dead_checks(
        self, body: list[ast.stmt], scope: Scope, evidence: Evidence
    ) -> tuple[str, str] | None:
        """The smell of a test whose real checks, or all its checks, are dead code (unreachable,
        in a loop over nothing, swallowed); None when they are live."""
        empties = empty_names(body)
        pruned, kinds = prune(body, empties)
        if not kinds or not self._lost(evidence, self.body_evidence(pruned, scope, nested=True)):
            return None
        for smell in DEAD_SMELLS:
            if smell in kinds:
                alone, _ = prune(body, empties, (smell,))
                if self._lost(evidence, self.body_evidence(alone, scope, nested=True)):
                    return smell, _DEAD_DETAILS[smell]
        smell = next(k for k in DEAD_SMELLS if k in kinds)
        return smell, _DEAD_DETAILS[smell]

    @staticmethod
    def _lost(before: Evidence, after: Evidence) -> bool:
        """Whether pruning dead code lost the real checks, or every check there was."""
        if before.real:
            return not after.real
        return bool(before.status or before.constant or before.own) and not (
            after.status or after.constant or after.own
        )


_DEAD_DETAILS = {
    "unreachable-assertion": "its checks are never run: they follow a return, raise, "
    "continue, break or skip, or sit under `if False`",
    "empty-loop-assertion": "its checks are in a loop over an empty collection: they never run",
    "swallowed-assertion": "its checks are inside try/except (or suppress) that swallows "
    "AssertionError: they can never fail the test",
}

_BODY_READS = frozenset(
    {
        "json",
        "get_json",
        "data",
        "text",
        "get_data",
        "headers",
        "location",
        "content",
        "cookies",
        "mimetype",
        "content_type",
        "is_json",
        "history",
    }
)


def _reads_more(body: list[ast.stmt]) -> bool:
    """Whether a test reads a response's body or headers, or the database (outside prints)."""
    printed: set[int] = set()
    tree = ast.Module(body=body, type_ignores=[])
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (dotted_name(node.func) or "") in PRINT_CALLS:
            printed.update(id(n) for arg in node.args for n in ast.walk(arg))
        elif isinstance(node, ast.Assert) and node.msg is not None:
            printed.update(id(n) for n in ast.walk(node.msg))  # a message checks nothing
    for node in ast.walk(tree):
        if id(node) in printed or not isinstance(node, ast.Attribute):
            continue
        if node.attr in _BODY_READS:
            return True
        dotted = dotted_name(node) or ""
        if node.attr == "query" or dotted.startswith(("db.session", "session.")):
            return True
    return False


def _has_doctest(node: Function) -> bool:
    """Whether the docstring holds doctest examples, which are the test's checks."""
    return ">>> " in (ast.get_docstring(node, clean=False) or "")


def _returns_value(stmt: ast.stmt) -> bool:
    """A test returning a value hands it to a plugin that checks it (e.g. pytest-mpl)."""
    return (
        isinstance(stmt, ast.Return)
        and stmt.value is not None
        and not (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
    )


def _assignments(stmts: list[ast.stmt], *, nested: bool) -> dict[str, list[ast.expr]]:
    """Values assigned to plain local names in a function body."""
    found: dict[str, list[ast.expr]] = {}
    for node in walk_nodes(stmts, nested):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
    return found


def _listing(texts: tuple[str, ...], shown: int = 2) -> str:
    unique = list(dict.fromkeys(texts))
    more = f" (+{len(unique) - shown} more)" if len(unique) > shown else ""
    return "; ".join(unique[:shown]) + more


def _assigns_false(node: ast.stmt, name: str) -> bool:
    return (
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        and static_truth(node.value) is False
    )
