"""Complete a rejected request from the app's own error message.

Static inference cannot see every field a view reads (validation helpers, schemas built at run
time), so the probe's "valid" request is sometimes answered ``400 {"error": "name is required"}``.
The message says what to change. :func:`propose` reads the usual phrasings (``X is required``,
``X must be an integer``, ``X must be between 1 and 5``, ``X must be one of a, b``, ``allowed
fields: a, b``, ``X is not a valid email address``, ``already exists``, marshmallow's
``{"x": ["Missing data for required field."]}``) and returns the body to try next. The generator
sends it and repeats while the answer improves.

>>> propose({}, "name is required", Values({}, None, None), 1)
{'name': 'tb name 600'}
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from testboost.explore.values import is_email, valid_value
from testboost.generate.naming import singular

_WORD = r"['\"`]?([A-Za-z_][\w.]*)['\"`]?"
_REQUIRED = (
    re.compile(rf"{_WORD} (?:is|are) (?:a )?(?:required|missing)", re.IGNORECASE),
    re.compile(
        rf"missing (?:required )?(?:field|parameter|key|value|argument)s?:? {_WORD}", re.IGNORECASE
    ),
    re.compile(
        rf"{_WORD}: (?:missing data for required field|field required|this field is required|required)",
        re.IGNORECASE,
    ),
    re.compile(
        rf"{_WORD} (?:must|should) be (?:provided|given|present|set|specified)", re.IGNORECASE
    ),
    re.compile(r"KeyError: '(\w+)'"),
    re.compile(rf"{_WORD} (?:must|may) not be (?:null|none|empty|blank)", re.IGNORECASE),
)
_TYPE = re.compile(
    rf"{_WORD}:? (?:must be|should be|is not|not) an? (?:valid )?"
    r"(integer|int|number|float|decimal|string|str|text|boolean|bool|list|array|object|dict|email(?: address)?)",
    re.IGNORECASE,
)
_RANGE = re.compile(
    rf"{_WORD}:? (?:must be )?(?:between|from|in the range|in range) (-?[\d.]+) (?:and|to|-) (-?[\d.]+)",
    re.IGNORECASE,
)
_AT_LEAST = re.compile(
    rf"{_WORD}:? must be (?:at least|>=|greater than or equal to|positive)(?: (-?[\d.]+))?",
    re.IGNORECASE,
)
_AT_MOST = re.compile(
    rf"{_WORD}:? must be (?:at most|<=|less than or equal to) (-?[\d.]+)", re.IGNORECASE
)
_CHOICES = re.compile(
    rf"{_WORD}:? must be one of:? \[?([^\]\n]+?)\]?\.?$", re.IGNORECASE | re.MULTILINE
)
_LENGTH = re.compile(
    rf"{_WORD}:? (?:must be|length must be between|should be) (\d+) (?:to|and|-) (\d+) (characters|chars|digits|long)?",
    re.IGNORECASE,
)
_ALLOWED = re.compile(r"allowed(?: fields| keys)?(?: are)?:? \[?([\w\s,'\"]+)\]?", re.IGNORECASE)
_UNKNOWN = re.compile(
    rf"{_WORD}: unknown field|unknown field:? {_WORD}|unexpected (?:field|key):? {_WORD}",
    re.IGNORECASE,
)
_EACH = re.compile(
    r"(?:each|every) (\w+) must be (?:an? (?:object|dict) )?\{([\w\s,]+)\}", re.IGNORECASE
)
_REFERENCE = re.compile(
    rf"{_WORD} (?:does not name|does not refer to|does not exist|not found|is invalid)",
    re.IGNORECASE,
)
_CONFLICT = re.compile(
    r"already (?:exists|registered|taken|in use)|duplicate|not unique|unique constraint|is taken",
    re.IGNORECASE,
)
_JSON_OBJECT = re.compile(r"json|body must be|request body", re.IGNORECASE)


@dataclass(frozen=True)
class Values:
    """What fields can be filled with: the first seeded key of each table, and user A's key."""

    first_keys: Mapping[str, Any]
    user_key: Any
    user_table: str | None
    second_keys: Mapping[Any, Any] = field(default_factory=dict)


def message_text(payload: Any) -> str:
    """The error message of an answer as lines: ``field: message`` for keyed messages."""
    return "\n".join(_messages(payload, None))


def _messages(payload: Any, key: str | None) -> Iterator[str]:
    if isinstance(payload, str):
        yield (
            f"{key}: {payload}"
            if key and key not in ("error", "message", "msg", "detail", "description")
            else payload
        )
        if key:
            yield payload
    elif isinstance(payload, Mapping):
        for name, value in payload.items():
            inner = (
                key if name in ("error", "errors", "message", "messages", "detail") else str(name)
            )
            yield from _messages(value, inner)
    elif isinstance(payload, list):
        for item in payload:
            yield from _messages(item, key)


