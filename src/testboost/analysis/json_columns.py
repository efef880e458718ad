"""Columns the app stores JSON text in, learned from its ``json.dumps`` writes and ``json.loads`` reads.

A ``Text`` column that the app only ever fills with ``json.dumps(...)`` and reads back with
``json.loads(...)`` holds JSON; seeding it with plain text makes the app's own read fail, which
is testboost's doing, not a defect. The app's source says which attributes those are:

- ``Notification(payload_json=json.dumps(data))`` and ``self.tags = json.dumps([...])``;
- ``json.loads(self.payload_json)`` and ``json.loads(str(self.payload_json))``.

>>> json_columns([Path("/project")])  # doctest: +SKIP
{'payload_json': '{}', 'tags': '[]'}
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from testboost.analysis.literals import parsed_files

EMPTY_OBJECT = "{}"
EMPTY_LIST = "[]"


def json_columns(roots: Iterable[Path]) -> dict[str, str]:
    """Attribute names the app writes with ``json.dumps`` or reads with ``json.loads``.

    Each maps to the empty JSON value of the kind written: ``[]`` when a list is dumped, else
    ``{}``. Only the app's own ``.py`` files under ``roots`` are read.
    """
    found: dict[str, str] = {}
    for tree in parsed_files(roots, containing=(b"dumps", b"loads")):
        for node in ast.walk(tree):
            for name, value in _written(node):
                found[name] = _empty_of(value) if found.get(name) != EMPTY_LIST else EMPTY_LIST
            read = _read(node)
            if read is not None:
                found.setdefault(read, EMPTY_OBJECT)
    return found


def _is_json_call(node: ast.expr, function: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == function
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("json", "simplejson", "ujson", "orjson")
        and bool(node.args)
    )


def _written(node: ast.AST) -> list[tuple[str, ast.expr]]:
    """(attribute, dumped value) for ``x.attr = json.dumps(v)`` and ``Model(attr=json.dumps(v))``."""
    pairs: list[tuple[str, ast.expr]] = []
    if isinstance(node, ast.Assign) and _is_json_call(node.value, "dumps"):
        assert isinstance(node.value, ast.Call)
        for target in node.targets:
            if isinstance(target, ast.Attribute):
                pairs.append((target.attr, node.value.args[0]))
    if isinstance(node, ast.Call):
        for keyword in node.keywords:
            if keyword.arg and _is_json_call(keyword.value, "dumps"):
                assert isinstance(keyword.value, ast.Call)
                pairs.append((keyword.arg, keyword.value.args[0]))
    return pairs


def _read(node: ast.AST) -> str | None:
    """The attribute of ``json.loads(x.attr)`` (or of ``json.loads(str(x.attr))``)."""
    if not isinstance(node, ast.expr) or not _is_json_call(node, "loads"):
        return None
    assert isinstance(node, ast.Call)
    argument = node.args[0]
    if (
        isinstance(argument, ast.Call)
        and isinstance(argument.func, ast.Name)
        and argument.func.id == "str"
        and len(argument.args) == 1
    ):
        argument = argument.args[0]
    return argument.attr if isinstance(argument, ast.Attribute) else None


def _empty_of(value: ast.expr) -> str:
    return EMPTY_LIST if isinstance(value, ast.List | ast.ListComp | ast.Tuple) else EMPTY_OBJECT
