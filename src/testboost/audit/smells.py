"""Find hollow tests: tests that pass without checking what they exercise.

The scan is static. It parses test modules (``test_*.py``, ``*_test.py``), the ``conftest.py`` files
above them and the local modules they import, and never imports or runs any of them. Each test that
pytest would collect is judged once (a parametrized function is one test) and, if hollow, reported
with one smell from :data:`SMELLS`:

``placeholder``
    the body is only ``pass``, ``...``, a docstring or ``raise NotImplementedError``;
``skipped-todo``
    the test is always skipped with no reason or a TODO-like one, or skipped with a placeholder body;
``status-only``
    its only checks compare a response's status (``r.status_code == 200``, ``r.status == "200 OK"``,
    ``self.assertEqual(r.status_code, 200)``, ``self.assert200(r)``) and nothing about the body;
``constant-assertion``
    its only checks cannot fail (``assert True``, ``assert "x"``, ``assert x == x``,
    ``self.assertTrue(True)``);
``print-only``
    it asserts nothing, and every statement only computes a value or prints/logs one;
``no-assertion``
    it asserts nothing (the detail says when it prints results among other calls).

A check is anything that can fail the test: ``assert``, a ``raise`` (other than a skip or
``NotImplementedError``), ``pytest.fail``/``raises``/``warns``, ``unittest`` ``self.assert*`` and
``self.fail``, mock ``assert_*`` methods, a docstring doctest, a returned value (for plugins such as
pytest-mpl), and calls to helpers whose own code checks something: functions and classes in test
code (the test module, ``conftest.py``, modules under a ``tests``-like folder, methods of the test
class and its bases, callables assigned to ``self.x`` or a local name), followed to any depth.
Calls into the code under test are not followed; a call the scan cannot read counts when it is named
like a checker (``assert*``, ``Assert*``, ``expect*``, ``check_*``, ``verify*``, ``ensure_*``).
A fixture the test requests (as a parameter or through ``usefixtures``) counts when it, or a fixture
it requests, checks something that is more than a status; so does a checker function a fixture
returns, when the test calls it.

Example::

    >>> from testboost.audit.smells import scan_source
    >>> source = "def test_index(client):\\n    assert client.get('/').status_code == 200\\n"
    >>> [(t.nodeid, t.smell) for t in scan_source(source, "tests/test_app.py")]
    [('tests/test_app.py::test_index', 'status-only')]
"""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
import operator
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from testboost.audit.deadchecks import (
    DEAD_SMELLS,
    OWN_VALUES,
    empty_names,
    helper_status_is_behaviour,
    mutated_names,
    own_values,
    prune,
    status_class_is_behaviour,
)

