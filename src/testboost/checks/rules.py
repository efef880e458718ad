"""What checks read from a URL rule: its path values, its resource family, its part in logging in.

>>> family("/api/products/<int:product_id>/reviews")
'/api/products'
>>> path_values("/api/users/<int:user_id>", "/api/users/7")
{'user_id': '7'}
>>> is_auth_flow("/api/auth/login")
True
"""

from __future__ import annotations

import re

_VARIABLE = re.compile(r"<(?:(?P<converter>[^:<>]+):)?(?P<name>[^<>]+)>")
_AUTH_WORDS = re.compile(
    r"log(in|out)|sign(in|out|up)|register|registration|tokens?|refresh|sessions?|oauth2?"
    r"|callback|authori[sz]e|passwords?|forgot|reset|verify|verification|confirm|confirmation"
    r"|activate|activation"
)
#: Methods that change state; the others only read.
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def static_segments(rule: str) -> list[str]:
    """The literal path segments of a rule, variables left out."""
    return [s for s in rule.split("/") if s and not _VARIABLE.search(s)]


def family(rule: str) -> str:
    """The literal prefix of a rule up to its first variable: the resource it is about.

    ``/api/products``, ``/api/products/<id>`` and ``/api/products/<id>/reviews`` share a family.
    """
    prefix = _VARIABLE.split(rule, maxsplit=1)[0] if _VARIABLE.search(rule) else rule
    return "/" + "/".join(s for s in prefix.split("/") if s)


def is_auth_flow(rule: str) -> bool:
    """Whether a rule belongs to logging in: login, register, token refresh, password reset...

    Such routes are meant to be called without credentials, may hand out tokens, and may write
    (a new user, a last-login time) on an anonymous request.
    """
    for segment in static_segments(rule):
        words = re.split(r"[-_.]", segment.lower())
        if any(_AUTH_WORDS.fullmatch(word) for word in [*words, "".join(words)]):
            return True
    return False


def path_values(rule: str, path: str) -> dict[str, str]:
    """The value of each variable of ``rule`` in a concrete ``path`` (empty if it does not match)."""
    pattern = ""
    position = 0
    for match in _VARIABLE.finditer(rule):
        pattern += re.escape(rule[position : match.start()])
        converter = match.group("converter") or ""
        part = ".+" if converter.startswith("path") else "[^/]+"
        pattern += f"(?P<{_group(match.group('name'))}>{part})"
        position = match.end()
    pattern += re.escape(rule[position:])
    found = re.fullmatch(pattern, path.split("?", 1)[0])
    if found is None:
        return {}
    names = [m.group("name") for m in _VARIABLE.finditer(rule)]
    return {name: found.group(_group(name)) for name in names}


def _group(name: str) -> str:
    return "v_" + re.sub(r"\W", "_", name)
