"""A time limit that a loaded machine does not spend: time spent waiting for a CPU is not counted.

A request (or a replayed job) is stopped when it has run ``seconds`` — asleep, blocked or
computing — but not while it only waited for a CPU other processes held: on a machine at load
20 a 0.5 s request takes 5 s of wall time, and stopping it there would report a hang that is
the machine's. The wait is read from Linux's ``/proc/thread-self/schedstat`` (time spent on a
run queue); where it cannot be read, the limit is plain wall time. Whatever the wait, the block
is stopped after :data:`HARD_FACTOR` times ``seconds`` of wall time.

>>> with time_limit(5.0, RequestTimeout):  # doctest: +SKIP
...     client.get("/slow")
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Wall time past which the block is stopped however long it waited for a CPU (x ``seconds``).
HARD_FACTOR = 12.0
_SCHEDSTAT = Path("/proc/thread-self/schedstat")


def runqueue_wait() -> float | None:
    """Seconds the calling thread has waited for a CPU so far, or None where unknown."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def spent(started: float, waited_at_start: float | None) -> float:
    """Wall seconds since ``started`` less the CPU wait since then (plain wall time if unknown)."""
    elapsed = time.monotonic() - started
    now = runqueue_wait()
    if waited_at_start is None or now is None:
        return elapsed
    return elapsed - max(0.0, now - waited_at_start)


@contextmanager
def time_limit(seconds: float, error: type[BaseException]) -> Iterator[None]:
    """Raise ``error()`` inside the block once it has run ``seconds`` not counting CPU waits
    (main thread, POSIX); no limit elsewhere."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return
    started, waited = time.monotonic(), runqueue_wait()
    hard = started + HARD_FACTOR * seconds

    def expire(signum: int, frame: Any) -> None:
        left = seconds - spent(started, waited)
        if left > 0 and time.monotonic() < hard:
            # the machine, not the block, took the time: wait for the rest of the limit
            signal.setitimer(signal.ITIMER_REAL, min(left, hard - time.monotonic()) + 0.01)
            return
        raise error()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
