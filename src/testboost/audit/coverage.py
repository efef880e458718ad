"""Line coverage of each view function, from a coverage.py data file of the suite's run.

``testboost audit`` runs the user's suite under ``coverage run`` (see :mod:`testboost.audit.run`)
with ``include`` limited to the files that define views, so coverage only traces those. A view's
lines are the statements coverage.py finds in its file (multi-line statements count once, lines
marked ``# pragma: no cover`` not at all) that also carry bytecode of the view's own code object
or of the functions and comprehensions nested in it (``co_lines``). The ``def``/decorator line is
left out: it runs when the module is imported, not when the route is called.

>>> lines = view_line_coverage(handler.function, measure(data_file, [file]))  # doctest: +SKIP
>>> lines.percent, lines.missing
(75.0, (41, 42))
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

#: coverage.py warnings that say nothing useful about a user's suite run by testboost.
QUIET_WARNINGS = (
    "no-data-collected",
    "module-not-imported",
    "module-not-measured",
    "couldnt-parse",
    "no-ctracer",
)


@dataclass(frozen=True)
class FileLines:
    """coverage.py's statements of one file and the ones the run did not execute."""

    statements: frozenset[int]
    missing: frozenset[int]


@dataclass(frozen=True)
class LineCoverage:
    """Which lines of one view function ran: ``lines`` all of them, ``missing`` those that did not."""

    file: str
    lines: tuple[int, ...]
    missing: tuple[int, ...]

    @property
    def covered(self) -> int:
        """How many of the view's lines ran."""
        return len(self.lines) - len(self.missing)

    @property
    def percent(self) -> float:
        """The share of the view's lines that ran (100 for a view without statements)."""
        return 100.0 * self.covered / len(self.lines) if self.lines else 100.0


def code_lines(function: Callable[..., Any]) -> frozenset[int]:
    """The source lines carrying bytecode of ``function`` and the code nested in it, ``def`` excluded.

    >>> def f(x):
    ...     return [i for i in range(x)]
    >>> sorted(code_lines(f)) == [f.__code__.co_firstlineno + 1]
    True
    """
    code = getattr(function, "__code__", None)
    if not isinstance(code, CodeType):
        return frozenset()
    lines = {line for nested in _walk(code) for _, _, line in nested.co_lines() if line is not None}
    lines.discard(code.co_firstlineno)
    return frozenset(lines)


def source_file(function: Callable[..., Any]) -> str | None:
    """The absolute path of the file defining ``function``, or ``None`` (builtins, ``exec``)."""
    code = getattr(function, "__code__", None)
    if not isinstance(code, CodeType) or code.co_filename.startswith("<"):
        return None
    return os.path.realpath(code.co_filename)


def coverage_config(data_file: Path, include: Iterable[str]) -> str:
    """The text of a coverage.py rc file that traces only ``include`` into ``data_file``.

    testboost passes its own rc file so that the user's ``.coveragerc`` or ``[tool.coverage]``
    can neither send data into their tree nor widen what is traced.
    """
    patterns = "".join(f"\n    {_escape_pattern(path)}" for path in sorted(set(include)))
    return (
        "[run]\n"
        f"data_file = {data_file}\n"
        "parallel = False\n"
        "branch = False\n"
        f"include ={patterns}\n"
        f"disable_warnings = {', '.join(QUIET_WARNINGS)}\n"
    )


def measure(data_file: Path, files: Iterable[str]) -> dict[str, FileLines]:
    """Statements and missed lines of each of ``files`` in a coverage.py data file.

    Returns an empty mapping when the data file does not exist (a run that was killed).
    """
    if not data_file.is_file():
        return {}
    import coverage

    cov = coverage.Coverage(data_file=str(data_file), config_file=False)
    cov.load()
    measured = {os.path.realpath(name) for name in cov.get_data().measured_files()}
    result: dict[str, FileLines] = {}
    for file in files:
        if not Path(file).is_file():
            continue
        try:
            _, statements, _, missing, _ = cov.analysis2(file)
        except Exception:  # coverage cannot parse or find the source: no figure for it
            continue
        if os.path.realpath(file) not in measured:
            missing = statements
        result[file] = FileLines(frozenset(statements), frozenset(missing))
    return result


def view_line_coverage(
    function: Callable[..., Any], files: Mapping[str, FileLines]
) -> LineCoverage | None:
    """Line coverage of one view function, or ``None`` when its file was not measured."""
    file = source_file(function)
    if file is None or file not in files:
        return None
    measured = files[file]
    lines = sorted(code_lines(function) & measured.statements)
    missing = tuple(line for line in lines if line in measured.missing)
    return LineCoverage(file=file, lines=tuple(lines), missing=missing)


def _walk(code: CodeType) -> Iterator[CodeType]:
    yield code
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _walk(constant)


def _escape_pattern(path: str) -> str:
    """A file path as a coverage.py ``include`` pattern (fnmatch special characters escaped)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in path)
