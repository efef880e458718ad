"""The app's own caches (Flask-Caching): kept in the sandbox, put back with the database.

The database is put back to the seeded rows before every request; a cache the app keeps beside
it would carry one request's state into the next: a memoized setting read before a write, a rate
limit counting the requests of earlier cases ("10 POSTs in 5 seconds", whose answer then depends
on how fast the machine ran them). An app may also keep its sessions there (CTFd): emptying the
cache would log every user out. So the caches are saved when the database is (users logged in,
rows seeded) and put back with it before every request. A file cache built before the sandbox
moved its ``CACHE_DIR`` (the extension is set up before the database in many factories) is
built again in the sandbox folder first.

What is put back never expires: the app's memoized values carry their own time-outs (CTFd's are
300 s), and an entry saved at the start of a long scan that expired half-way would make the same
request read the database again (one more statement) later in the run than earlier, so that two
runs of one seed differed by when their requests fell. Frozen, every request finds the cache as it
was saved, however long the run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask


def _caches(app: Flask) -> Iterator[tuple[Any, Any]]:
    """``(Cache extension, its backend)`` for every Flask-Caching cache of the app."""
    found = app.extensions.get("cache")
    if isinstance(found, dict):
        yield from list(found.items())


def sandbox_caches(
    app: Flask, inside: Callable[[str], bool], folder: Callable[[str], Path]
) -> None:
    """Build again, in a sandbox folder, every file cache whose folder is outside the sandbox.

    ``inside`` tells whether a path is in the sandbox; ``folder`` gives the sandbox folder that
    stands for one of the app's.
    """
    for extension, backend in _caches(app):
        path = getattr(backend, "_path", None)
        init_app = getattr(extension, "init_app", None)
        if not isinstance(path, str) or inside(path) or init_app is None:
            continue
        configured = app.config.get("CACHE_DIR")
        moved = configured if isinstance(configured, str) and inside(configured) else None
        try:
            init_app(app, config={"CACHE_DIR": moved or str(folder(path))})
        except Exception:  # the cache stays as it was: writes outside the sandbox are refused
            continue


class SavedCaches:
    """What every cache of the app held at one moment, to be put back before each request.

    File caches (a folder of files) and in-memory ones (a dict) are saved; a cache kept by a
    server (Redis, refused by the sandbox anyway) is left alone.
    """

    def __init__(self, app: Flask) -> None:
        self._files: list[tuple[Path, dict[str, bytes]]] = []
        self._memory: list[tuple[dict[Any, Any], dict[Any, Any]]] = []
        for _, backend in _caches(app):
            path = getattr(backend, "_path", None)
            memory = getattr(backend, "_cache", None)
            if isinstance(path, str) and os.path.isdir(path):
                folder = Path(path)
                saved = {f.name: lasting(f.read_bytes()) for f in _files(folder)}
                self._files.append((folder, saved))
            elif isinstance(memory, dict):
                self._memory.append((memory, {k: lasting(v) for k, v in memory.items()}))

    def restore(self) -> None:
        """Put every saved cache back as it was saved (files the app added since removed)."""
        for folder, saved in self._files:
            for file in _files(folder):
                if saved.get(file.name) != _read(file):
                    _unlink(file)
            for name, data in saved.items():
                file = folder / name
                if not file.exists():
                    file.write_bytes(data)
        for memory, saved_memory in self._memory:
            if memory != saved_memory:
                memory.clear()
                memory.update(saved_memory)


def _files(folder: Path) -> list[Path]:
    try:
        return sorted(f for f in folder.iterdir() if f.is_file())
    except OSError:
        return []


def _read(file: Path) -> bytes | None:
    try:
        return file.read_bytes()
    except OSError:
        return None


def _unlink(file: Path) -> None:
    with contextlib.suppress(OSError):
        file.unlink()


# The rest of this module, to "end of conftest", is copied as is into a generated conftest of an
# app with caches (see :func:`conftest_source`): it saves them the same way.
# --- conftest ---
def lasting(entry: Any) -> Any:
    """A cache entry made never to expire, as Flask-Caching (cachelib) stores entries.

    A file of its ``FileSystemCache`` is the expiry time (4 bytes, 0 for never), then the
    pickled value (starting with the pickle protocol byte); an entry of its ``SimpleCache`` is
    ``(expiry, pickled value)``, 0 for never. Anything else is kept as it is.
    """
    if isinstance(entry, bytes) and len(entry) > 5 and entry[4:5] == b"\x80":
        return bytes(4) + entry[4:]
    if (
        isinstance(entry, tuple)
        and len(entry) == 2
        and type(entry[0]) in (int, float)
        and isinstance(entry[1], bytes)
    ):
        return (0, entry[1])
    return entry


# --- end of conftest ---


def conftest_source() -> str:
    """The part of this module a generated conftest carries."""
    from testboost.hashing import module_part

    return module_part(__file__)