SMELLS: tuple[str, ...] = (
    "no-assertion",
    "constant-assertion",
    "placeholder",
    "print-only",
    "skipped-todo",
    "status-only",
    *DEAD_SMELLS,
    OWN_VALUES,
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


@dataclass(frozen=True)
class UnreadableFile:
    """A test module or ``conftest.py`` that could not be read or parsed, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class ScanResult:
    """What :func:`scan_paths` found.

    ``hollow`` lists the hollow tests, ``tests`` the node id of every test seen (hollow or not) and
    ``unreadable`` the files that were skipped because they could not be read or parsed.
    """

    hollow: tuple[HollowTest, ...]
    tests: tuple[str, ...]
    unreadable: tuple[UnreadableFile, ...]


def scan_source(source: str, path: str) -> list[HollowTest]:
    """Return the hollow tests of one test module given as text.

    ``path`` names the module in node ids and ``HollowTest.file``. Only helpers and fixtures defined
    in the source itself are followed; use :func:`scan_paths` to follow ``conftest.py`` and local
    imports. Raises ``SyntaxError`` when the source does not parse::

        scan_source("def test_todo():\\n    pass\\n", "tests/test_x.py")[0].smell  # "placeholder"
    """
    try:
        tree = ast.parse(source, filename=path)
    except ValueError as exc:  # null bytes are a ValueError before Python 3.12
        raise SyntaxError(str(exc)) from exc
    module = _Module.build(tree, None, source)
    _, hollow = _Judge(_Project(None)).scan_module(module, path)
    return sorted(hollow, key=_order)


def scan_paths(paths: Iterable[Path], root: Path) -> ScanResult:
    """Scan test files and directories for hollow tests.

    Directories are searched for ``test_*.py`` and ``*_test.py`` the way pytest does (skipping
    hidden directories, virtualenvs and paths a ``conftest.py`` lists in ``collect_ignore`` or
    ``collect_ignore_glob``); files given explicitly are scanned whatever their name. Node ids and
    file names are relative to ``root``, and ``conftest.py`` files from ``root`` down to each test
    module supply fixtures. Files that cannot be read or parsed are listed in
    ``ScanResult.unreadable`` instead of stopping the scan::

        result = scan_paths([Path("tests")], root=Path("."))
        for test in result.hollow:
            print(test.nodeid, test.smell, test.detail)
    """
    root = root.resolve()
    project = _Project(root)
    judge = _Judge(project)
    files, missing = _discover([Path(p) for p in paths], project)
    tests: list[str] = []
    hollow: list[HollowTest] = []
    unreadable = [UnreadableFile(_relative(p, root), "no such file or directory") for p in missing]
    for file in files:
        module = project.module(file, report=True)
        if module is None:
            continue
        try:
            seen, found = judge.scan_module(module, _relative(file, root))
        except RecursionError:
            project.unreadable[file] = "too deeply nested to analyse"
            continue
        tests.extend(seen)
        hollow.extend(found)
    unreadable.extend(
        UnreadableFile(_relative(p, root), reason) for p, reason in project.unreadable.items()
    )
    return ScanResult(
        hollow=tuple(sorted(hollow, key=_order)),
        tests=tuple(sorted(set(tests))),
        unreadable=tuple(sorted(set(unreadable), key=lambda u: u.file)),
    )


def _order(test: HollowTest) -> tuple[str, int, str]:
    return (test.file, test.line, test.nodeid)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# --- discovering test files -------------------------------------------------------------------

_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")


def _is_test_file(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _discover(paths: list[Path], project: _Project) -> tuple[list[Path], list[Path]]:
    files: dict[Path, None] = {}
    missing: list[Path] = []
    for path in paths:
        if path.is_dir():
            for file in _walk_tests(path.resolve(), project):
                files[file] = None
        elif path.is_file():
            if path.suffix == ".py" and path.name != "conftest.py":
                files[path.resolve()] = None
        else:
            missing.append(path)
    return sorted(files), missing


def _walk_tests(top: Path, project: _Project) -> Iterator[Path]:
    ignored: list[str] = []
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        if "conftest.py" in filenames:
            ignored.extend(project.collect_ignores(here / "conftest.py"))
        dirnames[:] = sorted(
            name
            for name in dirnames
            if not any(fnmatch.fnmatch(name, pattern) for pattern in _NORECURSE)
            and name != "__pycache__"
            and not (here / name / "pyvenv.cfg").exists()
            and not _ignored(here / name, ignored)
        )
        for name in sorted(filenames):
            if _is_test_file(name) and not _ignored(here / name, ignored):
                yield here / name


def _ignored(path: Path, patterns: list[str]) -> bool:
    text = str(path)
    return any(fnmatch.fnmatch(text, pattern) for pattern in patterns)


# --- the parsed modules and name resolution ---------------------------------------------------

_Function: TypeAlias = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class _Import:
    """One imported name: ``from <module> import <name>`` or ``import <module>`` (name None)."""

    module: str
    level: int
    name: str | None


_Binding: TypeAlias = "ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | _Import"


@dataclass(frozen=True, eq=False)
class _Module:
    """A parsed source file and what its top level binds."""

    path: Path | None
    tree: ast.Module
    lines: tuple[str, ...]
    names: dict[str, _Binding]
    star_imports: tuple[_Import, ...]

    @classmethod
    def build(cls, tree: ast.Module, path: Path | None, source: str) -> _Module:
        names: dict[str, _Binding] = {}
        stars: list[_Import] = []
        for node in _top_level(tree.body):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names[node.name] = node
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = _Import(alias.name, 0, None)
                    else:
                        top = alias.name.split(".")[0]
                        names[top] = _Import(top, 0, None)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    imported = _Import(node.module or "", node.level, alias.name)
                    if alias.name == "*":
                        stars.append(imported)
                    else:
                        names[alias.asname or alias.name] = imported
        return cls(path, tree, tuple(source.splitlines()), names, tuple(stars))

    def qualified(self, expr: ast.expr) -> str | None:
        """``pytest.mark.skip`` for ``mark.skip`` after ``from pytest import mark``, and so on."""
        dotted = _dotted(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        binding = self.names.get(head)
        if isinstance(binding, _Import) and binding.level == 0:
            origin = binding.module if binding.name is None else f"{binding.module}.{binding.name}"
            return f"{origin}.{rest}" if rest else origin
        return dotted


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, looking into ``if``/``try`` blocks that guard imports or defs."""
    for node in body:
        if isinstance(node, ast.If):
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level(node.body)
            for handler in node.handlers:
                yield from _top_level(handler.body)
            yield from _top_level(node.orelse)
        else:
            yield node


@dataclass(frozen=True, eq=False)
class _ClassRef:
    module: _Module
    node: ast.ClassDef


@dataclass(frozen=True, eq=False)
class _FunctionRef:
    module: _Module
    node: _Function
    owner: _ClassRef | None


_Target: TypeAlias = "_Module | _ClassRef | _FunctionRef"


class _Project:
    """The scanned tree: modules parsed on demand, and names resolved across them.

    With ``root`` None nothing is read from disk (``scan_source``).
    """

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.unreadable: dict[Path, str] = {}
        self._errors: dict[Path, str] = {}
        self._modules: dict[Path, _Module | None] = {}
        self._imports: dict[tuple[str, int, Path], _Module | None] = {}

    def module(self, path: Path, *, report: bool = False) -> _Module | None:
        """The parsed module at ``path``; None (and, if ``report``, a note) when unreadable."""
        path = path.resolve()
        if path not in self._modules:
            self._modules[path] = None
            try:
                source = importlib.util.decode_source(path.read_bytes())
                tree = ast.parse(source, filename=str(path))
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError) as exc:
                self._errors[path] = _error_text(exc)
            else:
                self._modules[path] = _Module.build(tree, path, source)
        if report and path in self._errors:
            self.unreadable[path] = self._errors[path]
        return self._modules[path]

    def collect_ignores(self, conftest: Path) -> list[str]:
        """Absolute glob patterns from a conftest's ``collect_ignore`` and ``collect_ignore_glob``."""
        module = self.module(conftest, report=True)
        if module is None:
            return []
        patterns: list[str] = []
        for node in module.tree.body:
            if not isinstance(node, ast.Assign | ast.AugAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if not names & {"collect_ignore", "collect_ignore_glob"}:
                continue
            value = _literal(node.value)
            if isinstance(value, list | tuple):
                patterns.extend(
                    str(conftest.parent / item) for item in value if isinstance(item, str)
                )
        return patterns

    def conftests(self, test_file: Path) -> list[_Module]:
        """The ``conftest.py`` modules that apply to ``test_file``, outermost first."""
        folders = [test_file.parent, *test_file.parent.parents]
        if self.root is not None and self.root in folders:
            folders = folders[: folders.index(self.root) + 1]
        else:
            folders = folders[:1]
        modules = (self.module(folder / "conftest.py") for folder in reversed(folders))
        return [m for m in modules if m is not None]

    def import_module(self, dotted: str, level: int, importer: _Module) -> _Module | None:
        """The local module an import statement in ``importer`` names, if it is in the tree."""
        if importer.path is None or self.root is None:
            return None
        key = (dotted, level, importer.path.parent)
        if key not in self._imports:
            self._imports[key] = self._find_module(dotted, level, importer.path)
        return self._imports[key]

    def _find_module(self, dotted: str, level: int, importer: Path) -> _Module | None:
        assert self.root is not None
        parts = [p for p in dotted.split(".") if p]
        if level:
            base = importer.parent
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:
            folders = [importer.parent, *importer.parent.parents]
            bases = folders[: folders.index(self.root) + 1] if self.root in folders else folders[:1]
            if parts and parts[0] == self.root.name:
                bases.append(self.root.parent)  # `from tests.helpers import x` with root tests/
        for base in bases:
            candidates = [base.joinpath(*parts, "__init__.py")]
            if parts:
                candidates.insert(0, base.joinpath(*parts[:-1], parts[-1] + ".py"))
            for candidate in candidates:
                if candidate.is_file() and candidate.resolve().is_relative_to(self.root):
                    return self.module(candidate)
        return None

    def resolve(
        self, module: _Module, name: str, seen: set[tuple[int, str]] | None = None
    ) -> _Target | None:
        """What ``name`` means at the top level of ``module``, following local imports."""
        seen = set() if seen is None else seen
        if (id(module), name) in seen:
            return None
        seen.add((id(module), name))
        binding = module.names.get(name)
        if isinstance(binding, ast.FunctionDef | ast.AsyncFunctionDef):
            return _FunctionRef(module, binding, None)
        if isinstance(binding, ast.ClassDef):
            return _ClassRef(module, binding)
        if isinstance(binding, _Import):
            if binding.name is None:
                return self.import_module(binding.module, binding.level, module)
            source = self.import_module(binding.module, binding.level, module)
            if source is not None:
                found = self.resolve(source, binding.name, seen)
                if found is not None:
                    return found
            submodule = f"{binding.module}.{binding.name}" if binding.module else binding.name
            return self.import_module(submodule, binding.level, module)
        for star in module.star_imports:
            source = self.import_module(star.module, star.level, module)
            if source is not None:
                found = self.resolve(source, name, seen)
                if found is not None:
                    return found
        return None

    def member(self, target: _Target | None, name: str) -> _Target | None:
        """``target.name`` for a module, a class or nothing."""
        if isinstance(target, _Module):
            found = self.resolve(target, name)
            if found is None and target.path is not None and target.path.name == "__init__.py":
                return self.import_module(name, 1, target)
            return found
        if isinstance(target, _ClassRef):
            return self.method(target, name)
        return None

    def expression(self, expr: ast.expr, module: _Module) -> _Target | None:
        """What a ``name`` or ``name.attr...`` expression refers to."""
        if isinstance(expr, ast.Name):
            return self.resolve(module, expr.id)
        if isinstance(expr, ast.Attribute):
            return self.member(self.expression(expr.value, module), expr.attr)
        return None

    def bases(self, cls: _ClassRef) -> Iterator[_ClassRef]:
        """The class's local base classes, nearest first (a depth-first walk, not the full MRO)."""
        seen = {id(cls.node)}
        stack = [cls]
        while stack:
            current = stack.pop(0)
            for base in current.node.bases:
                found = self.expression(base, current.module)
                if isinstance(found, _ClassRef) and id(found.node) not in seen:
                    seen.add(id(found.node))
                    stack.append(found)
                    yield found

    def method(self, cls: _ClassRef, name: str) -> _FunctionRef | None:
        """The method ``name`` of ``cls`` or of its local bases."""
        for owner in (cls, *self.bases(cls)):
            for node in owner.node.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                    return _FunctionRef(owner.module, node, owner)
        return None

    def methods(self, cls: _ClassRef) -> dict[str, _FunctionRef]:
        """Every method of ``cls`` and its local bases, the class's own taking precedence."""
        found: dict[str, _FunctionRef] = {}
        for owner in (cls, *self.bases(cls)):
            for node in owner.node.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.setdefault(node.name, _FunctionRef(owner.module, node, owner))
        return found

    def is_testcase(self, cls: _ClassRef) -> bool:
        """Whether ``cls`` derives from a ``unittest.TestCase``-like class."""
        for owner in (cls, *self.bases(cls)):
            for base in owner.node.bases:
                name = owner.module.qualified(base)
                if name is not None and name.endswith("TestCase"):
                    return True
        return False


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"syntax error at line {exc.lineno}: {exc.msg}"
    if isinstance(exc, RecursionError):
        return "too deeply nested to parse"
    return f"{type(exc).__name__}: {exc}"


# --- reading expressions -----------------------------------------------------------------------


def _dotted(expr: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


_NOT_LITERAL = object()
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


def _literal(expr: ast.expr) -> Any:
    """The value of a literal expression (numbers may be combined arithmetically), or _NOT_LITERAL."""
    if isinstance(expr, ast.BinOp) and type(expr.op) in _ARITHMETIC:
        left, right = _literal(expr.left), _literal(expr.right)
        numbers = (int, float)
        if isinstance(left, numbers) and isinstance(right, numbers):
            try:
                return _ARITHMETIC[type(expr.op)](left, right)
            except (ArithmeticError, ValueError):
                return _NOT_LITERAL
        return _NOT_LITERAL
    try:
        return ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _has_call(expr: ast.AST) -> bool:
    return any(isinstance(node, ast.Call | ast.Await | ast.NamedExpr) for node in ast.walk(expr))


def _static_truth(expr: ast.expr) -> bool | None:
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
        inner = _static_truth(expr.operand)
        return None if inner is None else not inner
    if isinstance(expr, ast.BoolOp):
        values = [_static_truth(v) for v in expr.values]
        decisive = isinstance(expr.op, ast.Or)
        if decisive in values:
            return decisive
        return (not decisive) if all(v is not None for v in values) else None
    if isinstance(expr, ast.Compare):
        return _compare_truth(expr)
    return None


def _compare_truth(expr: ast.Compare) -> bool | None:
    operands = [expr.left, *expr.comparators]
    values = [_literal(o) for o in operands]
    if all(v is not _NOT_LITERAL for v in values):
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
    if not _has_call(left) and ast.dump(left) == ast.dump(right):
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


# --- status-code checks ------------------------------------------------------------------------

_STATUS_ATTRS = frozenset({"status_code", "status_int"})
_RESPONSE_NAME = re.compile(r"^(?:r|rv|res|resp|reply)\d*$|resp", re.IGNORECASE)
_REQUEST_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "open"})
_STATUS_ROOTS = frozenset({"HTTPStatus", "http", "status", "codes", "HTTP"})
_STATUS_FUNCS = frozenset(
    {"int", "str", "HTTPStatus", "range", "set", "frozenset", "tuple", "list"}
)
_CHECKER_NAME = re.compile(r"^_?(?:check|ensure|verify|expect)(?:_|[A-Z]|$)")
_STATUS_HELPER = re.compile(r"^assert_?(?:[1-5]\d\d|status(?:_?code)?)$", re.IGNORECASE)
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
    dotted = _dotted(expr)
    return dotted is not None and dotted.split(".")[0] in _STATUS_ROOTS and "." in dotted


