"""Values for inputs and seeded rows: valid ones by name and type, and the invalid variants.

Names carry most of the meaning in pasted Flask code (``email``, ``quantity``, ``price``), so a
field's name picks its value first and its type second. Every value is deterministic for a given
counter, so two runs with the same seed send the same requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PASSWORD = "Tb-Passw0rd!2024"
EVIL_URL = "https://evil.example.com/phish"
#: One unbalanced quote of each kind: string-built SQL breaks on it, bound parameters do not care.
QUOTE = "tb'\"quote"
#: A condition that is always true once it escapes a string literal, and its harmless twin: a
#: query built by string formatting returns more rows for the first than for the second.
TAUTOLOGY = "zzz' OR '1'='1' -- "
CONTROL = "zzz"
#: An integer one past 64 bits: ``int()`` takes it, SQLite and C libraries overflow on it.
HUGE_INT = 2**64
#: A redirect target carrying CR/LF: a header built from it splits, or the app raises.
CRLF_TARGET = "/\r\nX-Injected: tb"

_EMAIL = re.compile(r"e_?mail", re.IGNORECASE)
_POSITIVE = re.compile(
    r"(quantity|qty|count|stock|amount|price|cost|total|age|size|limit|per_page|weight|rating)",
    re.IGNORECASE,
)
_REDIRECT = re.compile(
    r"^(next|url|redirect|redirect_to|redirect_uri|return|return_to|returnto|return_url|"
    r"continue|dest|destination|target|goto|back)$",
    re.IGNORECASE,
)
_PROTECTED_VALUES: dict[str, Any] = {
    "is_admin": True,
    "admin": True,
    "is_staff": True,
    "is_superuser": True,
    "is_active": True,
    "verified": True,
    "is_verified": True,
    "role": "admin",
    "roles": "admin",
}


def is_email(name: str) -> bool:
    """Whether a field name means an email address."""
    return bool(_EMAIL.search(name))


def is_redirect_target(name: str) -> bool:
    """Whether a parameter name looks like a redirect destination (``next``, ``return_to``...)."""
    return bool(_REDIRECT.match(name))


def must_be_positive(name: str) -> bool:
    """Whether a number field's name says it cannot be negative (``quantity``, ``price``...)."""
    return bool(_POSITIVE.search(name))


def valid_value(name: str, kind: str, n: int, *, length: int | None = None) -> Any:
    """A plausible valid value for a field or column called ``name`` of type ``kind``.

    ``n`` makes values unique (emails, names, SKUs) across the rows and requests of one run.
    """
    lowered = name.lower()
    if kind == "bool" or lowered.startswith(("is_", "has_", "can_")):
        return False
    if is_email(lowered):
        return f"tb{n}@example.com"
    if "password" in lowered:
        return PASSWORD
    if kind in ("int", "float") or must_be_positive(lowered):
        if any(w in lowered for w in ("price", "amount", "cost", "total")):
            return 19.99 if kind != "int" else 20
        number = 2 if must_be_positive(lowered) else n
        return float(number) if kind == "float" else number
    if kind == "datetime" or lowered.endswith(("_at", "time", "timestamp")):
        return "2024-01-02T03:04:05"
    if kind == "date" or lowered.endswith(("date", "_on", "birthday")):
        return "2024-01-02"
    if kind == "json" or kind == "dict":
        return {}
    if kind == "list":
        return []
    if "url" in lowered or "website" in lowered or "link" in lowered:
        return f"https://example.com/{n}"
    if "phone" in lowered:
        return f"+1555000{n:04d}"
    if lowered in ("status", "state"):
        return "pending"
    if "card" in lowered and ("number" in lowered or lowered.endswith(("_no", "num"))):
        return "4242424242424242"
    if lowered in ("cvv", "cvc", "cvv2", "security_code"):
        return "123"
    if "expir" in lowered or lowered in ("exp", "exp_date"):
        return "12/30"
    if "card" in lowered or lowered.endswith("last4"):
        return "4242"
    if lowered in ("currency",):
        return "USD"
    if "sku" in lowered or "code" in lowered:
        return f"TB-{n:04d}"
    text = f"tb {lowered.replace('_', ' ')} {n}"
    return text[:length] if length else text


@dataclass(frozen=True)
class Variant:
    """An invalid value for one input: the case kind, a description, and the value."""

    kind: str
    description: str
    value: Any
    omit: bool = False


def invalid_variants(name: str, kind: str, *, required: bool, length: int | None) -> list[Variant]:
    """The invalid values worth sending for a field, most telling first."""
    variants: list[Variant] = []
    if required:
        variants.append(Variant("missing-field", f"{name} is missing", None, omit=True))
    if kind in ("int", "float"):
        variants.append(Variant("wrong-type", f"{name} is a string, not a number", "abc"))
    elif kind == "bool":
        variants.append(Variant("wrong-type", f"{name} is a string, not a boolean", "maybe"))
    elif kind in ("str", "any"):
        variants.append(Variant("wrong-type", f"{name} is an object, not a string", {"x": 1}))
    if is_email(name):
        variants.append(Variant("malformed", f"{name} is not an email address", "not-an-email"))
    if must_be_positive(name) and kind in ("int", "float", "any"):
        variants.append(Variant("malformed", f"{name} is negative", -5))
    if length is not None and kind in ("str", "any"):
        too_long = "x" * (length + 50)
        variants.append(
            Variant("malformed", f"{name} is longer than {length} characters", too_long)
        )
    if required and kind in ("str", "any") and not is_email(name):
        variants.append(Variant("malformed", f"{name} is empty", ""))
    return variants


def protected_value(column: str, other_user: Any) -> Any:
    """What to send for a column a client must not set, to see if the app stores it."""
    lowered = column.lower()
    if lowered in _PROTECTED_VALUES:
        return _PROTECTED_VALUES[lowered]
    if lowered == "id":
        return 99999
    if lowered.endswith(("user_id", "owner_id", "author_id", "customer_id", "account_id")):
        return other_user
    if "password" in lowered:
        return "tb-overwritten-hash"
    if lowered.endswith(("_at", "_on")):
        return "2000-01-01T00:00:00"
    return True


def protected_columns(columns: list[str], owner_column: str | None) -> list[str]:
    """Columns of a table that clients must not be able to set."""
    protected = []
    for column in columns:
        lowered = column.lower()
        if (
            lowered in _PROTECTED_VALUES
            or lowered == "id"
            or "password" in lowered
            or lowered in ("created_at", "updated_at")
            or column == owner_column
        ):
            protected.append(column)
    return protected


def secret_columns(columns: list[str]) -> list[str]:
    """Columns whose values must never appear in a response (hashes, tokens, keys)."""
    words = ("password", "secret", "token", "api_key", "apikey", "private_key", "otp")
    return [c for c in columns if any(w in c.lower() for w in words)]
