"""A time limit that a loaded machine does not spend: time spent waiting for a CPU is not counted.

A request (or a replayed job) is stopped when it has run ``seconds`` — asleep, blocked or
computing — but not while it only waited for a CPU other processes held: on a machine at load
20 a 0.5 s request takes 5 s of wall time, and stopping it there would report a hang that is
the machine's. The wait is read from Linux's ``/proc/thread-self/schedstat`` (time spent on a
run queue); where it cannot be read, the limit is plain wall time. Whatever the wait, the block
is stopped after :data:`HARD_FACTOR` times ``seconds`` of wall time.

A :class:`WorkClock` measures a whole probe the same way (``scan --budget``): wall time less the
CPU waits of this thread and of the route processes it forked, so that the routes a budget
covers do not depend on what else the machine runs.

>>> with time_limit(5.0, RequestTimeout):  # doctest: +SKIP
...     client.get("/slow")
"""

from __future__ import annotations

import os
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
    return _waited(_SCHEDSTAT)


def _waited(schedstat: Path) -> float | None:
    try:
        return int(schedstat.read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def child_runqueue_wait(pid: int) -> float | None:
    """Seconds the child ``pid`` waited for a CPU over its life, read once it has exited and
    before it is reaped (it stays a zombie until then); None where unknown. The caller reaps it."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    except (AttributeError, OSError):
        return None
    return _waited(Path(f"/proc/{pid}/schedstat"))


def hang_silence(seconds: float) -> float:
    """How long a process driving requests limited to ``seconds`` may send nothing before it is
    taken for hung: longer than :func:`time_limit` lets a request run on a loaded machine, so a
    slow request is never killed there as a hang (and reported as a crash) only because of load."""
    return max(30.0, (HARD_FACTOR + 1) * seconds)


class WorkClock:
    """Seconds of work since it was made: wall time less the CPU waits of this thread, with the
    life of each child counted in with :meth:`count_child` measured by the child's own waits
    (plain wall time where waits are unknown)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.waited_at_start = runqueue_wait()
        self.children_waited = 0.0

    def count_child(self, waited: float | None, since: float | None) -> None:
        """Count the life of a child process this thread forked and waited for as the child's
        work: ``waited`` is what the child waited for a CPU over its life (left out), ``since``
        this thread's :func:`runqueue_wait` when it forked it. What this thread waited meanwhile
        is put back: it was blocked on the child, and on a busy CPU its waits are mostly the
        child's running."""
        now = runqueue_wait()
        if waited is None or since is None or now is None or self.waited_at_start is None:
            return
        self.children_waited += waited - max(0.0, now - since)

    def seconds(self) -> float:
        """The work time so far."""
        return spent(self.started, self.waited_at_start) - self.children_waited

    def past(self, budget: float) -> bool:
        """Whether ``budget`` seconds of work are spent, or :data:`HARD_FACTOR` times that of
        wall time whatever the waits."""
        return self.seconds() > budget or time.monotonic() - self.started > HARD_FACTOR * budget


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