def _is_plain(expr: ast.expr) -> bool:
    """A value a status can be compared with: literals, names, ``HTTPStatus.OK`` and the like."""
    if isinstance(expr, ast.Constant | ast.Name):
        return True
    if isinstance(expr, ast.Attribute):
        dotted = _dotted(expr)
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


def _is_status_check(expr: ast.expr) -> bool:
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


# --- evidence of checking ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Evidence:
    """The checks found in some code: real ones, status-only ones and ones that cannot fail."""

    real: bool = False
    status: tuple[str, ...] = ()
    constant: tuple[str, ...] = ()
    own: tuple[str, ...] = ()

    def __or__(self, other: _Evidence) -> _Evidence:
        return _Evidence(
            self.real or other.real,
            self.status + other.status,
            self.constant + other.constant,
            self.own + other.own,
        )

    def restated(self, text: str) -> _Evidence:
        """The same evidence, described by ``text`` (the call that led to it)."""
        if self.real:
            return self
        return _Evidence(
            False,
            (text,) if self.status else (),
            (text,) if (self.constant or self.own) and not self.status else (),
        )


_NOTHING = _Evidence()
_REAL = _Evidence(real=True)


def _short(node: ast.AST, limit: int = 70) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _condition_evidence(test: ast.expr, shown: ast.AST, scope: _Scope | None = None) -> _Evidence:
    truth = _static_truth(test)
    if truth is True:
        return _Evidence(constant=(_short(shown),))
    if truth is False:
        return _REAL  # always fails: an explicit failure such as ``assert False``
    if _is_status_check(test):
        # 401, 404, 400... asserted is the behaviour under test; a 2xx only says "no failure"
        return _REAL if status_class_is_behaviour(test) else _Evidence(status=(_short(shown),))
    if scope is not None and own_values(test, scope.local, scope.mutated):
        return _Evidence(own=(_short(shown),))
    return _REAL


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


