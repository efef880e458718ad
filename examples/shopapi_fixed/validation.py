"""Small request-validation helpers: each raises ``ValidationError``, answered as 400 JSON."""

import math
import re

from flask import abort, request

from .extensions import db

EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
MAX_ID = 2**63 - 1
MISSING = object()


class ValidationError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def json_body(allowed=None):
    """The request's JSON object; unknown keys are refused when ``allowed`` is given."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("request body must be a JSON object")
    if allowed is not None and set(data) - set(allowed):
        # name the fields that are allowed, never echo the ones sent
        raise ValidationError(f"unexpected field; allowed fields: {', '.join(sorted(allowed))}")
    return data


def _present(data, key, required, nullable, default=MISSING):
    """(True, value) to go on validating; (False, result) when absent or null is the answer."""
    value = data.get(key, MISSING)
    if value is MISSING:
        if required and default is MISSING:
            raise ValidationError(f"{key} is required")
        return False, default
    if value is None:
        if not nullable:
            raise ValidationError(f"{key} must not be null")
        return False, None
    return True, value


def string(data, key, *, required=True, nullable=False, max_length=255, min_length=1, strip=True):
    present, value = _present(data, key, required, nullable)
    if not present:
        return value
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be a string")
    if strip:
        value = value.strip()
    if "\x00" in value:
        raise ValidationError(f"{key} must not contain NUL characters")
    if not min_length <= len(value) <= max_length:
        raise ValidationError(f"{key} must be {min_length} to {max_length} characters long")
    return value


def email(data, key="email", *, required=True):
    value = string(data, key, required=required, max_length=120)
    if isinstance(value, str):
        value = value.lower()
        if not EMAIL_RE.match(value):
            raise ValidationError(f"{key} is not a valid email address")
    return value


def integer(
    data, key, *, required=True, nullable=False, minimum=0, maximum=MAX_ID, default=MISSING
):
    present, value = _present(data, key, required, nullable, default)
    if not present:
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(f"{key} must be an integer")
    if not minimum <= value <= maximum:
        raise ValidationError(f"{key} must be between {minimum} and {maximum}")
    return value


def number(data, key, *, required=True, minimum=0.0, maximum=1_000_000.0):
    present, value = _present(data, key, required, nullable=False)
    if not present:
        return value
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValidationError(f"{key} must be a number")
    # compare before converting: NaN fails every comparison, huge ints do not fit a float
    if not (isinstance(value, int) or math.isfinite(value)) or not minimum <= value <= maximum:
        raise ValidationError(f"{key} must be between {minimum:g} and {maximum:g}")
    return round(float(value), 2)


def query_int(name, *, default, minimum, maximum):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer") from None
    if not minimum <= value <= maximum:
        raise ValidationError(f"{name} must be between {minimum} and {maximum}")
    return value


def get_or_404(model, ident, what=None):
    obj = db.session.get(model, ident) if 0 <= ident <= MAX_ID else None
    if obj is None:
        abort(404, description=f"{what or model.__name__} not found")
    return obj
