"""Threads a request starts: waited for briefly, so that what they do belongs to that request.

A view that sends its mail from a thread of its own (Flask-Mail's ``send_async_email``, flasky's
``/auth/confirm``) answers before the thread connects. Unwaited, the thread's connection attempt
(or database write) lands in whichever request the probe sends next, another route's or another
user's, depending on the machine's speed: a finding with the wrong reproducer, and a report that
differs between two runs of one seed.
"""

from __future__ import annotations

import threading
import time
import weakref

#: Seconds a request's new threads are waited for, all together.
WAIT = 1.0
#: After this many threads outlived the wait, the app keeps workers running: stop waiting.
LINGERING_LIMIT = 3


class StartedThreads:
    """Waits, after each request, for the threads it started (up to :data:`WAIT` seconds)."""

    def __init__(self, wait: float = WAIT) -> None:
        self.wait = wait
        self._lingering: weakref.WeakSet[threading.Thread] = weakref.WeakSet()

    @staticmethod
    def running() -> frozenset[threading.Thread]:
        """The threads alive now, to pass to :meth:`join_new` after the request."""
        return frozenset(threading.enumerate())

    def join_new(self, before: frozenset[threading.Thread]) -> None:
        """Join the threads started since ``before``; one still running is not waited for again."""
        if len(self._lingering) >= LINGERING_LIMIT:
            return
        deadline = time.monotonic() + self.wait
        current = threading.current_thread()
        for thread in threading.enumerate():
            if thread in before or thread is current or thread in self._lingering:
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                self._lingering.add(thread)
