"""Learn a handler's required body fields from the app's own validation errors.

Static inference cannot see through every validation layer (a helper that calls a helper,
marshmallow, pydantic, a hand-rolled ``require(data, "name")``). The app tells anyway: a valid
request that lacks a field is answered 400/422 with a message naming it. This module reads those
messages — plain sentences (``"name is required"``), marshmallow/webargs error maps, pydantic
error lists — adds what they name to the handler's inputs, and asks again, a few rounds at most.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from testboost.analysis.inputs import Field, InputSpec
from testboost.explore.exchange import Exchange

ROUNDS = 6

_REQUIRED = (
    re.compile(
        r"['\"`]?([A-Za-z_][\w.]*)['\"`]?\s+(?:is|are)\s+(?:a\s+)?(?:required|missing)", re.I
    ),
    re.compile(
        r"(?:missing|required)\s+(?:json\s+)?(?:field|fields|key|keys|parameter|property|value)s?"
        r"\s*(?:[:=]\s*)?['\"`]?([A-Za-z_]\w*)",
        re.I,
    ),
    re.compile(r"['\"`]([A-Za-z_]\w*)['\"`]\s+(?:field\s+)?(?:is\s+)?(?:required|missing)", re.I),
)
_TYPED = re.compile(
    r"['\"`]?([A-Za-z_]\w*)['\"`]?\s+must\s+be\s+(?:a|an)?\s*(?:non-empty\s+|positive\s+)?"
    r"(integer|int|number|float|decimal|string|boolean|bool|list|array|object|dict)",
    re.I,
)
_TYPE_WORDS = {
    "integer": "int",
    "int": "int",
    "number": "float",
    "float": "float",
    "decimal": "float",
    "string": "str",
    "boolean": "bool",
    "bool": "bool",
    "list": "list",
    "array": "list",
    "object": "dict",
    "dict": "dict",
}
_MARSHMALLOW_REQUIRED = ("missing data for required field", "field required", "required")


def field_hints(payload: Any) -> Iterator[tuple[str, str]]:
    """``(field, type)`` pairs an error body names as missing or mistyped (type ``any`` if unsaid).

    >>> sorted(field_hints({"error": "name is required"}))
    [('name', 'any')]
    >>> sorted(field_hints({"errors": {"json": {"sku": ["Missing data for required field."]}}}))
    [('sku', 'any')]
    """
    if isinstance(payload, dict):
        for key, value in payload.items():
            if _lists_requirement(value) and isinstance(key, str) and key.isidentifier():
                yield key, "any"
            if key == "loc" and isinstance(value, list) and value and isinstance(value[-1], str):
                yield value[-1], "any"
            yield from field_hints(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from field_hints(item)
    elif isinstance(payload, str):
        for match in _TYPED.finditer(payload):
            yield match.group(1), _TYPE_WORDS[match.group(2).lower()]
        for pattern in _REQUIRED:
            for match in pattern.finditer(payload):
                yield match.group(1).split(".")[-1], "any"


def _lists_requirement(value: Any) -> bool:
    texts = value if isinstance(value, list) else [value]
    return any(
        isinstance(text, str) and text.strip().lower().rstrip(".") in _MARSHMALLOW_REQUIRED
        for text in texts
    )


def learn_inputs(
    spec: InputSpec, send_valid: Callable[[InputSpec], Exchange], *, rounds: int = ROUNDS
) -> InputSpec:
    """``spec`` plus the body fields the app's 400/422 answers to the valid request ask for."""
    for _ in range(rounds):
        exchange = send_valid(spec)
        if exchange.status not in (400, 422) or not exchange.is_json:
            return spec
        known = {(f.location, f.name): f for f in spec.fields}
        location = "form" if spec.form_body and not spec.json_body else "json"
        changed = False
        fields = list(spec.fields)
        for name, kind in field_hints(exchange.json):
            if name in ("json", "body", "form", "query", "args", "request", "data"):
                continue
            existing = known.get((location, name))
            if existing is None:
                field = Field(name, location, kind, True)
                fields.append(field)
                known[(location, name)] = field
                changed = True
            elif kind != "any" and existing.type in ("any", "str") and existing.type != kind:
                updated = replace(existing, type=kind, required=True)
                fields[fields.index(existing)] = updated
                known[(location, name)] = updated
                changed = True
        if not changed:
            return spec
        spec = replace(spec, fields=tuple(fields), json_body=spec.json_body or location == "json")
    return spec
