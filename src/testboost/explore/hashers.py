"""The password hasher the app checks its users' passwords with, found in the app's own modules.

A user testboost writes straight into the user table must carry a hash the app's login accepts:
a Werkzeug hash means nothing to an app that checks with bcrypt. The evidence is what the app's
modules hold at module level: a Flask-Bcrypt ``Bcrypt``, a passlib ``CryptContext`` or hash
handler, an argon2-cffi ``PasswordHasher``, the ``bcrypt`` module itself. Without any of them the
hash is Werkzeug's ``generate_password_hash`` (what Flask apps use by default).

>>> hasher_of(app).name                                              # doctest: +SKIP
'passlib CryptContext (app/security.py)'
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class Hasher:
    """How a password becomes the stored hash: ``name`` for people, ``make`` to make one."""

    name: str
    make: Callable[[str], Any]

    def hash(self, password: str, *, binary: bool = False) -> Any:
        """The stored form of ``password``: text, or bytes for a binary column."""
        value = self.make(password)
        if isinstance(value, bytes) and not binary:
            return value.decode()
        if isinstance(value, str) and binary:
            return value.encode()
        return value


def _werkzeug(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


WERKZEUG = Hasher("Werkzeug generate_password_hash", _werkzeug)


def hasher_of(app: Flask) -> Hasher:
    """The hasher the app's own modules hold, else Werkzeug's."""
    for module in _app_modules(app):
        for value in list(vars(module).values()):
            found = _hasher(value)
            if found is not None:
                where = Path(getattr(module, "__file__", "") or "").name
                return Hasher(f"{found[0]} ({where})", found[1])
    return WERKZEUG


def _hasher(value: Any) -> tuple[str, Callable[[str], Any]] | None:
    kind = type(value)
    module = kind.__module__
    if module.startswith("flask_bcrypt") and kind.__name__ == "Bcrypt":
        return "Flask-Bcrypt", value.generate_password_hash
    if module.startswith("passlib") and kind.__name__ == "CryptContext":
        return "passlib CryptContext", value.hash
    if module.startswith("argon2") and kind.__name__ == "PasswordHasher":
        return "argon2-cffi PasswordHasher", value.hash
    if isinstance(value, ModuleType) and value.__name__ == "bcrypt":
        bcrypt = value
        return "bcrypt", lambda password: bcrypt.hashpw(password.encode(), bcrypt.gensalt())
    if (
        isinstance(value, type)
        and value.__module__.startswith("passlib.handlers")
        and callable(getattr(value, "hash", None))
    ):
        handler: Any = value
        return f"passlib {value.__name__}", handler.hash
    return None


def _app_modules(app: Flask) -> list[ModuleType]:
    """The app's own modules its views reach: theirs, and those their names come from.

    Starting from the modules of the view functions, every module-level name that is a module,
    class or function of the app's own directory brings its module in, until none is new.
    """
    root = Path(app.root_path).resolve()
    own: dict[str, bool] = {}

    def is_own(name: str) -> bool:
        if name not in own:
            module = sys.modules.get(name)
            filename = getattr(module, "__file__", None) or ""
            own[name] = bool(filename) and _under(Path(filename), root)
        return own[name]

    names = [f.__module__ for f in app.view_functions.values() if hasattr(f, "__module__")]
    queue = [n for n in dict.fromkeys(names) if is_own(n)]
    seen: dict[str, ModuleType] = {}
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen[name] = sys.modules[name]
        for value in list(vars(seen[name]).values()):
            other = value.__name__ if isinstance(value, ModuleType) else None
            other = other or getattr(value, "__module__", None)
            if isinstance(other, str) and other not in seen and is_own(other):
                queue.append(other)
    return list(seen.values())


def _under(path: Path, root: Path) -> bool:
    try:
        return root in path.resolve().parents
    except (OSError, ValueError):
        return False
