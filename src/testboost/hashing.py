"""Cheap password hashing while an app is probed or tested, the way Django's test settings do it.

A password hash is slow on purpose: Werkzeug's default scrypt takes ~0.1 s, and an app behind
HTTP Basic auth verifies it on every request, so most of a probe's time would be the app
hashing the probe's own passwords. While testboost drives an app (and in every conftest it
generates) the hashing libraries make new hashes at their lowest cost instead:

========================================  ===================================================
library                                   a new hash is made with
========================================  ===================================================
Werkzeug ``generate_password_hash``       ``scrypt:128:8:1`` (scrypt) or 1 pbkdf2 iteration
``bcrypt.gensalt`` (Flask-Bcrypt too)     4 rounds (``BCRYPT_LOG_ROUNDS = 4``)
passlib handlers and ``CryptContext``     the handler's minimum rounds
argon2-cffi ``PasswordHasher``            1 pass over 8 KiB, 1 lane
========================================  ===================================================

Verifying is never changed: a hash carries its own method and cost, so the cheap hashes verify
with the app's own check function, and the hashes already stored in a database (made at full
cost) still verify, at their own cost.

>>> undo = install_cheap_hashing()
>>> generate_password_hash("pw").split("$")[0]                       # doctest: +SKIP
'scrypt:128:8:1'
>>> undo()
"""

from __future__ import annotations

# The rest of this module is copied as is into every generated conftest (see
# :func:`conftest_source`): it uses the standard library only, and reaches a hashing library
# only when it is installed.
# --- conftest ---
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

#: The Werkzeug method a scrypt hash is made with while cheap: n=128 instead of 32768, the
#: least that fits in the memory limit Werkzeug gives ``hashlib.scrypt``.
CHEAP_SCRYPT = "scrypt:128:8:1"
#: bcrypt's lowest cost (log2 of the rounds).
CHEAP_BCRYPT_ROUNDS = 4
#: argon2's lowest cost: passes, memory in KiB (at least 8 per lane) and lanes.
CHEAP_ARGON2 = (1, 8, 1)


def cheap_werkzeug_method(method: str) -> str:
    """The lowest-cost form of a Werkzeug hash method (``"scrypt"`` -> ``"scrypt:128:8:1"``).

    Methods other than scrypt and pbkdf2 (the salted ``sha256`` of old Werkzeug) are already
    cheap and are left as they are.

    >>> cheap_werkzeug_method("pbkdf2:sha256:600000")
    'pbkdf2:sha256:1'
    """
    name, _, rest = method.partition(":")
    if name == "scrypt":
        return CHEAP_SCRYPT
    if name == "pbkdf2":
        return f"pbkdf2:{rest.split(':')[0] or 'sha256'}:1"
    return method


def install_cheap_hashing(used: Callable[[str], None] | None = None) -> Callable[[], None]:
    """Make new password hashes cheap in every hashing library installed; returns the undo.

    ``used`` is told, once per hash made cheaper, what was changed (``"Werkzeug scrypt ->
    scrypt:128:8:1"``). Call it before the app is imported: ``from bcrypt import gensalt`` in the
    app binds whatever ``bcrypt.gensalt`` is at that moment.
    """
    tell = used or (lambda what: None)
    undo = [patch(tell) for name, patch in _PATCHES if _installed(name)]

    def restore() -> None:
        for step in reversed(undo):
            step()

    return restore


