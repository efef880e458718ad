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

import contextlib
import errno
import importlib
import ipaddress
import os
import re
import shutil
import socket
import sqlite3
import sys
import sysconfig
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from testboost.compat import url_text
from testboost.errors import UsageError
from testboost.hashing import install_cheap_hashing, install_seeded_salts
from testboost.hostguard import HostAttempt, HostGuard

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

#: Config keys naming folders the app writes files into: pointed into the sandbox.
_FOLDER_WORDS = ("UPLOAD", "EXPORT", "MEDIA_ROOT", "DOWNLOAD", "ATTACHMENT", "CACHE_DIR")
#: A folder bigger than this (bytes) is not copied into the sandbox: the app gets an empty one.
_FOLDER_COPY_LIMIT = 50_000_000

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


def sqlite_url_path(url: str) -> str | None:
    """The file path of a ``sqlite://`` URL (``""`` for in-memory), ``None`` for other URLs.

    >>> sqlite_url_path("sqlite:///app.db"), sqlite_url_path("sqlite:////abs/x.db?timeout=5")
    ('app.db', '/abs/x.db')
    """
    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] != "sqlite":
        return None
    return rest[1:].split("?", 1)[0] if rest.startswith("/") else rest.split("?", 1)[0]


def _database_key(original: str) -> str:
    """What identifies a database: its absolute file path, or its URL without a password."""
    if "://" in original:
        parts = urlsplit(original)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}:{parts.port or ''}{parts.path}"
    return os.path.abspath(os.path.expanduser(original))


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


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

    def __init__(
        self,
        *,
        allow_db: Sequence[str] = (),
        cheap_hashing: bool = True,
        salt_seed: int | None = None,
    ) -> None:
        self.allow_db = tuple(allow_db)
        #: Make the app's password hashes cheap while loaded and driven (:mod:`testboost.hashing`).
        self.cheap_hashing = cheap_hashing
        #: Draw new hashes' salts from this seed (the run's ``--seed``), so that a hash the suite
        #: pins is the same in every run; ``None``: from the system's randomness.
        self.salt_seed = salt_seed
        #: What was made cheaper (``"Werkzeug scrypt -> scrypt:128:8:1"``), in the order first seen.
        self.cheap_hashes: dict[str, None] = {}
        self.redirects: list[DatabaseRedirect] = []
        self.network_attempts: list[NetworkAttempt] = []
        #: Called with each SQL statement a raw ``sqlite3`` connection of the app runs.
        self.statement_listeners: list[Callable[[str], None]] = []
        #: Exceptions the app's own threads died of, one line each (never printed raw).
        self.thread_errors: list[str] = []
        #: SQLAlchemy engines the app created (pointed into the sandbox), for its schema.
        self.engines: list[Any] = []
        #: Paths the app changed while loading that could not be put back (normally none).
        self.unrestored: list[str] = []
        self._saved_environment: str | None = None
        self._directory: Path | None = None
        self._files = 0
        #: original database (absolute file path, or server URL) -> its one sandbox file
        self._mapped: dict[str, Path] = {}
        self._lock = threading.Lock()

    # -- lifetime ---------------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self._directory = Path(tempfile.mkdtemp(prefix="testboost-"))
        self._host = HostGuard(
            allowed=(self._directory,),
            scratch=self._directory / "saved",
            locate=user_frame_location,
        )
        # Hypothesis keeps caches in ./.hypothesis unless told otherwise: keep them in here
        self._saved_environment = os.environ.get(_HYPOTHESIS_HOME)
        os.environ[_HYPOTHESIS_HOME] = str(self._directory / "hypothesis")
        _reset_hypothesis_home()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Undo what the app wrote while loading, and remove the sandbox directory."""
        if self._directory is not None:
            self.unrestored.extend(self.host.restore())
            if self._saved_environment is None:
                os.environ.pop(_HYPOTHESIS_HOME, None)
            else:
                os.environ[_HYPOTHESIS_HOME] = self._saved_environment
            _reset_hypothesis_home()
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    @property
    def host(self) -> HostGuard:
        """The guard of the user's files and processes (see :mod:`testboost.hostguard`)."""
        if self._directory is None:
            raise RuntimeError("the sandbox is not open: use it as a context manager")
        return self._host

    @property
    def host_attempts(self) -> list[HostAttempt]:
        """Writes, deletes, commands... the app tried while driven, all refused."""
        return self.host.attempts

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

    def database_file(
        self, original: str, *, setting: str = "database", named: str | None = None
    ) -> Path:
        """The one sandbox file that stands for the database ``original`` for the whole run.

        ``original`` is a file path or a database server's URL. The same database always maps to
        the same file, whichever setting, URL or ``sqlite3.connect`` call names it, so that what
        the app's factory writes is what its requests read. An existing database file is copied
        on first use (read, never written); a server's database starts empty. ``named`` is how
        the app spelled it, for the record of redirects (none is kept for ``environment://``).
        """
        key = _database_key(original)
        with self._lock:
            if key in self._mapped:
                return self._mapped[key]
            self._files += 1
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(urlsplit(key).path or key).stem) or "db"
            sandboxed = self.directory / f"{stem}-{self._files}.sqlite"
            source = Path(key)
            if "://" not in key and source.is_file():
                shutil.copyfile(source, sandboxed)
            self._mapped[key] = sandboxed
            if not key.startswith("environment://"):
                shown = named or original
                self.redirects.append(DatabaseRedirect(setting, shown, str(sandboxed)))
            return sandboxed

    def database_url(self, original: str | None, *, setting: str = "database") -> str:
        """The URL the app must use instead of ``original``.

        A SQLite file and a local server become their sandbox file (see :meth:`database_file`);
        an in-memory SQLite database stays in memory; a remote server raises :class:`UsageError`
        unless the user named it with ``--allow-db``, in which case it is kept.
        """
        if original is None:
            return f"sqlite:///{self.new_sqlite_file()}"
        if original in self.allow_db or self.owns(original):
            return original
        if not is_local_database(original):
            host = urlsplit(original).hostname
            raise UsageError(
                f"The app's {setting} points at a remote database ({host}); testboost only probes "
                "a temporary SQLite copy. Point it at a local database, or pass --allow-db URL "
                "if you really mean it."
            )
        path = sqlite_url_path(original)
        if original.rstrip("/") in ("sqlite:", "sqlite:/", "sqlite://") or (
            path is not None and (path in ("", ":memory:") or path.startswith("file:"))
        ):
            return original
        query = urlsplit(original).query
        sandboxed = self.database_file(
            path if path is not None else original, setting=setting, named=original
        )
        return f"sqlite:///{sandboxed}" + (f"?{query}" if query else "")

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
            if any(word in key.upper() for word in _FOLDER_WORDS) and not self.owns(value):
                # a folder, not a name such as UPLOAD_PROVIDER = "filesystem"
                if "://" not in value and value.strip() and _names_a_folder(value):
                    config[key] = str(self.folder(value, setting=key))
                continue
            if not any(word in key.upper() for word in ("DATABASE", "DB", "SQLITE")):
                continue
            if self.owns(value):
                continue
            if looks_like_database_url(value):
                config[key] = self.database_url(value, setting=key)
            elif value.endswith((".db", ".sqlite", ".sqlite3")):
                config[key] = str(self.database_file(value, setting=key))

    def folder(self, original: str, *, setting: str) -> Path:
        """The sandbox folder that stands for an upload/export folder of the app's config.

        What the folder holds is copied in (so the app can serve what it already has); what the
        app writes there while probed stays in the sandbox.
        """
        source = Path(os.path.abspath(original))
        with self._lock:
            self._files += 1
            target = self.directory / "folders" / f"{self._files}-{source.name or 'folder'}"
        if source.is_dir() and _size(source) <= _FOLDER_COPY_LIMIT:
            shutil.copytree(source, target, symlinks=True)
        else:
            target.mkdir(parents=True)
        self.redirects.append(DatabaseRedirect(setting, original, str(target)))
        return target

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
        """Database environment variables to set before the app is imported (one database)."""
        url = f"sqlite:///{self.database_file('environment://DATABASE_URL', setting='environment')}"
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
    def loading(self) -> Iterator[Sandbox]:
        """The sandbox while the app is imported and built: what it writes is undone at the end."""
        with self._guarded(self.host.loading()):
            yield self

    @contextmanager
    def active(self) -> Iterator[Sandbox]:
        """The sandbox while the app is driven: no network, no file or process outside it."""
        with self._guarded(self.host.driving()):
            yield self

    @contextmanager
    def _guarded(self, host_phase: AbstractContextManager[object]) -> Iterator[None]:
        with (
            _patched_network(self),
            _patched_sqlite(self),
            _patched_create_engine(self),
            _temporary_files_in(self.directory),
            _quiet_threads(self),
            _cheap_hashing(self),
            _seeded_salts(self),
            host_phase,
        ):
            yield


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

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        target = os.fspath(database) if isinstance(database, (str, os.PathLike)) else database
        if isinstance(target, bytes):
            target = os.fsdecode(target)
        if (
            isinstance(target, str)
            and target not in ("", ":memory:")
            and not target.startswith("file:")
            and not sandbox.owns(target)
        ):
            target = str(sandbox.database_file(target, setting="sqlite3.connect"))
        connection = real_connect(target, *args, **kwargs)
        if isinstance(target, str) and sandbox.owns(target):
            _without_fsync(connection)
        caller = sys._getframe(1).f_globals.get("__name__", "")
        # SQLAlchemy's statements are seen through its own events, with parameters unexpanded
        if sandbox.statement_listeners and not caller.startswith("sqlalchemy"):
            connection.set_trace_callback(sandbox._statement)
        return connection

    connect.__wrapped__ = real_connect  # type: ignore[attr-defined]
    # SQLAlchemy's pysqlite dialect connects through sqlite3.dbapi2, a module of its own
    sqlite3.connect = sqlite3.dbapi2.connect = connect  # type: ignore[assignment]
    try:
        yield
    finally:
        sqlite3.connect = sqlite3.dbapi2.connect = real_connect  # type: ignore[assignment]