def html_text(text: str) -> str:
    """The visible text of an HTML answer, one line per block."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.DOTALL | re.IGNORECASE)
    return "\n".join(
        line.strip() for line in re.sub(r"<[^>]+>", "\n", text).splitlines() if line.strip()
    )


def field_value(name: str, values: Values, n: int) -> Any:
    """A valid value for a field the app asked for, by its name."""
    lowered = name.lower()
    if lowered.endswith("_id") or lowered == "id":
        stem = lowered[:-3] if lowered.endswith("_id") else lowered
        for table, key in values.first_keys.items():
            if _names_table(stem, table):
                return values.user_key if table == values.user_table else key
        if stem in ("user", "owner", "author", "customer") and values.user_key is not None:
            return values.user_key
        return 1
    return valid_value(name, "any", n)


def _names_table(stem: str, table: str) -> bool:
    table = table.lower()
    return stem and (table == stem or singular(table) == stem or table.endswith("_" + stem + "s"))  # type: ignore[return-value]


def _typed(kind: str, name: str, current: Any, values: Values, n: int) -> Any:
    kind = kind.lower()
    if kind in ("integer", "int"):
        return (
            current
            if isinstance(current, int) and not isinstance(current, bool)
            else _as_int(field_value(name, values, n))
        )
    if kind in ("number", "float", "decimal"):
        return (
            current if isinstance(current, int | float) and not isinstance(current, bool) else 2.5
        )
    if kind in ("string", "str", "text"):
        return current if isinstance(current, str) and current else f"tb {name} {n}"
    if kind in ("boolean", "bool"):
        return False
    if kind in ("list", "array"):
        return current if isinstance(current, list) and current else []
    if kind in ("object", "dict"):
        return {}
    if kind.startswith("email"):
        return f"tb{n}@example.com"
    return current


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return max(1, int(value))
    return 2


def _number(text: str) -> float:
    return float(text.rstrip("."))


def _in_range(low: float, high: float, current: Any) -> Any:
    value = min(high, max(low, 2))
    if isinstance(current, float) or not float(value).is_integer() or not float(low).is_integer():
        return float(value)
    return int(value)


def _key(body: Mapping[str, Any], name: str) -> str:
    """The body's spelling of a field the message names (``Name`` for ``name``)."""
    name = name.split(".")[-1]
    return next((k for k in body if k.lower() == name.lower()), name)


def propose(
    body: Mapping[str, Any] | None, message: str, values: Values, attempt: int, *, status: int = 400
) -> dict[str, Any] | None:
    """The body to send next, or ``None`` when the message says nothing a body can fix."""
    current: dict[str, Any] = copy.deepcopy(dict(body or {}))
    changed = copy.deepcopy(current)
    n = 600 + 10 * (attempt - 1)
    for match in _ALLOWED.finditer(message):
        allowed = {w.strip(" '\"") for w in re.split(r"[,\s]+", match.group(1)) if w.strip(" '\"")}
        if allowed and not allowed & {"and", "or"} - allowed:
            changed = {k: v for k, v in changed.items() if k in allowed}
    for match in _UNKNOWN.finditer(message):
        name = next(g for g in match.groups() if g)
        changed.pop(_key(changed, name), None)
    for pattern in _REQUIRED:
        for match in pattern.finditer(message):
            name = _key(changed, match.group(1))
            if name.lower() in ("body", "request", "json", "data", "payload", "field", "this"):
                continue
            nested = [
                v
                for v in changed.values()
                if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)
            ]
            if nested and name not in changed:
                # a field of the entries of a list ("items": [{}] -> "product_id is required")
                for item in nested[0]:
                    if item.get(name) in (None, ""):
                        item[name] = field_value(name, values, n + len(item))
            elif changed.get(name) in (None, "", [], {}):
                changed[name] = field_value(name, values, n + len(changed))
    for match in _TYPE.finditer(message):
        name = _key(changed, match.group(1))
        changed[name] = _typed(match.group(2), name, changed.get(name), values, n + len(changed))
    for match in _RANGE.finditer(message):
        name = _key(changed, match.group(1))
        if match.group(1).lower() in ("length", "size"):
            continue
        changed[name] = _in_range(
            _number(match.group(2)), _number(match.group(3)), changed.get(name)
        )
    for match in _AT_LEAST.finditer(message):
        name = _key(changed, match.group(1))
        low = _number(match.group(2)) if match.group(2) else 1
        changed[name] = _in_range(low, max(low, 2) + 1, changed.get(name))
    for match in _AT_MOST.finditer(message):
        name = _key(changed, match.group(1))
        high = _number(match.group(2))
        changed[name] = _in_range(min(high, 1), high, changed.get(name))
    for match in _CHOICES.finditer(message):
        name = _key(changed, match.group(1))
        choices = [c.strip(" '\"`.") for c in match.group(2).split(",") if c.strip(" '\"`.")]
        if choices:
            changed[name] = choices[0]
    for match in _LENGTH.finditer(message):
        name = _key(changed, match.group(1))
        low, high = int(match.group(2)), int(match.group(3))
        size = max(low, min(high, 16))
        if (match.group(4) or "").lower() == "digits":
            changed[name] = ("4242" * 8)[:size]
        elif is_email(name):
            changed[name] = f"tb{n}@example.com"
        else:
            changed[name] = (f"tb{name}{n}" * 8)[:size]
    for match in _EACH.finditer(message):
        keys = [k.strip() for k in match.group(2).split(",") if k.strip()]
        item = {k: field_value(k, values, n + i) for i, k in enumerate(keys)}
        lists = [k for k in changed if singular(k.lower()) == match.group(1).lower()]
        lists = lists or [k for k, v in changed.items() if isinstance(v, list)]
        if lists:
            changed[lists[0]] = [item]
    for name, value in list(changed.items()):
        if (
            isinstance(value, list)
            and not value
            and re.search(rf"\b{re.escape(name)}\b[^\n]*\b(1|one|least)\b", message)
        ):
            changed[name] = [{}]
    for match in _REFERENCE.finditer(message):
        name = _key(changed, match.group(1))
        if name in changed and name.lower().endswith("_id"):
            changed[name] = field_value(name, values, n)
    if status == 409 or _CONFLICT.search(message):
        for name, value in changed.items():
            if isinstance(value, str) and value and "password" not in name.lower():
                changed[name] = _fresh(value, n)
    if body is None and _JSON_OBJECT.search(message) and not changed:
        return {}
    return changed if changed != current else None


def _fresh(value: str, n: int) -> str:
    """A different value of the same kind (emails stay emails)."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local}.{n}@{domain}"
    return f"{value} {n}"
