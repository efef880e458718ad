"""Names in the generated suite: test functions, modules, parametrize ids, constants.

A test is named for the request and the behaviour: ``test_get_order_returns_404_for_an_unknown_id``.
The resource part comes from the rule: ``/api/orders/<int:order_id>/items`` is ``order_items``.

>>> resource_slug("/api/orders/<int:order_id>/items")
'order_items'
>>> resource_slug("/")
'index'
>>> resource_prefix("/api/v1/orders/<int:order_id>/items")
'orders'
"""

from __future__ import annotations

import re

from testboost.generate.pycode import identifier

_VARIABLE = re.compile(r"^<(?:[^:<>]+:)?([^<>]+)>$")
_PREFIXES = re.compile(r"^(api|rest|v\d+(\.\d+)?)$", re.IGNORECASE)
#: Longest test name written; longer ones are cut at a word boundary.
NAME_LIMIT = 88


def singular(word: str) -> str:
    """A plural noun's singular, for the usual English endings (``categories`` → ``category``)."""
    lowered = word.lower()
    if lowered.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if lowered.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if lowered.endswith("s") and not lowered.endswith(("ss", "us", "is")) and len(word) > 2:
        return word[:-1]
    return word


def resource_slug(rule: str) -> str:
    """The resource a rule is about, as words: each ``name/<id>`` pair reads as the singular."""
    segments = [s for s in rule.split("/") if s]
    while segments and _PREFIXES.match(segments[0]):
        segments = segments[1:]
    words: list[str] = []
    for index, segment in enumerate(segments):
        if _VARIABLE.match(segment):
            continue
        following = segments[index + 1] if index + 1 < len(segments) else ""
        words.append(singular(segment) if _VARIABLE.match(following) else segment)
    slug = identifier("_".join(words), default="")
    return slug or "index"


def resource_prefix(rule: str) -> str:
    """The resource a rule belongs to: its first path segment after ``api``/``v1`` prefixes, as
    an identifier (``/api/v1/orders/<int:id>/items`` → ``orders``); ``index`` for ``/`` and ``app``
    when the first segment is a variable."""
    segments = [s for s in rule.split("/") if s]
    while segments and _PREFIXES.match(segments[0]):
        segments = segments[1:]
    if not segments:
        return "index"
    if _VARIABLE.match(segments[0]) or "<" in segments[0]:
        return "app"
    return identifier(segments[0], default="app")


#: How a test name says why its request was sent, for the kinds every module words the same.
CASE_PHRASES = {"unknown-id": "for_an_unknown_id", "anonymous": "without_credentials"}


def case_phrase(kind: str, description: str, more: dict[str, str] | None = None) -> str:
    """The words a test name uses for why a request was sent.

    >>> case_phrase("unknown-id", "an id that does not exist")
    'for_an_unknown_id'
    >>> case_phrase("missing-field", "no 'email'")
    'when_no_email'
    """
    phrase = {**CASE_PHRASES, **(more or {})}.get(kind)
    return phrase or f"when_{identifier(description)}"


def make_test_name(method: str, rule: str, behaviour: str) -> str:
    """``test_<method>_<resource>_<behaviour>``, cut to :data:`NAME_LIMIT` characters."""
    return shorten(f"test_{method.lower()}_{resource_slug(rule)}_{identifier(behaviour)}")


def shorten(name: str, limit: int = NAME_LIMIT) -> str:
    """``name`` cut at the last ``_`` before ``limit`` characters."""
    if len(name) <= limit:
        return name
    return name[:limit].rsplit("_", 1)[0]


def param_id(text: str) -> str:
    """A readable parametrize id: ``price is negative`` → ``price-is-negative``."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:60].rstrip("-") or "case"


class Names:
    """Hands out names that are unique within one module (``name``, ``name_2``, ...)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def take(self, name: str) -> str:
        """``name``, or ``name_<n>`` with the smallest ``n`` not taken yet."""
        candidate, number = name, 1
        while candidate in self._used:
            number += 1
            candidate = f"{name}_{number}"
        self._used.add(candidate)
        return candidate
