"""What a generated test may assert about a response: stable values only.

A value is pinned when two replays agree on it and it is not volatile: a generated id, a timestamp,
a token or a UUID is pinned only when it repeats a value of the request or of the seeded rows
(``GET /orders/1`` answers ``"id": 1`` because the path said 1). Everything else volatile becomes
``ANY``. HTML and text answers are checked through a few lines that both replays share, preferring
the lines that set this answer apart from the route's usual one.

>>> known = Known.of(requests=[{"name": "Ada"}], seed=[{"id": 1, "created": "2024-01-02 03:04:05"}])
>>> stable({"id": 7, "name": "Ada"}, {"id": 7, "name": "Ada"}, known)
{'id': Name(source='ANY'), 'name': 'Ada'}
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from testboost.generate.pycode import ANY_VALUE, Name

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_HTTP_DATE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-.=+/:$]{20,}")
_ID_KEY = re.compile(r"(^(id|pk|uuid|guid)$)|(_id|_pk|_uuid|Id|Uuid)$")
_VOLATILE_KEY = re.compile(
    r"token|csrf|nonce|secret|signature|session|expires|^exp$|^iat$|^nbf$|^jti$|timestamp|_at$|"
    r"^time$|_time$|^date$|_date$|^now$|^ref$|_ref$|reference|^etag$|^version_id$",
    re.IGNORECASE,
)
_TAG_ONLY = re.compile(r"^(</?[a-zA-Z][^>]*>\s*)+$")
#: Longest line of text a generated test asserts on.
SNIPPET_LIMIT = 150


def _datetime_key(text: str) -> str:
    return text[:19].replace("T", " ")


@dataclass(frozen=True)
class Known:
    """Values a response may repeat and still be stable: the request's and the seeded rows'."""

    scalars: frozenset[Any]
    texts: frozenset[str]
    datetimes: frozenset[str]
    generated: frozenset[Any] = frozenset()

    @classmethod
    def of(cls, *, requests: Iterable[Any] = (), seed: Iterable[Mapping[str, Any]] = ()) -> Known:
        """The values found in request inputs and in seeded rows."""
        scalars: set[Any] = set()
        for value in [*_leaves(list(requests)), *(v for row in seed for v in row.values())]:
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int | float | str):
                scalars.add(value)
                if isinstance(value, str) and value.isdigit():
                    scalars.add(int(value))
        texts = frozenset(v for v in scalars if isinstance(v, str) and len(v) >= 3)
        datetimes = frozenset(_datetime_key(v) for v in texts if _DATETIME.match(v))
        return cls(frozenset(scalars), texts, datetimes)

    def with_request(self, values: Iterable[Any]) -> Known:
        """These known values plus the inputs of one more request."""
        extra = Known.of(requests=list(values))
        return Known(
            self.scalars | extra.scalars,
            self.texts | extra.texts,
            self.datetimes | extra.datetimes,
            self.generated,
        )

    def with_generated(self, keys: Iterable[Any]) -> Known:
        """These known values, with the keys of rows a request inserted marked as generated."""
        return Known(self.scalars, self.texts, self.datetimes, self.generated | frozenset(keys))

    def knows(self, value: Any) -> bool:
        """Whether ``value`` repeats a request input or a seeded value."""
        if isinstance(value, str) and _DATETIME.match(value):
            return _datetime_key(value) in self.datetimes or value in self.scalars
        try:
            return value in self.scalars
        except TypeError:
            return False


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def volatile_scalar(value: Any, key: str | None, known: Known) -> bool:
    """Whether a scalar that two replays agreed on may still change from run to run."""
    if value is None or isinstance(value, bool):
        return False
    is_id = key is not None and bool(_ID_KEY.search(key)) and isinstance(value, int | str)
    if is_id and value in known.generated:
        return True
    if known.knows(value):
        return False
    if is_id:
        return True
    if key is not None and _VOLATILE_KEY.search(key):
        return True
    if isinstance(value, str):
        return bool(
            _UUID.search(value)
            or _DATETIME.search(value)
            or _HTTP_DATE.search(value)
            or (_TOKEN.fullmatch(value) and _mixed(value))
        )
    return False


def _mixed(text: str) -> bool:
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def stable(first: Any, second: Any, known: Known, key: str | None = None) -> Any:
    """``first`` with every part that differs from ``second`` or is volatile replaced by ANY."""
    if isinstance(first, dict) and isinstance(second, dict):
        if set(first) != set(second):
            return ANY_VALUE
        return {k: stable(first[k], second[k], known, k) for k in first}
    if isinstance(first, list) and isinstance(second, list):
        if len(first) != len(second) or (first != second and _reordered(first, second)):
            # the same items in another order (a set, a dict keyed by hash): no position is
            # stable, even one where both replays happen to agree
            return ANY_VALUE
        items = [stable(a, b, known, key) for a, b in zip(first, second, strict=True)]
        varying = _varying_fields(first, second)
        if not varying:
            return items
        # a field of a list's objects that changed in one item is not pinned in any: where the
        # replays agreed on it, they agreed by chance (rows numbered in a hash-seeded order)
        return [
            {k: ANY_VALUE if k in varying else v for k, v in item.items()}
            if isinstance(item, dict)
            else item
            for item in items
        ]
    if type(first) is not type(second) or first != second:
        return ANY_VALUE
    return ANY_VALUE if volatile_scalar(first, key, known) else first


def _varying_fields(first: list[Any], second: list[Any]) -> set[str]:
    """The fields of a list of objects that differ between the replays in at least one item."""
    if not all(isinstance(item, dict) for item in [*first, *second]):
        return set()
    return {k for a, b in zip(first, second, strict=True) for k in {*a, *b} if a.get(k) != b.get(k)}


def _reordered(first: list[Any], second: list[Any]) -> bool:
    """Whether two lists hold the same items in a different order."""
    keys = [json.dumps(item, sort_keys=True, default=repr) for item in first]
    others = [json.dumps(item, sort_keys=True, default=repr) for item in second]
    return keys != others and sorted(keys) == sorted(others)


def is_pinned(value: Any) -> bool:
    """Whether a stable value says anything (it is not ANY as a whole)."""
    return not (isinstance(value, Name) and value == ANY_VALUE)


def volatile_line(line: str, known: Known) -> bool:
    """Whether a line of text carries something that changes from run to run."""
    for pattern in (_UUID, _DATETIME, _HTTP_DATE):
        for match in pattern.finditer(line):
            if not known.knows(match.group(0)):
                return True
    if any(not known.knows(t) and _mixed(t) for t in _TOKEN.findall(line)):
        return True
    return bool(re.search(r"csrf|nonce", line, re.IGNORECASE))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def snippets(
    first: str, second: str, known: Known, *, usual: str | None = None, limit: int = 3
) -> list[str]:
    """Up to ``limit`` lines both replays of a text answer share, the most telling first.

    A line counts more when ``usual`` (the route's ordinary answer) lacks it, when it repeats a
    request or seed value, and when it is a page title or heading; bare tags and volatile lines
    are never chosen. The lines are returned in the order they appear.
    """
    shared = set(_lines(second))
    usual_lines = set(_lines(usual)) if usual is not None else set()
    scored: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for position, line in enumerate(_lines(first)):
        if line in seen or line not in shared or len(line) > SNIPPET_LIMIT:
            continue
        seen.add(line)
        if _TAG_ONLY.match(line) or len(re.sub(r"<[^>]*>", "", line).strip()) < 3:
            continue
        if line.lower().startswith(("<!doctype", "<html", "<meta", "<link", "<script")):
            continue
        if volatile_line(line, known):
            continue
        score = 0
        if usual is not None and line not in usual_lines:
            score += 4
        unescaped = html.unescape(line)
        if any(t in unescaped for t in known.texts if not t.isdigit()):
            score += 2
        if "<title>" in line or "<h1>" in line or 'class="flash"' in line or "error" in line:
            score += 1
        scored.append((score, position, line))
    best = sorted(scored, key=lambda item: (-item[0], item[1]))[:limit]
    if usual is not None and best and best[0][0] < 4:
        # nothing sets this answer apart: one line about it is enough
        best = best[:1]
    return [line for _, _, line in sorted(best, key=lambda item: item[1])]
