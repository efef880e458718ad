"""Run a module in a process whose wall clock reads later than the machine's.

``python -m testboost.timeshift SECONDS MODULE [ARGS...]`` moves this process's wall clock
``SECONDS`` ahead, then runs ``MODULE`` as ``python -m MODULE ARGS...`` would. The generator's
second replay runs there: a value the app derives from the current time (an asset URL's
``?d=<start minute>``, a year in a footer, a "3 minutes ago") then differs from the first
replay's however it was rounded, and is not pinned in the generated suite, which runs later.

What moves: ``time.time``, ``time.time_ns``, ``time.clock_gettime`` of ``CLOCK_REALTIME``, and
``time.localtime``, ``time.gmtime``, ``time.ctime``, ``time.asctime`` and ``time.strftime`` read
without a time; ``datetime.datetime.now`` and ``utcnow`` (``date.today`` and ``datetime.today``
read ``time.time`` already). ``datetime.now`` reads the system clock in C and its class cannot be
given attributes from Python, so the two methods are replaced in the class's own dictionary
(CPython): every module sees them, whenever it was imported, and the class stays the real one
(no subclass whose instances or metaclass other code would trip on; CTFd imports freezegun,
which subclasses ``datetime`` with a metaclass of its own).

What does not move: the monotonic clocks (time-outs), file times, and SQLite's own
``CURRENT_TIMESTAMP`` and ``'now'``. A value the app computes from them and Python's clock
together may differ between the replays though it would not in the suite: it is left unpinned,
never pinned wrongly.

>>> shift(400 * 86400)  # doctest: +SKIP
>>> datetime.datetime.now().year - datetime.date.fromtimestamp(0).year > 56  # doctest: +SKIP
True
"""

from __future__ import annotations

import ctypes
import datetime
import gc
import runpy
import sys
import time
from typing import Any


def shift(seconds: float) -> None:
    """Move this process's wall clock ``seconds`` ahead (see the module's docstring)."""
    if not seconds:
        return
    real_time, real_time_ns = time.time, time.time_ns
    real_clock_gettime, real_clock_gettime_ns = time.clock_gettime, time.clock_gettime_ns
    nanoseconds = round(seconds * 1e9)
    realtime = getattr(time, "CLOCK_REALTIME", None)

    def shifted_time() -> float:
        return real_time() + seconds

    def shifted_time_ns() -> int:
        return real_time_ns() + nanoseconds

    def clock_gettime(clock: int) -> float:
        return real_clock_gettime(clock) + (seconds if clock == realtime else 0)

    def clock_gettime_ns(clock: int) -> int:
        return real_clock_gettime_ns(clock) + (nanoseconds if clock == realtime else 0)

    real_localtime, real_gmtime, real_ctime = time.localtime, time.gmtime, time.ctime
    real_strftime, real_asctime = time.strftime, time.asctime

    def localtime(when: Any = None) -> time.struct_time:
        return real_localtime(shifted_time() if when is None else when)

    def gmtime(when: Any = None) -> time.struct_time:
        return real_gmtime(shifted_time() if when is None else when)

    def ctime(when: Any = None) -> str:
        return real_ctime(shifted_time() if when is None else when)

    def strftime(form: str, moment: Any = None) -> str:
        return real_strftime(form, localtime() if moment is None else moment)

    def asctime(moment: Any = None) -> str:
        return real_asctime(localtime() if moment is None else moment)

    time.time, time.time_ns = shifted_time, shifted_time_ns
    time.clock_gettime, time.clock_gettime_ns = clock_gettime, clock_gettime_ns
    time.localtime, time.gmtime, time.ctime = localtime, gmtime, ctime
    time.strftime, time.asctime = strftime, asctime
    _patch_class(datetime.datetime, now=_now, utcnow=_utcnow)


def _now(cls: type[datetime.datetime], tz: datetime.tzinfo | None = None) -> datetime.datetime:
    return cls.fromtimestamp(time.time(), tz)


def _utcnow(cls: type[datetime.datetime]) -> datetime.datetime:
    return cls.fromtimestamp(time.time(), datetime.timezone.utc).replace(tzinfo=None)


def _patch_class(cls: type, **methods: Any) -> None:
    """Make ``methods`` class methods of ``cls``, a class implemented in C (CPython only)."""
    namespace = gc.get_referents(cls.__dict__)[0]  # the dict behind the read-only mapping
    for name, function in methods.items():
        namespace[name] = classmethod(function)
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))  # forget the cached lookups


def main(argv: list[str]) -> None:
    """``SECONDS MODULE [ARGS...]``: run ``MODULE`` as ``__main__`` with the clock shifted."""
    if len(argv) < 2:
        raise SystemExit("usage: python -m testboost.timeshift SECONDS MODULE [ARGS...]")
    shift(float(argv[0]))
    sys.argv = [argv[1], *argv[2:]]
    runpy.run_module(argv[1], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
