"""Drive one route in a process of its own, so that a view killing the process costs one route.

A view may call ``os._exit``, crash a C extension or be killed by the OOM killer: none of that can
be caught inside the process. Each route is therefore driven in a child forked from the explorer
(the app, its sandbox and the seeded world are already built and are shared copy-on-write); the
child streams every exchange back as soon as it has it, then what it learned, and exits. When
the child dies early, the exchanges it sent are kept and the request in flight is reported as a
500 whose error says how the process ended; the next route gets a fresh child.

Where ``os.fork`` does not exist the route is driven in-process.

>>> driven = drive_isolated(lambda announce: (exchanges(announce), learned), 60)  # doctest: +SKIP
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from testboost.explore.timelimit import child_runqueue_wait

_HEADER = struct.Struct("!cI")
_EXCHANGE, _SENDING, _DONE, _FAILED = b"E", b"S", b"D", b"F"


@dataclass(frozen=True)
class ProcessDeath:
    """How a child driving a route ended early, and the request it was sending then."""

    how: str
    #: What the child announced it was sending when it died (the explorer's planned request).
    in_flight: Any


@dataclass(frozen=True)
class Driven:
    """What driving one route gave: its exchanges, the state it learned, and a death if any."""

    exchanges: list[Any]
    learned: Any = None
    death: ProcessDeath | None = None
    failure: str | None = None
    #: Seconds the child waited for a CPU (None where unknown): the probe's budget leaves it out.
    waited: float | None = None


def can_isolate() -> bool:
    """Whether routes can be driven in forked children on this platform."""
    return hasattr(os, "fork") and sys.platform != "win32"


Drive = Callable[[Callable[[Any], None]], tuple[Iterable[Any], Callable[[], Any]]]


def drive_isolated(drive: Drive, silence: float) -> Driven:
    """Run ``drive`` in a forked child and collect what it yields.

    ``drive(announce)`` returns the exchanges (an iterable, consumed in the child) and a function
    giving what the route taught (sent back once the iterable is exhausted); the child calls
    ``announce(planned)`` before each request so that the parent knows which one was in flight.
    A child that sends nothing for ``silence`` seconds is killed and reported as a death.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(drive, os.fdopen(write_end, "wb", buffering=0))
    os.close(write_end)
    exchanges: list[Any] = []
    learned: Any = None
    failure: str | None = None
    in_flight: Any = None
    with os.fdopen(read_end, "rb") as stream:
        for kind, payload in _messages(stream, pid, silence):
            if kind == _EXCHANGE:
                exchanges.append(payload)
                in_flight = None
            elif kind == _SENDING:
                in_flight = payload
            elif kind == _DONE:
                learned = payload
            elif kind == _FAILED:
                failure = payload
    waited = child_runqueue_wait(pid)
    _, status = os.waitpid(pid, 0)
    if learned is not None or failure is not None:
        return Driven(exchanges, learned, failure=failure, waited=waited)
    return Driven(exchanges, None, death=ProcessDeath(_how(status), in_flight), waited=waited)


def _child(drive: Drive, out: BinaryIO) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        # a crash here is reported by the parent; an inherited fault handler would only print
        # the child's C-level dump over the user's terminal
        faulthandler.disable()

        def announce(planned: Any) -> None:
            _send(out, _SENDING, planned)

        exchanges, learned = drive(announce)
        for exchange in exchanges:
            _send(out, _EXCHANGE, exchange)
        _send(out, _DONE, learned())
    except BaseException as exc:  # everything ends here: the child must never return
        try:
            _send(out, _FAILED, f"{type(exc).__name__}: {exc}")
        except BaseException:
            code = 70
    finally:
        try:
            out.close()
        finally:
            os._exit(code)


def _send(out: BinaryIO, kind: bytes, payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(kind, len(data)) + data)


def _messages(stream: BinaryIO, pid: int, silence: float) -> Iterator[tuple[bytes, Any]]:
    while True:
        header = _read(stream, _HEADER.size, pid, silence)
        if len(header) < _HEADER.size:
            return
        kind, size = _HEADER.unpack(header)
        data = _read(stream, size, pid, silence)
        if len(data) < size:
            return
        yield kind, pickle.loads(data)


def _read(stream: BinaryIO, size: int, pid: int, silence: float) -> bytes:
    chunks: list[bytes] = []
    wanted = size
    while wanted:
        ready, _, _ = select.select([stream], [], [], silence)
        if not ready:  # the child hangs where no time limit reaches (C code, a deadlock)
            os.kill(pid, signal.SIGKILL)
            return b""
        chunk = os.read(stream.fileno(), wanted)
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"the process was killed by {name}"
    if os.WIFEXITED(status):
        return f"the process exited with code {os.WEXITSTATUS(status)}"
    return "the process ended"