def _unittest_condition(name: str, args: list[ast.expr]) -> ast.expr | None:
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


_FAILING_CALLS = frozenset(
    {"pytest.fail", "pytest.raises", "pytest.warns", "pytest.deprecated_call"}
)
_PRINT_CALLS = frozenset(
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


def _is_print_call(call: ast.Call, module: _Module) -> bool:
    name = module.qualified(call.func)
    if name in _PRINT_CALLS:
        return True
    func = call.func
    if isinstance(func, ast.Attribute):
        receiver = (_dotted(func.value) or "").lower()
        if func.attr in _LOG_METHODS and "log" in receiver:
            return True
        return func.attr in {"print", "log", "rule"} and receiver.endswith("console")
    return False


_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
_INERT = (ast.Pass, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom)


def _walk(stmts: Iterable[ast.AST], nested: bool) -> Iterator[ast.AST]:
    """Every node under ``stmts``; with ``nested`` False, not inside nested functions or classes."""
    scoped = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
    stack = [node for node in stmts if nested or not isinstance(node, scoped)][::-1]
    while stack:
        node = stack.pop()
        yield node
        children = ast.iter_child_nodes(node)
        stack.extend([c for c in children if nested or not isinstance(c, scoped)][::-1])


def _raises_failure(node: ast.Raise) -> bool:
    """Whether a ``raise`` fails the test: any exception but a skip or ``NotImplementedError``."""
    if node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    dotted = _dotted(exc) or ""
    return not dotted.endswith(("NotImplementedError", "SkipTest", "skip.Exception"))


# --- skips, fixtures, placeholders ---------------------------------------------------------------

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
class _Skip:
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


def _argument(call: ast.Call, position: int | None, *keywords: str) -> ast.expr | None:
    if position is not None and len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg in keywords), None)


