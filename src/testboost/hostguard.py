"""Keep the app off the user's files and processes while testboost drives it.

Python's audit hooks (PEP 578) see every ``open`` for writing, every delete, rename and new
directory, every shell command and subprocess, before it happens, and refusing one is raising
inside the hook: the app's code gets a :class:`PermissionError`, as it would on a read-only disk.
Two modes, one per phase of a run:

- **loading** (import and factory): apps commonly create an instance folder or a log file when
  they start. Those writes go through, but each file or folder that did not exist is removed
  again when the run ends and each existing file written is first copied aside and put back, so
  the project is byte-for-byte as it was. Deletes, renames and commands are refused.
- **driving** (every request): anything that writes outside the sandbox directory, deletes,
  renames, runs a command or starts a process is refused and recorded as a :class:`HostAttempt`
  with the user's ``file:line``, for the report.

A hook cannot be removed once added, so one hook is added per process and does nothing unless a
guard is active; it only looks at the few event names it knows.

>>> guard = HostGuard(allowed=(Path("/tmp/sandbox"),), scratch=Path("/tmp/sandbox/saved"))
>>> with guard.driving():                                           # doctest: +SKIP
...     open("/home/me/notes.txt", "w")
Traceback (most recent call last):
PermissionError: ...
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = {
    "os.remove": "delete",
    "os.rmdir": "delete",
    "shutil.rmtree": "delete",
    "os.truncate": "write",
    "os.mkdir": "create a folder",
    "os.symlink": "link",
    "os.link": "link",
    "os.chmod": "change the mode of",
    "os.chown": "change the owner of",
}
_PROCESS_EVENTS = {
    "os.system": "run a shell command",
    "subprocess.Popen": "start a process",
    "os.exec": "replace the process with",
    "os.posix_spawn": "start a process",
    "os.spawn": "start a process",
    "os.fork": "fork the process",
    "os.forkpty": "fork the process",
    "os.kill": "send a signal",
    "os.killpg": "send a signal",
}
_EVENTS = frozenset({"open", "os.rename", *_PATH_EVENTS, *_PROCESS_EVENTS})


@dataclass(frozen=True)
class HostAttempt:
    """Something the app tried on the host (a write, delete, command...) that was refused."""

    action: str
    target: str
    location: str | None


class HostGuard:
    """Watches the files and processes the app touches, by the rules of the current phase.

    ``allowed`` are the folders the app may write in (the sandbox); ``scratch`` is where files the
    app overwrites while loading are saved before, to be put back by :meth:`restore`.
    """

    def __init__(
        self,
        allowed: Sequence[Path],
        scratch: Path,
        locate: Callable[[list[traceback.FrameSummary]], str | None] | None = None,
    ) -> None:
        self.allowed = tuple(str(p.resolve()) for p in allowed)
        self.scratch = scratch
        self.attempts: list[HostAttempt] = []
        self._locate = locate
        self._mode: str | None = None
        self._inside = threading.local()
        self._created: list[Path] = []
        self._saved: dict[Path, Path] = {}
        self._forker: int | None = None

    # -- phases -----------------------------------------------------------------------------------

    @contextmanager
    def loading(self) -> Iterator[HostGuard]:
        """Let the app create and write files while it loads; they are undone by :meth:`restore`."""
        with self._phase("loading"):
            yield self

    @contextmanager
    def driving(self) -> Iterator[HostGuard]:
        """Refuse every write outside the sandbox, delete, rename, command and process."""
        with self._phase("driving"):
            yield self

    @contextmanager
    def _phase(self, mode: str) -> Iterator[None]:
        _install()
        previous, self._mode = self._mode, mode
        _ACTIVE.append(self)
        try:
            yield
        finally:
            _ACTIVE.remove(self)
            self._mode = previous

    @contextmanager
    def forking(self) -> Iterator[None]:
        """Let testboost itself fork while the app is driven (the child runs one route).

        Only this process may: a fork the app attempts inside that child is still refused.
        """
        previous, self._forker = self._forker, os.getpid()
        try:
            yield
        finally:
            self._forker = previous

    def restore(self) -> list[str]:
        """Put back what the app changed while loading; the paths that could not be restored."""
        failed: list[str] = []
        for original, copy in self._saved.items():
            try:
                shutil.copy2(copy, original)
            except OSError:
                failed.append(str(original))
        for path in reversed(self._created):
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                elif path.exists() or path.is_symlink():
                    path.unlink()
            except OSError:
                failed.append(str(path))
        self._created.clear()
        self._saved.clear()
        return failed

    # -- the hook ---------------------------------------------------------------------------------

    def check(self, event: str, args: tuple[Any, ...]) -> None:
        """Judge one audit event; raise :class:`PermissionError` to refuse it."""
        if getattr(self._inside, "busy", False):
            return
        self._inside.busy = True
        try:
            self._check(event, args)
        finally:
            self._inside.busy = False

    def _check(self, event: str, args: tuple[Any, ...]) -> None:
        if event in _PROCESS_EVENTS:
            if event in ("os.kill", "os.killpg") and self._mode == "loading":
                return
            if event in ("os.fork", "os.kill") and self._forker == os.getpid():
                return  # testboost forking a child to drive a route, or ending a hung one
            self._refuse(_PROCESS_EVENTS[event], _command(event, args))
        if event == "open":
            path, mode, flags = (*args, None, None, None)[:3]
            if not _writes(mode, flags):
                return
            self._write(path, "write")
        elif event == "os.rename":
            for path in args[:2]:
                if self._mode == "loading":
                    self._write(path, "rename")  # saved or noted, and undone at the end
                elif not self._inside_sandbox(path):
                    self._refuse("rename", _text(path))
        elif event in _PATH_EVENTS and args:
            action = _PATH_EVENTS[event]
            if action == "create a folder":
                self._write(args[0], action)
            elif not self._inside_sandbox(args[0]):
                self._refuse(action, _text(args[0]))

    def _write(self, path: object, action: str) -> None:
        if not isinstance(path, str | bytes | os.PathLike) or self._inside_sandbox(path):
            return
        target = Path(os.path.abspath(os.fsdecode(path)))
        if str(target) == os.devnull:
            return
        if self._mode != "loading":
            self._refuse(action, str(target))
        if target.exists():
            if target.is_file() and target not in self._saved:
                self.scratch.mkdir(parents=True, exist_ok=True)
                copy = self.scratch / f"{len(self._saved)}-{target.name}"
                shutil.copy2(target, copy)
                self._saved[target] = copy
            return
        # the first missing ancestor is what the app creates; removing it removes the rest
        missing = target
        while not missing.parent.exists() and missing.parent != missing:
            missing = missing.parent
        self._created.append(Path(os.path.realpath(missing)))

    def _inside_sandbox(self, path: object) -> bool:
        """Whether ``path`` is the sandbox's, or something the app made in this run's loading.

        What the app created while loading (a cache folder, a log file) is removed at the end,
        so writing there later touches nothing of the user's.
        """
        if not isinstance(path, str | bytes | os.PathLike):
            return True  # a file descriptor: the open that made it was judged already
        resolved = os.path.realpath(os.fsdecode(path))
        roots = (*self.allowed, *(str(p) for p in self._created))
        return any(resolved == root or resolved.startswith(root + os.sep) for root in roots)

    def _refuse(self, action: str, target: str) -> None:
        stack = traceback.extract_stack()[:-4]
        location = self._locate(stack) if self._locate is not None else None
        self.attempts.append(HostAttempt(action, target, location))
        raise PermissionError(
            f"testboost sandbox: the app may not {action} {target} while it is probed"
        )


_ACTIVE: list[HostGuard] = []
_INSTALLED: list[bool] = []


def _install() -> None:
    # one hook per process: hooks cannot be removed, so it must cost nothing while no guard is on
    if not _INSTALLED:
        sys.addaudithook(_hook)
        _INSTALLED.append(True)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in _EVENTS and _ACTIVE:
        _ACTIVE[-1].check(event, args)


def _writes(mode: object, flags: object) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _text(path: object) -> str:
    if isinstance(path, str | bytes | os.PathLike):
        return os.path.abspath(os.fsdecode(path))
    return repr(path)


def _command(event: str, args: tuple[Any, ...]) -> str:
    if not args:
        return event
    first = args[0]
    if event == "subprocess.Popen" and len(args) > 1:
        first = args[1]
    if isinstance(first, bytes):
        return first.decode(errors="replace")
    if isinstance(first, list | tuple):
        return " ".join(os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in first)
    return str(first)