def _without_fsync(connection: sqlite3.Connection) -> None:
    """Let commits on a sandbox file skip the wait for the disk: the file is thrown away anyway.

    A probe commits hundreds of times; each waiting for the disk costs milliseconds and
    changes nothing the app can observe.
    """
    # a file the app opened read-only, or locked, keeps the default
    with contextlib.suppress(sqlite3.Error):
        connection.execute("PRAGMA synchronous = OFF")


@contextmanager
def _patched_create_engine(sandbox: Sandbox) -> Iterator[None]:
    """Point engines the app builds with ``sqlalchemy.create_engine`` into the sandbox."""
    try:
        module: Any = importlib.import_module("sqlalchemy")
    except ImportError:
        yield
        return
    real: Callable[..., Any] = module.create_engine

    def create_engine(url: Any, *args: Any, **kwargs: Any) -> Any:
        text = url_text(url)
        if not sandbox.owns(text):
            text = sandbox.database_url(text, setting="create_engine()")
        engine = real(text, *args, **kwargs)
        sandbox.engines.append(engine)
        return engine

    module.create_engine = create_engine
    try:
        yield
    finally:
        module.create_engine = real


@contextmanager
def _cheap_hashing(sandbox: Sandbox) -> Iterator[None]:
    """New password hashes at their lowest cost (see :mod:`testboost.hashing`), when enabled."""
    if not sandbox.cheap_hashing:
        yield
        return
    undo = install_cheap_hashing(lambda what: sandbox.cheap_hashes.setdefault(what))
    try:
        yield
    finally:
        undo()


