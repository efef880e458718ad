"""The generated suite as data: modules of tests, each test as its name, marks and code lines.

The planner fills these records; :mod:`testboost.generate.render` lays them out with the templates.
Code lines are plain Python without indentation (the template indents a test's body); ruff
formats the written files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Constant:
    """A module-level constant: expected bodies and payloads too long to sit inside a test."""

    name: str
    source: str


@dataclass(frozen=True)
class PlannedTest:
    """One test function: decorators, fixtures it takes, and the lines of its body."""

    __test__ = False  # not a pytest test class

    name: str
    fixtures: tuple[str, ...]
    body: tuple[str, ...]
    marks: tuple[str, ...] = ()
    docstring: str | None = None


@dataclass(frozen=True)
class ModulePlan:
    """One generated test module: its file name, docstring, imports, constants and tests."""

    filename: str
    docstring: str
    imports: tuple[str, ...]
    constants: tuple[Constant, ...]
    tests: tuple[PlannedTest, ...]


@dataclass(frozen=True)
class SuitePlan:
    """The whole suite: ``files`` maps a file name to its text, conftest first."""

    files: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = ()
    tests: int = 0
    xfails: int = 0
