"""``data-leak``: a response carries secrets: password hashes, tokens, keys, config, stack traces.

Any response is judged, whatever its status. Critical when the body carries

- a value that looks like a password hash (``pbkdf2:``, ``scrypt:``, ``$2b$``, ``$argon2id$``...);
- a password, secret, key or token under a JSON key named for one (``password_hash``,
  ``api_key``, ``reset_token``, or a column the explorer marked secret). The value must look like
  one (no spaces; tokens at least 16 characters) and must not be an echo of the request's own
  input or credentials (the token of its ``Authorization`` header) or sit inside an error
  object (``{"errors": {"password": "required"}}``). The access and refresh tokens of login-flow routes, and a key a route is named for (``/api-keys``), are their
  purpose, not a leak;
- a secret value of the app's configuration (``SECRET_KEY``...).

High when it carries a Python stack trace.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from testboost.checks import Finding, register
from testboost.checks.compare import normalise_name
from testboost.checks.rules import is_auth_flow, static_segments
from testboost.explore.exchange import Exchange, ProbeFacts, ProbeRequest

CHECK = "data-leak"
_HASH = re.compile(
    r"pbkdf2:sha\d+(?::\d+)?\$[^$\s\"'<>]+\$[0-9a-f]{16,}"
    r"|scrypt:\d+:\d+:\d+\$[^$\s\"'<>]+\$[0-9a-f]{16,}"
    r"|\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}"
    r"|\$argon2(?:id|i|d)\$[^\s\"'<>]+"
    r"|pbkdf2_sha(?:1|256|512)\$\d+\$[^$\s\"'<>]+\$[^\s\"'<>]+"
    r"|\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}"
)
_HASH_PREFIX = re.compile(r"^(\$\w+\$|[a-z0-9_]+[:$])")
_TRACE = re.compile(r"most recent call last|File \"[^\"\n]+\", line \d+, in ")
_PASSWORD_KEYS = {
    "password",
    "passwd",
    "pwd",
    "passwordhash",
    "hashedpassword",
    "passworddigest",
    "encryptedpassword",
    "pwhash",
    "passhash",
    "pwdhash",
}
_SECRET_KEYS = {
    "secret",
    "secretkey",
    "clientsecret",
    "apikey",
    "apisecret",
    "privatekey",
    "accesskey",
    "secretaccesskey",
    "otpsecret",
    "totpsecret",
    "mfasecret",
    "signingkey",
    "encryptionkey",
}
_NOT_SECRET_TOKENS = {
    "nexttoken",
    "pagetoken",
    "nextpagetoken",
    "continuationtoken",
    "paginationtoken",
}
_LOGIN_TOKENS = {
    "token",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "authtoken",
    "sessiontoken",
    "jwt",
}
_ERROR_CONTAINERS = {"error", "errors", "message", "messages", "detail", "details", "validation"}
_MIN_SECRET = 6
_MIN_TOKEN = 16
_MIN_CONFIG_SECRET = 8


@register(CHECK)
def data_leak(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """Responses whose body carries a secret or a stack trace."""
    secret_columns = {
        normalise_name(c) for columns in facts.secret_columns.values() for c in columns
    }
    for exchange in exchanges:
        leaks = list(dict.fromkeys(_leaks(exchange, facts, secret_columns)))
        if not leaks:
            continue
        severity = "critical" if any(s == "critical" for s, _ in leaks) else "high"
        yield Finding.from_exchange(
            CHECK,
            severity,
            exchange,
            f"answered {exchange.status} with {', '.join(text for _, text in leaks)}",
        )


def _leaks(
    exchange: Exchange, facts: ProbeFacts, secret_columns: set[str]
) -> Iterator[tuple[str, str]]:
    body = exchange.body
    if exchange.is_json:
        sent = _sent_values(exchange.request)
        allowed = _allowed_keys(exchange.rule)
        for path, key, value in _strings(exchange.json, ()):
            leak = _key_leak(path, key, value, sent, allowed, secret_columns)
            if leak:
                yield "critical", leak
    else:
        for match in _HASH.finditer(body):
            yield "critical", f"a password hash ({_hash_prefix(match.group())}…)"
    if any(len(s) >= _MIN_CONFIG_SECRET and s in body for s in facts.secrets):
        yield "critical", "a secret value of the app's configuration"
    if _TRACE.search(body):
        yield "high", "a Python stack trace"


def _key_leak(
    path: tuple[str, ...],
    key: str,
    value: str,
    sent: set[str],
    allowed: set[str],
    secret_columns: set[str],
) -> str | None:
    if _HASH.search(value):
        where = key or (path[-1] if path else "")
        inside = f" in {where!r}" if where else ""
        return f"a password hash{inside} ({_hash_prefix(value)}…)"
    if not key:  # an item of a list: messages, tags, never a credential on its own
        return None
    name = normalise_name(key)
    if name in allowed or value in sent or not _looks_secret(value):
        return None
    if any(normalise_name(p) in _ERROR_CONTAINERS for p in path):
        return None
    if name in _PASSWORD_KEYS:
        return f"a password in {key!r}"
    if name.endswith("token") and not name.startswith(("csrf", "xsrf")):
        if name not in _NOT_SECRET_TOKENS and len(value) >= _MIN_TOKEN:
            return f"a token in {key!r}"
        return None
    if name in _SECRET_KEYS or name in secret_columns:
        return f"a secret in {key!r}"
    return None


def _looks_secret(value: str) -> bool:
    stripped = value.strip()
    return (
        len(stripped) >= _MIN_SECRET
        and not any(c.isspace() for c in stripped)
        and any(c.isalnum() for c in stripped)
        and len(set(stripped)) > 1
    )


def _hash_prefix(value: str) -> str:
    match = _HASH_PREFIX.match(value)
    return match.group() if match else value[:6]


def _allowed_keys(rule: str) -> set[str]:
    """Keys a route hands out on purpose: login tokens, and whatever the route is named for."""
    named = {normalise_name(s) for s in static_segments(rule)}
    allowed = {n.removesuffix("s") for n in named} | named
    if is_auth_flow(rule):
        allowed |= _LOGIN_TOKENS
    return allowed


def _sent_values(request: ProbeRequest) -> set[str]:
    """The string values the request itself carried, which an answer may echo.

    Header values count whole and word by word: a route that hands the caller back the token it
    was sent with (``Authorization: Token <jwt>``, RealWorld's ``GET /api/user``) shows the
    caller their own credential, not someone else's.
    """
    values = {v for _, v in (*request.query, *(request.form or ()))}
    values.update(value for _, _, value in _strings(request.json, ()))
    for _, value in request.headers:
        values.add(value)
        values.update(value.split())
    return values


def _strings(body: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """Every string in a JSON value with the keys above it and its own key (``""`` in a list)."""
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str):
                yield path, str(key), value
            else:
                yield from _strings(value, (*path, str(key)))
    elif isinstance(body, list):
        for value in body:
            if isinstance(value, str):
                yield path, "", value
            else:
                yield from _strings(value, path)
