"""Hypothesis-driven fuzzing of one handler's body and query, shrunk to the smallest crash.

The fixed cases of :mod:`testboost.explore.cases` change one input at a time. Fuzzing mixes them:
Hypothesis draws whole bodies from small strategies per field (the valid value, other JSON types,
edge values), sends each, and when one makes the app answer 5xx, shrinks it to the minimal body
that still does. Runs are reproducible: no example database, a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from random import Random
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import Found, NoSuchExample, Unsatisfiable

from testboost.explore.exchange import Exchange, ProbeRequest

_EDGE_STRINGS = ("", " ", "0", "-1", "null", "a" * 300, "ünïcødé ✓", "1e309")
_EDGE_NUMBERS = (0, -1, 1, 2**31, 2**63 - 1, 2**64, 0.5, -0.0, 1e308)
#: The characters of fuzzed text: ASCII first (what shrinking falls back to), then whitespace and
#: control characters, accented and non-Latin letters, a character past the BMP, a zero-width
#: joiner and a right-to-left mark. Drawn as a list of characters: Hypothesis's own text
#: strategies build its Unicode tables (seconds of CPU) in every process, as their cache lives in
#: the sandbox of one run.
_ALPHABET = "a0Z -_.,;:'\"<>&%/\\\t\n\r\x00\x7féüßøçñ中文жщя😀\u200d\u200f"


def value_strategy(valid: Any) -> st.SearchStrategy[Any]:
    """Values for one field: its valid value first (what shrinking falls back to), then the rest."""
    return st.one_of(
        st.just(valid),
        st.sampled_from(_EDGE_NUMBERS),
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(_EDGE_STRINGS),
        st.lists(st.sampled_from(_ALPHABET), max_size=12).map("".join),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.sampled_from(("a", "id")), st.integers(), max_size=1),
    )


def body_strategy(valid: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies with every field of ``valid`` present but each possibly replaced by a fuzzed value."""
    return st.fixed_dictionaries({name: value_strategy(value) for name, value in valid.items()})


def fuzz_body(
    request: ProbeRequest,
    send: Callable[[ProbeRequest], Exchange],
    *,
    seed: int,
    examples: int,
) -> Exchange | None:
    """The exchange of the smallest fuzzed JSON body that makes the app answer 5xx, if any."""
    if not request.has_json or not isinstance(request.json, dict) or not request.json:
        return None
    crashes: dict[str, Exchange] = {}

    def crashes_app(body: dict[str, Any]) -> bool:
        exchange = send(_with_body(request, body))
        if exchange.status >= 500 and not exchange.timed_out:
            crashes[repr(body)] = exchange
            return True
        return False

    try:
        minimal = find(
            body_strategy(request.json),
            crashes_app,
            settings=settings(
                max_examples=examples,
                database=None,
                deadline=None,
                phases=(Phase.generate, Phase.shrink),
                suppress_health_check=list(HealthCheck),
            ),
            random=Random(seed),
        )
    except (NoSuchExample, Unsatisfiable, Found):
        return None
    return crashes.get(repr(minimal))


def _with_body(request: ProbeRequest, body: dict[str, Any]) -> ProbeRequest:
    from dataclasses import replace

    return replace(request, json=body)