def _installed(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:  # not installed: nothing to make cheap
        return False
    return True


def _werkzeug(tell: Callable[[str], None]) -> Callable[[], None]:
    """Werkzeug (1.0 to 3.x): ``generate_password_hash`` calls ``_hash_internal`` by name.

    Only calls from ``generate_password_hash`` are changed, never those of
    ``check_password_hash``, which hashes with the method stored in the hash it checks. Patching
    the module's function (not ``generate_password_hash`` itself) also reaches an app that did
    ``from werkzeug.security import generate_password_hash`` before.
    """
    security: Any = importlib.import_module("werkzeug.security")
    real = security._hash_internal

    def _hash_internal(method: str, salt: str, password: Any) -> Any:
        if sys._getframe(1).f_code.co_name == "generate_password_hash":
            cheap = cheap_werkzeug_method(method)
            if cheap != method:
                tell(f"Werkzeug {method} -> {cheap}")
                method = cheap
        return real(method, salt, password)

    security._hash_internal = _hash_internal
    return lambda: setattr(security, "_hash_internal", real)


def _bcrypt(tell: Callable[[str], None]) -> Callable[[], None]:
    """bcrypt: ``gensalt`` picks the cost; Flask-Bcrypt calls it with ``BCRYPT_LOG_ROUNDS``."""
    module: Any = importlib.import_module("bcrypt")
    real = module.gensalt

    def gensalt(rounds: int = 12, prefix: bytes = b"2b") -> Any:
        if rounds > CHEAP_BCRYPT_ROUNDS:
            tell(f"bcrypt {rounds} -> {CHEAP_BCRYPT_ROUNDS} rounds")
            rounds = CHEAP_BCRYPT_ROUNDS
        return real(rounds=rounds, prefix=prefix)

    module.gensalt = gensalt
    return lambda: setattr(module, "gensalt", real)


def _passlib(tell: Callable[[str], None]) -> Callable[[], None]:
    """passlib: every handler with rounds (and every ``CryptContext`` scheme) takes its minimum.

    A context's ``min_desired_rounds`` is kept, so that ``verify_and_update`` does not rehash a
    cheap hash on every login.
    """
    handlers: Any = importlib.import_module("passlib.utils.handlers")
    real = handlers.HasRounds.__dict__["_generate_rounds"]

    def _generate_rounds(cls: Any) -> Any:
        default = real.__func__(cls)
        cheap = max(cls.min_rounds or 1, cls.min_desired_rounds or 0)
        if cheap < default:
            tell(f"passlib {cls.name} {default} -> {cheap} rounds")
            return cheap
        return default

    handlers.HasRounds._generate_rounds = classmethod(_generate_rounds)
    return lambda: setattr(handlers.HasRounds, "_generate_rounds", real)


def _argon2(tell: Callable[[str], None]) -> Callable[[], None]:
    """argon2-cffi: ``PasswordHasher.hash`` hashes with the least cost; ``verify`` reads the cost
    from the hash it checks, so it is left alone (``check_needs_rehash`` says a cheap hash needs
    rehashing, and the app's rehash on login is cheap too)."""
    module: Any = importlib.import_module("argon2")
    low_level: Any = importlib.import_module("argon2.low_level")
    real = module.PasswordHasher.hash

    def hash(self: Any, password: str | bytes, *, salt: bytes | None = None) -> str:
        passes, memory, lanes = CHEAP_ARGON2
        if (self.time_cost, self.memory_cost, self.parallelism) != CHEAP_ARGON2:
            tell(
                f"argon2 t={self.time_cost} m={self.memory_cost} p={self.parallelism} -> "
                f"t={passes} m={memory} p={lanes}"
            )
        secret = password.encode(self.encoding) if isinstance(password, str) else password
        made: bytes = low_level.hash_secret(
            secret=secret,
            salt=salt or os.urandom(self.salt_len),
            time_cost=passes,
            memory_cost=memory,
            parallelism=lanes,
            hash_len=self.hash_len,
            type=self.type,
        )
        return made.decode("ascii")

    module.PasswordHasher.hash = hash
    return lambda: setattr(module.PasswordHasher, "hash", real)


_PATCHES: tuple[tuple[str, Callable[[Callable[[str], None]], Callable[[], None]]], ...] = (
    ("werkzeug.security", _werkzeug),
    ("bcrypt", _bcrypt),
    ("passlib.utils.handlers", _passlib),
    ("argon2", _argon2),
)
# --- end of conftest ---


#: The characters of a bcrypt salt (bcrypt's own base64), and those that may end one: the last
#: of its 22 characters carries 2 bits of the salt and 4 unused ones, which must be zero.
BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
BCRYPT_LAST = ".Oeu"


def install_seeded_salts(seed: int) -> Callable[[], None]:
    """Draw the salts of new password hashes from ``random.Random(seed)``; returns the undo.

    A hash made while an app is probed can be pinned in the generated suite: a user row
    testboost writes with the app's own hasher (CTFd's passlib ``bcrypt_sha256``) is stored in
    the conftest as it was made. With salts from the system's randomness two runs of ``generate
    --seed 0`` would differ in it; with this, a run makes the same hashes as the last one.
    Costs are left as they are: install it after :func:`install_cheap_hashing`, whose functions
    it wraps. Not for the generated suites: an app's own salts stay random there.

    >>> undo = install_seeded_salts(0)
    >>> first = generate_password_hash("pw")                           # doctest: +SKIP
    >>> undo()
    >>> undo = install_seeded_salts(0)
    >>> generate_password_hash("pw") == first                          # doctest: +SKIP
    True
    >>> undo()
    """
    import random

    salts = random.Random(seed)
    undo = [patch(salts) for name, patch in _SALTS if _installed(name)]

    def restore() -> None:
        for step in reversed(undo):
            step()

    return restore


def _werkzeug_salts(salts: Any) -> Callable[[], None]:
    """Werkzeug: ``generate_password_hash`` takes its salt from ``gen_salt``, looked up by name."""
    security: Any = importlib.import_module("werkzeug.security")
    real = security.gen_salt
    characters = getattr(security, "SALT_CHARS", BCRYPT_ALPHABET[2:])

    def gen_salt(length: int) -> str:
        if length <= 0:
            return str(real(length))  # Werkzeug's own error
        return "".join(salts.choice(characters) for _ in range(length))

    security.gen_salt = gen_salt
    return lambda: setattr(security, "gen_salt", real)


def _bcrypt_salts(salts: Any) -> Callable[[], None]:
    """bcrypt: ``gensalt`` answers ``$2b$<cost>$`` and 22 characters of salt from ``os.urandom``."""
    module: Any = importlib.import_module("bcrypt")
    current = module.gensalt

    def gensalt(rounds: int = 12, prefix: bytes = b"2b") -> Any:
        made: bytes = current(rounds=rounds, prefix=prefix)
        salt = "".join(salts.choice(BCRYPT_ALPHABET) for _ in range(21))
        return made[:-22] + (salt + salts.choice(BCRYPT_LAST)).encode("ascii")

    module.gensalt = gensalt
    return lambda: setattr(module, "gensalt", current)


def _passlib_salts(salts: Any) -> Callable[[], None]:
    """passlib: every handler's salt (and varied rounds) comes from ``passlib.utils.handlers.rng``."""
    handlers: Any = importlib.import_module("passlib.utils.handlers")
    real = handlers.rng
    handlers.rng = salts
    return lambda: setattr(handlers, "rng", real)


def _argon2_salts(salts: Any) -> Callable[[], None]:
    """argon2-cffi: ``PasswordHasher.hash`` takes a ``salt`` (the cheap one does, and 23.1 on)."""
    import inspect

    module: Any = importlib.import_module("argon2")
    current = module.PasswordHasher.hash
    if "salt" not in inspect.signature(current).parameters:
        return lambda: None  # an argon2-cffi before 23.1 whose hash is not made cheap

    def hash(self: Any, password: str | bytes, *, salt: bytes | None = None) -> Any:
        return current(self, password, salt=salt or salts.randbytes(self.salt_len))

    module.PasswordHasher.hash = hash
    return lambda: setattr(module.PasswordHasher, "hash", current)


_SALTS: tuple[tuple[str, Callable[[Any], Callable[[], None]]], ...] = (
    ("werkzeug.security", _werkzeug_salts),
    ("bcrypt", _bcrypt_salts),
    ("passlib.utils.handlers", _passlib_salts),
    ("argon2", _argon2_salts),
)


def conftest_source() -> str:
    """The part of this module a generated conftest carries (imports folded into the conftest's)."""
    return module_part(__file__)


def module_part(path: str) -> str:
    """The text of a module between ``# --- conftest ---`` and ``# --- end of conftest ---``.

    Its top-level imports are left out: the conftest makes them itself.
    """
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    body = text.split("# --- conftest ---\n", 1)[1].split("# --- end of conftest ---\n", 1)[0]
    lines = body.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(("import ", "from "))).strip()
