"""The parsed source of a Python function, as the analysis modules read it.

>>> src = function_source(app.view_functions["create_user"])
>>> src.location, type(src.node).__name__
('app/users.py:41', 'FunctionDef')
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
import types
from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionSource:
    """A plain Python function with the AST of its ``def`` and where that ``def`` is.

    ``location`` is ``file:line`` of the ``def`` line (not of its first decorator), the file
    relative to the working directory when it lies inside it.
    """

    func: types.FunctionType
    node: ast.FunctionDef | ast.AsyncFunctionDef
    location: str


def function_source(func: object) -> FunctionSource | None:
    """The source of the function behind ``func``, or None when it has no usable source.

    Bound methods give their function, decorators are looked through (``__wrapped__``).
    Builtins, lambdas, functools.partial objects and functions made by ``exec`` give None.
    """
    target = _plain_function(func)
    if target is None:
        return None
    try:
        lines, start = inspect.getsourcelines(target)
        filename = inspect.getsourcefile(target) or inspect.getfile(target)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            line = max(start, 1) + node.lineno - 1
            return FunctionSource(target, node, f"{_display_path(filename)}:{line}")
    return None


def _plain_function(func: object) -> types.FunctionType | None:
    if inspect.ismethod(func):
        func = func.__func__
    if not callable(func):
        return None
    try:
        func = inspect.unwrap(func)
    except ValueError:  # a __wrapped__ cycle
        return None
    if inspect.ismethod(func):
        func = func.__func__
    if not isinstance(func, types.FunctionType) or func.__name__ == "<lambda>":
        return None
    return func


def _display_path(filename: str) -> str:
    try:
        rel = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if rel.startswith("..") else rel
