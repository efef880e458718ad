"""The sandbox an app is loaded and driven in: a temporary database, no outbound network.

testboost never touches a real database, the network or the user's files. A :class:`Sandbox`
owns a temporary directory; every database the app names is pointed at a fresh SQLite file in it
(or refused when it is a remote server the user did not name with ``--allow-db``), and while the
sandbox is active, sockets may only reach loopback addresses. Each blocked attempt is recorded as a
:class:`NetworkAttempt` so that later stages can report the route that made it.

>>> with Sandbox() as sandbox:
...     url = sandbox.database_url("postgresql://localhost/shop")
>>> url.startswith("sqlite:///")
True
"""

from __future__ import annotations

import errno
import ipaddress
import os
import shutil
import socket
import sqlite3
import sys
import sysconfig
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from testboost.errors import UsageError

#: Environment variables apps commonly read their database URL from, set before the app is imported.
DATABASE_ENV_VARS = (
    "DATABASE_URL",
    "DATABASE_URI",
    "SQLALCHEMY_DATABASE_URI",
    "SQLALCHEMY_DATABASE_URL",
    "DB_URL",
    "DB_URI",
    "TEST_DATABASE_URL",
    "DEV_DATABASE_URL",
)

_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}


@dataclass(frozen=True)
class NetworkAttempt:
    """An outbound connection the app tried while sandboxed, and where in its code it came from."""

    host: str
    port: int | None
    call: str
    location: str | None


@dataclass(frozen=True)
class DatabaseRedirect:
    """A database setting the sandbox rewrote: which setting, what it said, and where it now points."""

    setting: str
    original: str
    sandboxed: str


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (loopback range, ``localhost``, or a Unix socket path)."""
    if host in ("localhost", "") or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_local_database(url: str) -> bool:
    """Whether a database URL is SQLite or a server on this machine.

    >>> is_local_database("sqlite:///app.db"), is_local_database("postgresql://db.prod:5432/x")
    (True, False)
    """
    parts = urlsplit(url)
    if parts.scheme.split("+")[0] == "sqlite":
        return True
    host = (parts.hostname or "").lower()
    return host in _LOCAL_HOSTS or is_loopback(host)


def looks_like_database_url(value: str) -> bool:
    """Whether a string is a SQLAlchemy-style database URL (``dialect[+driver]://...``)."""
    scheme = value.split("://", 1)[0] if "://" in value else ""
    return scheme.split("+")[0] in {
        "sqlite",
        "postgresql",
        "postgres",
        "mysql",
        "mariadb",
        "oracle",
        "mssql",
        "cockroachdb",
    }


def user_frame_location(stack: Sequence[traceback.FrameSummary]) -> str | None:
    """``file:line`` of the innermost frame in the user's code (not stdlib, site-packages, us)."""
    skip = tuple(
        str(Path(p).resolve())
        for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}
    )
    own = str(Path(__file__).resolve().parent)
    for frame in reversed(stack):
        filename = str(Path(frame.filename).resolve())
        if filename.startswith((*skip, own)) or "site-packages" in filename:
            continue
        if frame.filename.startswith("<"):
            continue
        return f"{_relative(frame.filename)}:{frame.lineno}"
    return None


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


