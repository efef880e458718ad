"""Start the processes of a load test, and end every one of them, whatever happens.

Each process starts in a session of its own (so the terminal's Ctrl-C reaches only testboost,
which then ends them in order) with its output in a log file. Leaving :class:`Processes` ends every
process group still running: SIGTERM, then SIGKILL after a grace period. Loopback ports are
checked and chosen here too.

>>> with Processes() as processes:                                     # doctest: +SKIP
...     server = processes.start([...], log=Path("server.log"))
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

LOOPBACK = "127.0.0.1"


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port`` (and it may be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if sys.platform != "win32":  # as servers do: connections closing (TIME_WAIT) do not count
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing uses now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    """Whether a server answers connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((LOOPBACK, port)) == 0


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ("" when it is missing)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Processes:
    """The child processes of one load test; all ended when the ``with`` block is left."""

    def __init__(self, grace: float = 5.0) -> None:
        self.grace = grace
        self.started: list[subprocess.Popen[bytes]] = []
        self._logs: list[object] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(
        self,
        argv: Sequence[str],
        *,
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in its own session (in ``cwd``), stdout and stderr into ``log``."""
        handle = log.open("ab")
        self._logs.append(handle)
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=sys.platform != "win32",
        )
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], *, first: int = signal.SIGTERM) -> int:
        """End ``process`` and everything it started; its exit code."""
        if process.poll() is None:
            self._signal(process, first)
            try:
                process.wait(self.grace)
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL if sys.platform != "win32" else first)
                process.wait(self.grace)
        # its children (gunicorn's workers) may outlive it: end what is left of the group
        self._signal(process, signal.SIGKILL if sys.platform != "win32" else first)
        return process.returncode

    def stop_all(self) -> None:
        """End every process still running, the last started first."""
        for process in reversed(self.started):
            self.stop(process)
        for handle in self._logs:
            handle.close()  # type: ignore[attr-defined]
        self._logs.clear()

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], number: int) -> None:
        try:
            if sys.platform == "win32":
                process.terminate()
            else:
                os.killpg(process.pid, number)
        except (ProcessLookupError, PermissionError):
            pass

    @staticmethod
    def wait(process: subprocess.Popen[bytes], seconds: float) -> int | None:
        """Wait up to ``seconds`` for ``process``; its exit code, or None if it still runs."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return process.returncode
            time.sleep(0.1)
        return process.poll()
