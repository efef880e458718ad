"""The one error type the user can fix.

Everything the user can correct (a wrong ``--app``, a missing directory, a database URL testboost
refuses to touch) is raised as :class:`UsageError` carrying the sentence to print. The CLI prints
that sentence on one line and exits 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UsageError(Exception):
    """A problem in the user's input, with the sentence that says what is wrong and what to do.

    >>> raise UsageError("No tests found in 'tests/': pass --tests DIR")
    """

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
