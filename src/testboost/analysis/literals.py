"""Which values are written as string literals in the app's own source: public, not secret.

A configuration value such as ``SECRET_KEY`` that the app's code spells out
(``os.environ.get("SECRET_KEY", "top-secret!")``) is the public default every copy of the code
has; a deployment sets its own. Showing it in a page leaks nothing a reader of the code lacks.

>>> public_literals({"top-secret!", "kX9v..."}, [Path("/project")])   # doctest: +SKIP
{'top-secret!'}
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

#: directories never read: environments, caches, dependencies, version control
_SKIPPED = {"venv", ".venv", "env", "site-packages", "node_modules", "__pycache__", ".git", ".tox"}
_MAX_FILES = 3000
_MAX_BYTES = 1_000_000


def public_literals(values: Iterable[str], roots: Iterable[Path]) -> set[str]:
    """The ``values`` that appear as a whole string literal in a ``.py`` file under ``roots``."""
    wanted = set(values)
    found: set[str] = set()
    if not wanted:
        return found
    # a literal spelled plainly is in its file's bytes: only those files are parsed
    plain = all(value.isprintable() and not {"\\", "'", '"'} & set(value) for value in wanted)
    needles = tuple(value.encode() for value in wanted) if plain else ()
    for tree in parsed_files(roots, containing=needles):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in wanted:
                found.add(node.value)
        if found == wanted:
            break
    return found


def parsed_files(roots: Iterable[Path], containing: tuple[bytes, ...] = ()) -> Iterator[ast.Module]:
    """The parsed ``.py`` files of the app's own source under ``roots`` (unreadable ones skipped).

    With ``containing``, only files whose bytes hold one of those strings are parsed: a search
    of the bytes costs a fraction of a parse, and most of a project's files hold none.
    """
    for file in _python_files(roots):
        try:
            if file.stat().st_size > _MAX_BYTES:
                continue
            source = file.read_bytes()
            if containing and not any(needle in source for needle in containing):
                continue
            yield ast.parse(source)
        except (OSError, SyntaxError, ValueError):
            continue


def _python_files(roots: Iterable[Path]) -> Iterator[Path]:
    """The ``.py`` files under ``roots``, environments and caches pruned, at most _MAX_FILES."""
    seen: set[Path] = set()
    for root in roots:
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = sorted(
                d for d in subdirectories if d not in _SKIPPED and not d.startswith(".")
            )
            for name in sorted(files):
                file = Path(directory, name)
                if name.endswith(".py") and file.resolve() not in seen:
                    seen.add(file.resolve())
                    if len(seen) > _MAX_FILES:
                        return
                    yield file
