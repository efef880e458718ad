"""Write the generated suite into a directory without ever overwriting the user's own files.

A directory holding files testboost did not write is refused (:class:`UsageError`, exit 2) unless
``force`` is given; even then only files whose first line is testboost's header are overwritten,
and the others are left as they are. Generated files that the new suite no longer has are removed.
The files are formatted with ruff when it is installed (the suite itself never needs it).

>>> written = write_suite(Path("tests/generated"), {"conftest.py": "..."}, force=False)
...                                                                   # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from testboost.errors import UsageError
from testboost.generate.render import HEADER_MARK

#: ruff as a module of this interpreter; ``--no-cache`` everywhere: no .ruff_cache in the project
_RUFF = (sys.executable, "-m", "ruff")
_IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


@dataclass(frozen=True)
class Written:
    """What writing the suite did: files written, files kept (not ours), stale files removed."""

    written: tuple[Path, ...]
    kept: tuple[Path, ...]
    removed: tuple[Path, ...]
    formatted: bool


def is_generated(path: Path) -> bool:
    """Whether a file starts with testboost's header line."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.readline().startswith(HEADER_MARK)
    except OSError:
        return False


def foreign_files(directory: Path) -> list[Path]:
    """Files in ``directory`` (recursively) that testboost did not write."""
    if not directory.exists():
        return []
    found = []
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or _IGNORED_PARTS & set(path.relative_to(directory).parts):
            continue
        if path.suffix == ".pyc" or is_generated(path):
            continue
        found.append(path)
    return found


def check_directory(directory: Path, *, force: bool) -> None:
    """Refuse an output directory that holds other files, unless ``force``."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file, not a directory: pass --out a directory.")
    foreign = foreign_files(directory)
    if foreign and not force:
        shown = ", ".join(str(p.relative_to(directory)) for p in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise UsageError(
            f"{directory} holds files testboost did not write ({shown}{more}); pass an empty "
            "directory, or --force to write alongside them (only files with testboost's header "
            "are overwritten)."
        )


def write_suite(directory: Path, files: Mapping[str, str], *, force: bool) -> Written:
    """Write ``files`` (name → text) into ``directory``; see the module docstring for the rules."""
    check_directory(directory, force=force)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    kept: list[Path] = []
    for name, text in files.items():
        path = directory / name
        if path.exists() and not is_generated(path):
            kept.append(path)
            continue
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
        written.append(path)
    removed = [
        path
        for path in sorted(directory.glob("*.py"))
        if path.name not in files and is_generated(path)
    ]
    for path in removed:
        path.unlink()
    formatted = format_files(written)
    return Written(tuple(written), tuple(kept), tuple(removed), formatted)


def format_source(text: str, path: Path) -> str:
    """``text`` as ruff formats a file at ``path`` (unchanged when ruff is not installed)."""
    if importlib.util.find_spec("ruff") is None:
        return text
    completed = subprocess.run(
        [*_RUFF, "format", "--no-cache", "--quiet", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.stdout if completed.returncode == 0 else text


def format_files(paths: list[Path]) -> bool:
    """Run ``ruff check --fix`` and ``ruff format`` on the files when ruff is installed."""
    if not paths or importlib.util.find_spec("ruff") is None:
        return False
    names = [str(p) for p in paths]
    for arguments in (
        ["check", "--no-cache", "--fix-only", "--quiet", "--exit-zero"],
        ["format", "--no-cache", "--quiet"],
    ):
        completed = subprocess.run(
            [*_RUFF, *arguments, *names],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            return False
    return True
