"""Assemble one generated module: unique test names, shared constants, the imports it needs."""

from __future__ import annotations

import re
from typing import Any

from testboost.generate.naming import Names, shorten
from testboost.generate.plan import Constant, ModulePlan, PlannedTest
from testboost.generate.pycode import constant_name, literal

#: Literals longer than this are moved out of the test into a module constant.
INLINE_LIMIT = 60


class ModuleBuilder:
    """Collects the tests of one module and the constants they share."""

    def __init__(self, filename: str, docstring: str, *, password: str | None = None) -> None:
        self.filename = filename
        self.docstring = docstring
        self.password = password
        self.tests: list[PlannedTest] = []
        self._names = Names()
        self._constant_names = Names()
        self._constants: dict[str, str] = {}
        self._order: list[Constant] = []

    def name(self, wanted: str) -> str:
        """A test name not used yet in this module."""
        return self._names.take(shorten(wanted))

    def value(self, value: Any, hint: str) -> str:
        """``value`` as source: inline when short, else a module constant named after ``hint``."""
        source = literal(value)
        if len(source) <= INLINE_LIMIT:
            return source
        known = self._constants.get(source)
        if known is not None:
            return known
        name = self._constant_names.take(constant_name(hint))
        self._constants[source] = name
        self._order.append(Constant(name, source))
        return name

    def add(self, test: PlannedTest) -> None:
        """Add a test (its name must come from :meth:`name`)."""
        self.tests.append(test)

    def plan(self) -> ModulePlan:
        """The module as planned so far."""
        text = "\n".join(
            [
                *(c.source for c in self._order),
                *(line for t in self.tests for line in t.body),
                *(mark for t in self.tests for mark in t.marks),
            ]
        )
        imports = []
        if any(t.marks for t in self.tests):
            imports.append("import pytest")
        if re.search(r"\bANY\b", text):
            imports.append("from unittest.mock import ANY")
        for module in ("gzip", "json", "zlib"):
            if re.search(rf"\b{module}\.\w+\(", text):
                imports.append(f"import {module}")
        return ModulePlan(
            filename=self.filename,
            docstring=self.docstring,
            imports=tuple(_import_block(imports)),
            constants=tuple(self._order),
            tests=tuple(self.tests),
        )


def _import_block(imports: list[str]) -> list[str]:
    """Standard library first, then pytest, a blank line between (isort's order)."""
    standard = sorted(i for i in imports if i.startswith("import ") and "pytest" not in i)
    standard += sorted(i for i in imports if i.startswith("from unittest"))
    third = sorted(i for i in imports if "pytest" in i)
    if standard and third:
        return [*standard, "", *third]
    return [*standard, *third]
