"""Same seed, same bytes: ``scan`` and ``generate`` run under a fixed ``PYTHONHASHSEED``.

The app's own set and dict-of-set orders (Flask-AppBuilder builds its permissions from sets, a
serializer walks its fields in set order) change with Python's per-process string hashing, and
with them which row gets which id and which line an exception is raised at. Python fixes its hash
seed only at start-up, so the command starts itself again with ``PYTHONHASHSEED=0`` before it
loads the app. A ``PYTHONHASHSEED`` the user set is left as it is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: the commands whose output the seed promise covers
PINNED_COMMANDS = ("scan", "generate")


def pin_hash_seed(argv: list[str] | None = None) -> None:
    """Start the command again under ``PYTHONHASHSEED=0`` when it is ``scan`` or ``generate``.

    Only the real command line is restarted (the ``testboost`` script or ``python -m
    testboost``), never a caller that runs the command in its own process (tests, Click's runner).
    """
    args = sys.argv if argv is None else argv
    if "PYTHONHASHSEED" in os.environ or not args or not _is_command_line(args[0]):
        return
    command = next((a for a in args[1:] if not a.startswith("-")), None)
    if command not in PINNED_COMMANDS:
        return
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "testboost", *args[1:]], environment)


def _is_command_line(program: str) -> bool:
    path = Path(program)
    return path.name in ("testboost", "testboost.exe") or (
        path.name == "__main__.py" and path.parent.name == "testboost"
    )
