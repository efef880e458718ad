"""The test code under audit: which files pytest would collect, each parsed once, and names
resolved across them (local imports, star imports, base classes, fixtures in ``conftest.py``)."""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from testboost.audit.expressions import dotted_name, literal_value

_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")


def is_test_file(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def discover(paths: list[Path], project: Project) -> tuple[list[Path], list[Path]]:
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


def _walk_tests(top: Path, project: Project) -> Iterator[Path]:
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
            if is_test_file(name) and not _ignored(here / name, ignored):
                yield here / name


def _ignored(path: Path, patterns: list[str]) -> bool:
    text = str(path)
    return any(fnmatch.fnmatch(text, pattern) for pattern in patterns)


# --- the parsed modules and name resolution ---------------------------------------------------

Function: TypeAlias = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Import:
    """One imported name: ``from <module> import <name>`` or ``import <module>`` (name None)."""

    module: str
    level: int
    name: str | None


_Binding: TypeAlias = "ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | Import"


@dataclass(frozen=True, eq=False)
class Module:
    """A parsed source file and what its top level binds."""

    path: Path | None
    tree: ast.Module
    lines: tuple[str, ...]
    names: dict[str, _Binding]
    star_imports: tuple[Import, ...]

    @classmethod
    def build(cls, tree: ast.Module, path: Path | None, source: str) -> Module:
        names: dict[str, _Binding] = {}
        stars: list[Import] = []
        for node in _top_level(tree.body):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names[node.name] = node
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = Import(alias.name, 0, None)
                    else:
                        top = alias.name.split(".")[0]
                        names[top] = Import(top, 0, None)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    imported = Import(node.module or "", node.level, alias.name)
                    if alias.name == "*":
                        stars.append(imported)
                    else:
                        names[alias.asname or alias.name] = imported
        return cls(path, tree, tuple(source.splitlines()), names, tuple(stars))

    def qualified(self, expr: ast.expr) -> str | None:
        """``pytest.mark.skip`` for ``mark.skip`` after ``from pytest import mark``, and so on."""
        dotted = dotted_name(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        binding = self.names.get(head)
        if isinstance(binding, Import) and binding.level == 0:
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
class ClassRef:
    module: Module
    node: ast.ClassDef


@dataclass(frozen=True, eq=False)
class FunctionRef:
    module: Module
    node: Function
    owner: ClassRef | None


Target: TypeAlias = "Module | ClassRef | FunctionRef"


class Project:
    """The scanned tree: modules parsed on demand, and names resolved across them.

    With ``root`` None nothing is read from disk (``scan_source``).
    """

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.unreadable: dict[Path, str] = {}
        self._errors: dict[Path, str] = {}
        self._modules: dict[Path, Module | None] = {}
        self._imports: dict[tuple[str, int, Path], Module | None] = {}

    def module(self, path: Path, *, report: bool = False) -> Module | None:
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
                self._modules[path] = Module.build(tree, path, source)
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
            value = literal_value(node.value)
            if isinstance(value, list | tuple):
                patterns.extend(
                    str(conftest.parent / item) for item in value if isinstance(item, str)
                )
        return patterns

    def conftests(self, test_file: Path) -> list[Module]:
        """The ``conftest.py`` modules that apply to ``test_file``, outermost first."""
        folders = [test_file.parent, *test_file.parent.parents]
        if self.root is not None and self.root in folders:
            folders = folders[: folders.index(self.root) + 1]
        else:
            folders = folders[:1]
        modules = (self.module(folder / "conftest.py") for folder in reversed(folders))
        return [m for m in modules if m is not None]

    def import_module(self, dotted: str, level: int, importer: Module) -> Module | None:
        """The local module an import statement in ``importer`` names, if it is in the tree."""
        if importer.path is None or self.root is None:
            return None
        key = (dotted, level, importer.path.parent)
        if key not in self._imports:
            self._imports[key] = self._find_module(dotted, level, importer.path)
        return self._imports[key]

    def _find_module(self, dotted: str, level: int, importer: Path) -> Module | None:
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
        self, module: Module, name: str, seen: set[tuple[int, str]] | None = None
    ) -> Target | None:
        """What ``name`` means at the top level of ``module``, following local imports."""
        seen = set() if seen is None else seen
        if (id(module), name) in seen:
            return None
        seen.add((id(module), name))
        binding = module.names.get(name)
        if isinstance(binding, ast.FunctionDef | ast.AsyncFunctionDef):
            return FunctionRef(module, binding, None)
        if isinstance(binding, ast.ClassDef):
            return ClassRef(module, binding)
        if isinstance(binding, Import):
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

    def member(self, target: Target | None, name: str) -> Target | None:
        """``target.name`` for a module, a class or nothing."""
        if isinstance(target, Module):
            found = self.resolve(target, name)
            if found is None and target.path is not None and target.path.name == "__init__.py":
                return self.import_module(name, 1, target)
            return found
        if isinstance(target, ClassRef):
            return self.method(target, name)
        return None

    def expression(self, expr: ast.expr, module: Module) -> Target | None:
        """What a ``name`` or ``name.attr...`` expression refers to."""
        if isinstance(expr, ast.Name):
            return self.resolve(module, expr.id)
        if isinstance(expr, ast.Attribute):
            return self.member(self.expression(expr.value, module), expr.attr)
        return None

    def bases(self, cls: ClassRef) -> Iterator[ClassRef]:
        """The class's local base classes, nearest first (a depth-first walk, not the full MRO)."""
        seen = {id(cls.node)}
        stack = [cls]
        while stack:
            current = stack.pop(0)
            for base in current.node.bases:
                found = self.expression(base, current.module)
                if isinstance(found, ClassRef) and id(found.node) not in seen:
                    seen.add(id(found.node))
                    stack.append(found)
                    yield found

    def method(self, cls: ClassRef, name: str) -> FunctionRef | None:
        """The method ``name`` of ``cls`` or of its local bases."""
        for owner in (cls, *self.bases(cls)):
            for node in owner.node.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                    return FunctionRef(owner.module, node, owner)
        return None

    def methods(self, cls: ClassRef) -> dict[str, FunctionRef]:
        """Every method of ``cls`` and its local bases, the class's own taking precedence."""
        found: dict[str, FunctionRef] = {}
        for owner in (cls, *self.bases(cls)):
            for node in owner.node.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.setdefault(node.name, FunctionRef(owner.module, node, owner))
        return found

    def is_testcase(self, cls: ClassRef) -> bool:
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


_TEST_FOLDERS = frozenset({"test", "tests", "testing"})


def is_test_module(module: Module) -> bool:
    """Whether a module is test code: a test module, a conftest, or a module under tests/."""
    if module.path is None:
        return True
    name = module.path.name
    if name == "conftest.py" or is_test_file(name) or "test" in module.path.stem.lower():
        return True
    return any(part.lower() in _TEST_FOLDERS for part in module.path.parent.parts)
