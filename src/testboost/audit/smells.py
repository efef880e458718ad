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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from testboost.audit.deadchecks import (
    DEAD_SMELLS,
    OWN_VALUES,
)
from testboost.audit.judge import HollowTest, Judge
from testboost.audit.testcode import Module, Project, discover

__all__ = ["SMELLS", "HollowTest", "ScanResult", "UnreadableFile", "scan_paths", "scan_source"]

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
    module = Module.build(tree, None, source)
    _, hollow = Judge(Project(None)).scan_module(module, path)
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
    project = Project(root)
    judge = Judge(project)
    files, missing = discover([Path(p) for p in paths], project)
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