def _reason(expr: ast.expr | None) -> _Skip:
    if expr is None:
        return _Skip(None)
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return _Skip(expr.value)
    if isinstance(expr, ast.JoinedStr):
        parts = [v.value for v in expr.values if isinstance(v, ast.Constant)]
        return _Skip("".join(str(p) for p in parts))
    return _Skip(None, dynamic=True)


def _mark_skip(expr: ast.expr, module: _Module) -> _Skip | None:
    """The skip a decorator or ``pytestmark`` entry imposes, if it always skips."""
    call = expr if isinstance(expr, ast.Call) else None
    name = module.qualified(call.func if call else expr)
    if name in _SKIP_MARKS:
        return _reason(_argument(call, 0, "reason")) if call else _Skip(None)
    if call is None or not (name in _SKIPIF_MARKS or name in _SKIPUNLESS_MARKS):
        return None
    condition = _argument(call, 0, "condition")
    # A string condition is evaluated by pytest at run time, so only literal flags are static.
    if not isinstance(condition, ast.Constant) or isinstance(condition.value, str):
        return None
    if bool(condition.value) is not (name in _SKIPIF_MARKS):
        return None
    return _reason(_argument(call, 1, "reason"))


def _statement_skip(stmt: ast.stmt, module: _Module) -> _Skip | None:
    """The skip a statement always makes: ``pytest.skip(...)``, ``self.skipTest(...)``, ..."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        name = module.qualified(call.func)
        if name == "pytest.skip":
            return _reason(_argument(call, 0, "reason", "msg"))
        if isinstance(call.func, ast.Attribute) and call.func.attr == "skipTest":
            return _reason(_argument(call, 0, "reason"))
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        raised = stmt.exc
        dotted = _dotted(raised.func if isinstance(raised, ast.Call) else raised) or ""
        if dotted.endswith(("SkipTest", "skip.Exception")):
            if isinstance(raised, ast.Call):
                return _reason(_argument(raised, 0, "reason", "msg"))
            return _Skip(None)
    return None


def _pytestmarks(body: list[ast.stmt]) -> list[ast.expr]:
    marks: list[ast.expr] = []
    for node in body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = node.value
            marks.extend(value.elts if isinstance(value, ast.List | ast.Tuple) else [value])
    return marks


def _fixture_name(node: _Function, module: _Module) -> str | None:
    """The name a function is registered under as a fixture, or None if it is not a fixture."""
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        if module.qualified(call.func if call else decorator) in _FIXTURE_DECORATORS:
            name = _argument(call, None, "name") if call else None
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return name.value
            return node.name
    return None


def _strings(expr: ast.expr | None) -> list[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [n.strip() for n in expr.value.split(",") if n.strip()]
    if isinstance(expr, ast.List | ast.Tuple):
        return [s for e in expr.elts for s in _strings(e)]
    return []


def _body(node: _Function) -> tuple[bool, list[ast.stmt]]:
    """Whether the function has a docstring, and its statements after it."""
    body = node.body
    first = body[0]
    has_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    return has_doc, body[1:] if has_doc else body


def _placeholder(node: _Function, module: _Module) -> str | None:
    """How the body is a placeholder (``pass``, ``...``, docstring only), or None."""
    has_doc, rest = _body(node)
    rest = [s for s in rest if _statement_skip(s, module) is None]
    kinds: list[str] = []
    for stmt in rest:
        if isinstance(stmt, ast.Pass):
            kinds.append("`pass`")
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            kinds.append("`...`" if stmt.value.value is Ellipsis else "a string")
        elif len(rest) == 1 and isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if _dotted(exc) != "NotImplementedError":
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


# --- judging tests -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Scope:
    """Where code runs: its module, the class ``self`` is, and fixtures it may call by name."""

    module: _Module
    cls: _ClassRef | None
    fixtures: dict[str, _FunctionRef] = field(default_factory=dict)
    local: dict[str, list[ast.expr]] = field(default_factory=dict)
    mutated: frozenset[str] = frozenset()


@dataclass(frozen=True, eq=False)
class _TestItem:
    nodeid: str
    function: _FunctionRef
    classes: tuple[_ClassRef, ...]
    unittest: bool


class _Judge:
    """Collects the tests of a module the way pytest would and decides which are hollow."""

    def __init__(self, project: _Project) -> None:
        self.project = project
        self._evidence: dict[tuple[int, int], _Evidence] = {}
        self._prints: dict[tuple[int, int], bool] = {}
        self._busy: set[tuple[str, int, int]] = set()

    def scan_module(self, module: _Module, name: str) -> tuple[list[str], list[HollowTest]]:
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

    def collect(self, module: _Module, name: str) -> list[_TestItem]:
        if any(_assigns_false(node, "__test__") for node in module.tree.body):
            return []
        items: list[_TestItem] = []
        for key, binding in module.names.items():
            if isinstance(binding, ast.FunctionDef | ast.AsyncFunctionDef):
                if key.startswith("test") and _fixture_name(binding, module) is None:
                    items.append(
                        _TestItem(f"{name}::{key}", _FunctionRef(module, binding, None), (), False)
                    )
            elif isinstance(binding, ast.ClassDef):
                items.extend(self._collect_class(_ClassRef(module, binding), f"{name}::{key}", ()))
        return items

    def _collect_class(
        self, cls: _ClassRef, prefix: str, outer: tuple[_ClassRef, ...]
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
            if method.startswith("test") and _fixture_name(ref.node, ref.module) is None
        ]
        if not unittest:
            for stmt in node.body:
                if isinstance(stmt, ast.ClassDef):
                    inner = _ClassRef(cls.module, stmt)
                    items.extend(self._collect_class(inner, f"{prefix}::{stmt.name}", chain))
        return items

    # fixtures

    def module_fixtures(self, module: _Module) -> dict[str, list[_FunctionRef]]:
        """Fixtures visible in ``module`` by name, outermost definition first."""
        visible: dict[str, list[_FunctionRef]] = {}
        layers = self.project.conftests(module.path) if module.path is not None else []
        if module not in layers:
            layers.append(module)
        for layer in layers:
            for name, ref in self._fixtures_defined(layer).items():
                visible.setdefault(name, []).append(ref)
        return visible

    def _fixtures_defined(self, module: _Module) -> dict[str, _FunctionRef]:
        found: dict[str, _FunctionRef] = {}
        for star in module.star_imports:
            source = self.project.import_module(star.module, star.level, module)
            if source is not None:
                for node in source.names.values():
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                        name = _fixture_name(node, source)
                        if name is not None:
                            found[name] = _FunctionRef(source, node, None)
        for key, binding in module.names.items():
            ref: _Target | None
            if isinstance(binding, _Import):
                ref = self.project.resolve(module, key)
            elif isinstance(binding, ast.FunctionDef | ast.AsyncFunctionDef):
                ref = _FunctionRef(module, binding, None)
            else:
                continue
            if isinstance(ref, _FunctionRef):
                name = _fixture_name(ref.node, ref.module)
                if name is not None:
                    found[name] = ref
        return found

    def _requested(self, item: _TestItem, module: _Module) -> list[str]:
        node = item.function.node
        marks = self._marks(item, module)
        names: list[str] = []
        excluded: set[str] = set()
        for mark in marks:
            if not isinstance(mark, ast.Call):
                continue
            qualified = module.qualified(mark.func)
            if qualified == "pytest.mark.usefixtures":
                names.extend(s for a in mark.args for s in _strings(a))
            elif qualified == "pytest.mark.parametrize":
                excluded.update(_strings(_argument(mark, 0, "argnames")))
        if not item.unittest:
            params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            skip_first = bool(item.classes) and not any(
                _dotted(d) == "staticmethod" for d in node.decorator_list
            )
            names.extend(a.arg for a in params[1 if skip_first else 0 :] if a.arg not in excluded)
        return names

    def _marks(self, item: _TestItem, module: _Module) -> list[ast.expr]:
        """Decorators and ``pytestmark`` entries of the test, its classes and its module."""
        marks: list[ast.expr] = list(item.function.node.decorator_list)
        for cls in reversed(item.classes):
            marks.extend(cls.node.decorator_list)
            marks.extend(_pytestmarks(cls.node.body))
        marks.extend(_pytestmarks(module.tree.body))
        return marks

    def _fixture_checks(
        self,
        ref: _FunctionRef,
        visible: dict[str, list[_FunctionRef]],
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

    def _checker_evidence(self, fixture: _FunctionRef) -> _Evidence:
        """The checks made by functions a fixture defines (and returns) for the test to call."""
        evidence = _NOTHING
        for node in _walk(fixture.node.body, nested=True):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                evidence |= self.evidence(_FunctionRef(fixture.module, node, fixture.owner))
        return evidence

    # evidence

    def evidence(self, ref: _FunctionRef) -> _Evidence:
        """The checks a helper function (or fixture) makes, following the helpers it calls."""
        key = (id(ref.node), id(ref.owner.node) if ref.owner else 0)
        if key in self._evidence:
            return self._evidence[key]
        if ("evidence", *key) in self._busy:
            return _NOTHING
        self._busy.add(("evidence", *key))
        scope = _Scope(
            ref.module,
            ref.owner,
            local=_assignments(ref.node.body, nested=False),
            mutated=mutated_names(ref.node.body),
        )
        found = self.body_evidence(ref.node.body, scope, nested=False)
        self._busy.discard(("evidence", *key))
        self._evidence[key] = found
        return found

    def body_evidence(self, stmts: list[ast.stmt], scope: _Scope, *, nested: bool) -> _Evidence:
        evidence = _NOTHING
        for node in _walk(stmts, nested):
            if isinstance(node, ast.Assert):
                evidence |= _condition_evidence(node.test, node.test, scope)
            elif isinstance(node, ast.Raise) and _raises_failure(node):
                evidence |= _REAL
            elif isinstance(node, ast.Call):
                evidence |= self._call_evidence(node, scope)
            if evidence.real:
                return evidence
        return evidence

    def _call_evidence(self, call: ast.Call, scope: _Scope) -> _Evidence:
        func = call.func
        if scope.module.qualified(func) in _FAILING_CALLS:
            return _REAL
        if isinstance(func, ast.Name) and func.id in scope.fixtures:
            return self._checker_evidence(scope.fixtures[func.id]).restated(_short(call))
        helper = self._helper(func, scope)
        if helper is not None:
            return self.evidence(helper).restated(_short(call))
        built = self._test_class(func, scope)
        if built is not None:
            methods = self.project.methods(built).values()
            evidence = _NOTHING
            for method in methods:
                evidence |= self.evidence(method)
            return evidence.restated(_short(call))
        aliased = self._aliased(func, scope)
        if aliased:
            evidence = _NOTHING
            for target in aliased:
                evidence |= self.evidence(target)
            return evidence.restated(_short(call))
        if isinstance(func, ast.Attribute):
            name = func.attr
            on_self = _dotted(func.value) in {"self", "cls"}
            if name == "fail" and on_self:
                return _REAL
            condition = _unittest_condition(name, call.args)
            if condition is not None:
                return _condition_evidence(condition, call, scope)
        elif isinstance(func, ast.Name):
            name, on_self = func.id, False
        else:
            return _NOTHING
        if _STATUS_HELPER.match(name):
            if helper_status_is_behaviour(name, call.args):
                return _REAL
            return _Evidence(status=(_short(call),))
        if name.lower().startswith("assert"):
            return _REAL
        if name.startswith("expect"):  # pexpect's child.expect(...), Playwright's expect(...)
            return _REAL
        # A checker we cannot read (installed package, base class elsewhere): trust its name.
        unseen_helper = isinstance(func, ast.Name) or on_self
        return _REAL if unseen_helper and _CHECKER_NAME.match(name) else _NOTHING

    def _helper(self, func: ast.expr, scope: _Scope) -> _FunctionRef | None:
        """The test helper a call goes to, if it is test code the scan can read.

        Calls into the code under test are not followed: its own asserts and raises check
        nothing about the test.
        """
        target: _Target | None
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in {"self", "cls"}
        ):
            target = self.project.method(scope.cls, func.attr) if scope.cls else None
        else:
            target = self.project.expression(func, scope.module)
        if not isinstance(target, _FunctionRef):
            return None
        if _is_test_module(target.module) or (
            target.owner is not None and self.project.is_testcase(target.owner)
        ):
            return target
        return None

    def _test_class(self, func: ast.expr, scope: _Scope) -> _ClassRef | None:
        """The class a call instantiates, if it is defined in test code (e.g. a checking visitor)."""
        target = self.project.expression(func, scope.module)
        if isinstance(target, _ClassRef) and _is_test_module(target.module):
            return target
        return None

    def _aliased(self, func: ast.expr, scope: _Scope) -> list[_FunctionRef]:
        """Helpers behind a local name or ``self`` attribute the code assigned a callable to.

        Covers ``check = self.check_layout`` and ``cls.test = staticmethod(partial(_test, ...))``,
        including a function defined inside the method that makes the assignment.
        """
        values: list[tuple[ast.expr, _FunctionRef | None]] = []
        if isinstance(func, ast.Name):
            values = [(value, None) for value in scope.local.get(func.id, [])]
        elif isinstance(func, ast.Attribute) and _dotted(func.value) in {"self", "cls"}:
            values = self._attribute_assignments(scope.cls, func.attr) if scope.cls else []
        found: dict[int, _FunctionRef] = {}
        for value, method in values:
            inner = {}
            if method is not None:
                inner = {
                    node.name: _FunctionRef(method.module, node, method.owner)
                    for node in _walk(method.node.body, nested=True)
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
        self, cls: _ClassRef, attr: str
    ) -> list[tuple[ast.expr, _FunctionRef | None]]:
        """Values assigned to ``attr`` in the class body or to ``self.attr``/``cls.attr``, each
        with the method that assigns it."""
        values: list[tuple[ast.expr, _FunctionRef | None]] = []
        for owner in (cls, *self.project.bases(cls)):
            for stmt in owner.node.body:
                if isinstance(stmt, ast.Assign):
                    if any(isinstance(t, ast.Name) and t.id == attr for t in stmt.targets):
                        values.append((stmt.value, None))
                elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    method = _FunctionRef(owner.module, stmt, owner)
                    values.extend(
                        (node.value, method)
                        for node in _walk(stmt.body, nested=False)
                        if isinstance(node, ast.Assign)
                        and any(
                            isinstance(t, ast.Attribute)
                            and t.attr == attr
                            and _dotted(t.value) in {"self", "cls"}
                            for t in node.targets
                        )
                    )
        return values

    # printing

    def _prints_only(self, stmts: list[ast.stmt], scope: _Scope) -> tuple[bool, bool]:
        """Whether the statements only compute values and print them, and whether any prints."""
        only, printed = True, False
        for stmt in stmts:
            if isinstance(stmt, ast.Expr):
                value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
                if isinstance(value, ast.Call) and self._is_printing(value, scope):
                    printed = True
                elif not isinstance(value, ast.Constant):
                    only = False
            elif isinstance(stmt, _COMPOUND):
                blocks = [stmt.body, *(h.body for h in getattr(stmt, "handlers", []))]
                blocks += [getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])]
                for block in blocks:
                    block_only, block_printed = self._prints_only(block, scope)
                    only, printed = only and block_only, printed or block_printed
            elif not isinstance(stmt, _INERT):
                only = False
        return only, printed

    def _is_printing(self, call: ast.Call, scope: _Scope) -> bool:
        if _is_print_call(call, scope.module):
            return True
        helper = self._helper(call.func, scope)
        if helper is None:
            return False
        key = (id(helper.node), id(helper.owner.node) if helper.owner else 0)
        if key not in self._prints:
            if ("prints", *key) in self._busy:
                return False
            self._busy.add(("prints", *key))
            _, stmts = _body(helper.node)
            only, some = self._prints_only(stmts, _Scope(helper.module, helper.owner))
            self._busy.discard(("prints", *key))
            self._prints[key] = only and some
        return self._prints[key]

    # the verdict

    def judge(
        self, item: _TestItem, module_fixtures: dict[str, list[_FunctionRef]]
    ) -> tuple[str, str] | None:
        """The smell and detail of a hollow test, or None for a test that checks something."""
        ref = item.function
        module = item.classes[-1].module if item.classes else ref.module
        node = ref.node
        skips = [_mark_skip(mark, module) for mark in self._marks(item, module)]
        skips += [_statement_skip(stmt, ref.module) for stmt in _body(node)[1]]
        skips += [_statement_skip(stmt, module) for stmt in module.tree.body]
        skip = next((s for s in skips if s is not None and s.todo), None) or next(
            (s for s in skips if s is not None), None
        )
        placeholder = _placeholder(node, ref.module)
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
                name = _fixture_name(method.node, method.module)
                if name is not None:
                    visible[name] = [*visible.get(name, []), method]
        requested = {
            name: visible[name][-1] for name in self._requested(item, module) if name in visible
        }
        if any(self._fixture_checks(f, visible, frozenset()) for f in requested.values()):
            return None
        owner = item.classes[-1] if item.classes else None
        scope = _Scope(
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
        only, printed = self._prints_only(_body(node)[1], scope)
        if only and printed:
            return "print-only", "only prints or logs; asserts nothing"
        if printed:
            return "no-assertion", "runs code and prints results but asserts nothing"
        return "no-assertion", "runs code but asserts nothing"

    def _dead_checks(
        self, body: list[ast.stmt], scope: _Scope, evidence: _Evidence
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
    def _lost(before: _Evidence, after: _Evidence) -> bool:
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
        if isinstance(node, ast.Call) and (_dotted(node.func) or "") in _PRINT_CALLS:
            printed.update(id(n) for arg in node.args for n in ast.walk(arg))
        elif isinstance(node, ast.Assert) and node.msg is not None:
            printed.update(id(n) for n in ast.walk(node.msg))  # a message checks nothing
    for node in ast.walk(tree):
        if id(node) in printed or not isinstance(node, ast.Attribute):
            continue
        if node.attr in _BODY_READS:
            return True
        dotted = _dotted(node) or ""
        if node.attr == "query" or dotted.startswith(("db.session", "session.")):
            return True
    return False


_TEST_FOLDERS = frozenset({"test", "tests", "testing"})


def _is_test_module(module: _Module) -> bool:
    """Whether a module is test code: a test module, a conftest, or a module under tests/."""
    if module.path is None:
        return True
    name = module.path.name
    if name == "conftest.py" or _is_test_file(name) or "test" in module.path.stem.lower():
        return True
    return any(part.lower() in _TEST_FOLDERS for part in module.path.parent.parts)


def _has_doctest(node: _Function) -> bool:
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
    for node in _walk(stmts, nested):
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
        and _static_truth(node.value) is False
    )