class Sandbox:
    """A temporary directory, a database policy and a network guard for one run of testboost.

    Use it as a context manager; it removes its directory on exit. ``allow_db`` lists database
    URLs the user explicitly allowed (``--allow-db``): those are left as they are.
    """

    def __init__(self, *, allow_db: Sequence[str] = ()) -> None:
        self.allow_db = tuple(allow_db)
        self.redirects: list[DatabaseRedirect] = []
        self.network_attempts: list[NetworkAttempt] = []
        #: Called with each SQL statement a raw ``sqlite3`` connection of the app runs.
        self.statement_listeners: list[Callable[[str], None]] = []
        self._directory: Path | None = None
        self._files = 0
        self._lock = threading.Lock()

    # -- lifetime ---------------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self._directory = Path(tempfile.mkdtemp(prefix="testboost-"))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Remove the sandbox directory and everything the app wrote into it."""
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    @property
    def directory(self) -> Path:
        """The sandbox's temporary directory."""
        if self._directory is None:
            raise RuntimeError("the sandbox is not open: use it as a context manager")
        return self._directory

    # -- databases --------------------------------------------------------------------------------

    def new_sqlite_file(self, stem: str = "db") -> Path:
        """A fresh, not yet existing SQLite file path inside the sandbox."""
        with self._lock:
            self._files += 1
            return self.directory / f"{stem}-{self._files}.sqlite"

    def database_url(self, original: str | None, *, setting: str = "database") -> str:
        """The URL the app must use instead of ``original``.

        SQLite and local servers become a fresh SQLite file in the sandbox; an in-memory SQLite
        database stays in memory; a remote server raises :class:`UsageError` unless the user named
        it with ``--allow-db``, in which case it is kept.
        """
        if original is not None and original in self.allow_db:
            return original
        if original is not None and not is_local_database(original):
            host = urlsplit(original).hostname
            raise UsageError(
                f"The app's {setting} points at a remote database ({host}); testboost only probes "
                "a temporary SQLite copy. Point it at a local database, or pass --allow-db URL "
                "if you really mean it."
            )
        if original is not None and original.rstrip("/") in ("sqlite:", "sqlite:/", "sqlite://"):
            return original
        if original is not None and ":memory:" in original:
            return original
        sandboxed = f"sqlite:///{self.new_sqlite_file()}"
        if original is not None:
            self.redirects.append(DatabaseRedirect(setting, original, sandboxed))
        return sandboxed

    def sandbox_config(self, config: dict[str, Any]) -> None:
        """Rewrite the database settings of a Flask config in place (URIs, binds, file paths).

        Called before Flask-SQLAlchemy creates its engines and again once the app is built, so
        that settings a factory wrote are caught either way.
        """
        uri = config.get("SQLALCHEMY_DATABASE_URI")
        if isinstance(uri, str) and not self.owns(uri):
            config["SQLALCHEMY_DATABASE_URI"] = self.database_url(
                uri, setting="SQLALCHEMY_DATABASE_URI"
            )
        binds = config.get("SQLALCHEMY_BINDS")
        if isinstance(binds, dict):
            config["SQLALCHEMY_BINDS"] = {
                key: self._sandbox_bind(key, value) for key, value in binds.items()
            }
        for key, value in list(config.items()):
            if key in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_BINDS") or not isinstance(value, str):
                continue
            if not any(word in key.upper() for word in ("DATABASE", "DB", "SQLITE")):
                continue
            if self.owns(value):
                continue
            if looks_like_database_url(value):
                config[key] = self.database_url(value, setting=key)
            elif value.endswith((".db", ".sqlite", ".sqlite3")):
                sandboxed = str(self.new_sqlite_file(Path(value).stem or "db"))
                self.redirects.append(DatabaseRedirect(key, value, sandboxed))
                config[key] = sandboxed

    def _sandbox_bind(self, key: str, value: object) -> object:
        if isinstance(value, str):
            return self.database_url(value, setting=f"SQLALCHEMY_BINDS[{key!r}]")
        if isinstance(value, Mapping) and isinstance(value.get("url"), str):
            url = self.database_url(value["url"], setting=f"SQLALCHEMY_BINDS[{key!r}]")
            return {**value, "url": url}
        return value

    def owns(self, value: str) -> bool:
        """Whether a path or URL already points inside the sandbox directory."""
        return self._directory is not None and str(self._directory) in value

    def environment(self) -> dict[str, str]:
        """Database environment variables to set before the app is imported."""
        url = f"sqlite:///{self.new_sqlite_file()}"
        return dict.fromkeys(DATABASE_ENV_VARS, url)

    # -- network ----------------------------------------------------------------------------------

    def _record(self, host: str, port: int | None, call: str) -> None:
        attempt = NetworkAttempt(
            host=host,
            port=port,
            call=call,
            location=user_frame_location(traceback.extract_stack()[:-2]),
        )
        with self._lock:
            self.network_attempts.append(attempt)

    def _statement(self, statement: str) -> None:
        if statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            return
        for listener in self.statement_listeners:
            listener(statement)

    @contextmanager
    def active(self) -> Iterator[Sandbox]:
        """Block outbound network and redirect raw SQLite files while the app is driven."""
        with _patched_network(self), _patched_sqlite(self):
            yield self


def _refuse(host: str, port: int | None) -> OSError:
    return OSError(
        errno.ENETUNREACH,
        f"testboost sandbox: outbound network to {host}:{port} is blocked while probing",
    )


def _address_of(address: object) -> tuple[str, int | None]:
    if isinstance(address, tuple) and address:
        port = address[1] if len(address) > 1 and isinstance(address[1], int) else None
        return str(address[0]), port
    return str(address), None


@contextmanager
def _patched_network(sandbox: Sandbox) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        host, port = _address_of(address)
        if self.family != getattr(socket, "AF_UNIX", None) and not is_loopback(host):
            sandbox._record(host, port, "socket.connect")
            raise _refuse(host, port)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        host, port = _address_of(address)
        if self.family != getattr(socket, "AF_UNIX", None) and not is_loopback(host):
            sandbox._record(host, port, "socket.connect_ex")
            return errno.ENETUNREACH
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host) if host is not None else ""
        if host is not None and not is_loopback(name):
            sandbox._record(name, port if isinstance(port, int) else None, "socket.getaddrinfo")
            raise socket.gaierror(
                socket.EAI_NONAME, f"testboost sandbox: name lookup of {name} is blocked"
            )
        return real_getaddrinfo(host, port, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo


@contextmanager
def _patched_sqlite(sandbox: Sandbox) -> Iterator[None]:
    """Point every raw ``sqlite3.connect`` on a file outside the sandbox at a sandbox file."""
    real_connect: Callable[..., sqlite3.Connection] = sqlite3.connect
    mapping: dict[str, str] = {}

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        target = os.fspath(database) if isinstance(database, (str, os.PathLike)) else database
        if (
            isinstance(target, str)
            and target not in ("", ":memory:")
            and not target.startswith("file:")
            and not sandbox.owns(target)
        ):
            if target not in mapping:
                sandboxed = str(sandbox.new_sqlite_file(Path(target).stem or "db"))
                mapping[target] = sandboxed
                sandbox.redirects.append(DatabaseRedirect("sqlite3.connect", target, sandboxed))
            target = mapping[target]
        connection = real_connect(target, *args, **kwargs)
        caller = sys._getframe(1).f_globals.get("__name__", "")
        # SQLAlchemy's statements are seen through its own events, with parameters unexpanded
        if sandbox.statement_listeners and not caller.startswith("sqlalchemy"):
            connection.set_trace_callback(sandbox._statement)
        return connection

    connect.__wrapped__ = real_connect  # type: ignore[attr-defined]
    sqlite3.connect = connect  # type: ignore[assignment]
    try:
        yield
    finally:
        sqlite3.connect = real_connect  # type: ignore[assignment]


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore the old ones."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def no_bytecode() -> Iterator[None]:
    """Import the user's modules without writing ``__pycache__`` into their tree."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = saved
