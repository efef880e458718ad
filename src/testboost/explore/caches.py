"""The app's own caches (Flask-Caching): kept in the sandbox, put back with the database.

The database is put back to the seeded rows before every request; a cache the app keeps beside
it would carry one request's state into the next: a memoized setting read before a write, a rate
limit counting the requests of earlier cases ("10 POSTs in 5 seconds", whose answer then depends
on how fast the machine ran them). An app may also keep its sessions there (CTFd): emptying the
cache would log every user out. So the caches are saved when the database is (users logged in,
rows seeded) and put back with it before every request. A file cache built before the sandbox
moved its ``CACHE_DIR`` (the extension is set up before the database in many factories) is
built again in the sandbox folder first.
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
                self._files.append((folder, {f.name: f.read_bytes() for f in _files(folder)}))
            elif isinstance(memory, dict):
                self._memory.append((memory, dict(memory)))

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