@contextmanager
def _seeded_salts(sandbox: Sandbox) -> Iterator[None]:
    """New hashes' salts drawn from the run's seed (see :mod:`testboost.hashing`), when given."""
    if sandbox.salt_seed is None:
        yield
        return
    undo = install_seeded_salts(sandbox.salt_seed)
    try:
        yield
    finally:
        undo()


@contextmanager
def _quiet_threads(sandbox: Sandbox) -> Iterator[None]:
    """Keep exceptions of the app's own threads (a mail sender the sandbox cut off) as records.

    Python prints them as raw tracebacks otherwise, over testboost's output.
    """
    saved = threading.excepthook

    def hook(arguments: threading.ExceptHookArgs) -> None:
        if arguments.exc_type is SystemExit or arguments.exc_value is None:
            return
        stack = traceback.extract_tb(arguments.exc_traceback)
        with sandbox._lock:
            sandbox.thread_errors.append(
                f"{arguments.exc_type.__name__}: {arguments.exc_value}"
                + (f" (at {where})" if (where := user_frame_location(stack)) else "")
            )

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = saved


_HYPOTHESIS_HOME = "HYPOTHESIS_STORAGE_DIRECTORY"


def _reset_hypothesis_home() -> None:
    """Make Hypothesis read its storage directory from the environment again."""
    configuration = sys.modules.get("hypothesis.configuration")
    if configuration is not None:
        configuration.set_hypothesis_home_dir(None)


@contextmanager
def _temporary_files_in(directory: Path) -> Iterator[None]:
    """Point :mod:`tempfile` into the sandbox: the app's temporary files are its own business."""
    scratch = directory / "tmp"
    scratch.mkdir(exist_ok=True)
    saved = tempfile.tempdir
    tempfile.tempdir = str(scratch)
    try:
        yield
    finally:
        tempfile.tempdir = saved


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


def _names_a_folder(value: str) -> bool:
    """Whether a setting's text is a path (``uploads/``, ``/var/data``), not a plain name."""
    return "/" in value or os.sep in value or os.path.isdir(value)
