"""Python source for values: literals the generated suite can read, with named stand-ins.

Values recorded from the app become Python literals in the generated tests. Two kinds of value are
not written literally: a volatile one (a timestamp, a generated id, a token) becomes ``ANY`` from
``unittest.mock``, and a known secret such as the test users' password is written as the name of
the constant that holds it.

>>> literal({"id": ANY_VALUE, "name": "Ada", "tags": ["a"]})
"{'id': ANY, 'name': 'Ada', 'tags': ['a']}"
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Name:
    """A value written as a Python name or expression instead of a literal (``PASSWORD``)."""

    source: str


#: The stand-in for a value that changes from run to run; written as ``ANY``.
ANY_VALUE = Name("ANY")


def literal(value: Any, names: Mapping[str, str] | None = None) -> str:
    """``value`` as Python source; strings found in ``names`` are written as that name.

    Dictionaries keep their order; strings with characters outside ASCII are escaped so that the
    source stays plain ASCII.

    >>> literal({"password": "s3cret"}, {"s3cret": "PASSWORD"})
    "{'password': PASSWORD}"
    """
    names = names or {}
    if isinstance(value, Name):
        return value.source
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        if value in names:
            return names[value]
        return string(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f'float("{value}")'
        return repr(value)
    if isinstance(value, bytes):
        return repr(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{literal(k, names)}: {literal(v, names)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, names) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v, names) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise TypeError(f"cannot write {type(value).__name__} as a Python literal")


def string(text: str) -> str:
    """A string literal, ASCII only."""
    return ascii(text)


def identifier(text: str, *, default: str = "value") -> str:
    """A lower-case Python identifier made of the words of ``text``.

    >>> identifier("GET /api/orders/<int:order_id>")
    'get_api_orders_int_order_id'
    """
    words = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not words:
        return default
    if words[0].isdigit():
        words = f"{default}_{words}"
    if keyword.iskeyword(words):
        words += "_"
    return words


def constant_name(text: str) -> str:
    """An upper-case constant name made of the words of ``text`` (``order 1`` → ``ORDER_1``)."""
    return identifier(text, default="value").upper()


def uses_any(value: Any) -> bool:
    """Whether ``value`` contains the ``ANY`` stand-in anywhere."""
    if value == ANY_VALUE:
        return True
    if isinstance(value, Mapping):
        return any(uses_any(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(uses_any(v) for v in value)
    return False
