"""The one error type the user can fix.

Everything the user can correct (a wrong ``--app``, a missing directory, a database URL testboost
refuses to touch) is raised as :class:`UsageError` carrying the sentence to print. The CLI prints
that sentence on one line and exits 2. Anything else is a bug of testboost: the CLI names the
stage it happened in (see :func:`stage`) on one line, exits 3, and shows the traceback only under
``--debug``.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager


class UsageError(Exception):
    """A problem in the user's input, with the sentence that says what is wrong and what to do.

    >>> raise UsageError("No tests found in 'tests/': pass --tests DIR")
    """

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class InternalError(Exception):
    """A bug of testboost, with the stage it happened in and the traceback for ``--debug``."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"{stage}: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.cause = cause
        self.detail = "".join(traceback.format_exception(cause))


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Name the stage an unexpected error of testboost happens in.

    >>> with stage("inventory"):                                    # doctest: +SKIP
    ...     routes = build_inventory(app)
    """
    try:
        yield
    except (UsageError, InternalError, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        raise InternalError(name, exc) from exc
