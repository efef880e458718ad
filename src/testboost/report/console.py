"""The terminal: rich when it is one, plain text when piped or when ``NO_COLOR`` is set."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table


def make_console(stream: TextIO | None = None) -> Console:
    """A console on ``stream`` (stdout by default) that honours ``NO_COLOR`` and pipes.

    Piped output is never wrapped at 80 columns, so that ``testboost routes | grep`` sees whole
    lines.
    """
    stream = stream or sys.stdout
    plain = not stream.isatty() or "NO_COLOR" in os.environ
    return Console(
        file=stream,
        no_color="NO_COLOR" in os.environ,
        highlight=False,
        width=240 if not stream.isatty() else None,
        emoji=False,
        soft_wrap=False,
        force_terminal=False if plain else None,
    )


def is_plain(console: Console) -> bool:
    """Whether to draw without boxes and colours (piped output, ``NO_COLOR``)."""
    return not console.is_terminal or console.no_color


def make_table(console: Console) -> Table:
    """A table in testboost's style: plain columns when piped, a simple header rule otherwise."""
    plain = is_plain(console)
    return Table(
        box=None if plain else box.SIMPLE_HEAD,
        show_edge=not plain,
        pad_edge=False,
        header_style="" if plain else "bold",
    )
