"""How checks compare a value a client sent with a value the database stored.

SQLite keeps booleans as 0/1, Flask-SQLAlchemy writes datetimes with a space and microseconds, and
apps turn ``"99999"`` into ``99999`` on the way in: :func:`loosely_equal` sees through all of that.
:func:`stored_as_sent` is stricter about strings, for judging whether invalid input was kept as is.

>>> loosely_equal(1, True), loosely_equal("99999", 99999), loosely_equal("a", "b")
(True, True, False)
"""

from __future__ import annotations

import json
import re
from typing import Any

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def normalise_name(name: str) -> str:
    """A field or column name without case, separators or a dotted prefix: ``userName`` → ``username``."""
    return re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())


def names_match(column: str, field: str) -> bool:
    """Whether a column is named like an input field (``user_name`` and ``userName`` match)."""
    return normalise_name(column) == normalise_name(field)


def is_empty(value: Any) -> bool:
    """NULL, or a string of nothing but whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def loosely_equal(stored: Any, sent: Any) -> bool:
    """Whether a stored value is the value sent, allowing for how databases and apps convert it.

    >>> loosely_equal("2000-01-01 00:00:00.000000", "2000-01-01T00:00:00")
    True
    """
    if stored is None or sent is None:
        return stored is None and sent is None
    if isinstance(stored, bool) or isinstance(sent, bool):
        truth = _as_bool(stored)
        return truth is not None and truth == _as_bool(sent)
    if isinstance(sent, (dict, list)) or isinstance(stored, (dict, list)):
        return stored == sent or _as_text(stored) == _as_text(sent)
    left_number, right_number = _as_number(stored), _as_number(sent)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    stored_text, sent_text = str(stored).strip(), str(sent).strip()
    if stored_text == sent_text:
        return True
    if _DATE.match(stored_text) and _DATE.match(sent_text):
        stored_time, sent_time = _as_datetime_text(stored_text), _as_datetime_text(sent_text)
        return stored_time.startswith(sent_time) or sent_time.startswith(stored_time)
    return False


def stored_as_sent(stored: Any, sent: Any) -> bool:
    """Whether the database kept exactly the (invalid) value sent.

    Unlike :func:`loosely_equal`, a string sent must be stored as that string: ``"12"`` stored as
    ``12`` means the app parsed it, which is not accepting garbage.
    """
    if isinstance(sent, str):
        return isinstance(stored, str) and stored.strip() == sent.strip()
    if isinstance(sent, (dict, list)):
        return isinstance(stored, str) and stored.strip() in _text_forms(sent)
    return loosely_equal(stored, sent)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, sort_keys=True, default=str)


def _text_forms(value: Any) -> set[str]:
    """The ways an app may have turned a JSON object or list into a string before storing it."""
    return {
        json.dumps(value, default=str),
        json.dumps(value, separators=(",", ":"), default=str),
        json.dumps(value, sort_keys=True, default=str),
        str(value),
    }


def _as_datetime_text(value: str) -> str:
    text = value.replace("T", " ")
    for suffix in ("Z", "+00:00"):
        text = text.removesuffix(suffix)
    return text
