"""Whether a view writes response headers itself: its query values are then tried with CR/LF.

A value from the query that a view puts into a header (``Content-Disposition`` naming a file,
``X-Request-Id`` echoed back, a header copied from the query) breaks the answer when it carries
CR/LF: Werkzeug refuses the header and the request ends in a 500, or an older one splits it.

>>> writes_headers(app.view_functions["download"])  # response.headers["X-Name"] = name
True
"""

from __future__ import annotations

import ast

from testboost.analysis.source import function_source

#: Methods of a ``headers`` object that write a header.
_WRITERS = frozenset({"add", "add_header", "set", "setdefault", "extend", "update"})


def writes_headers(func: object) -> bool:
    """True when the view's own code writes a response header: ``x.headers[k] = v``, a
    ``headers`` method that writes, a ``headers=`` argument, ``set_cookie`` or a ``(body,
    status, {headers})`` tuple returned. Views without readable source: False."""
    source = function_source(func)
    if source is None:
        return False
    return any(_writes(node) for node in ast.walk(source.node))


def _writes(node: ast.AST) -> bool:
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Subscript) and _is_headers(t.value) for t in targets)
    if isinstance(node, ast.Call):
        function = node.func
        if isinstance(function, ast.Attribute):
            if function.attr in _WRITERS and _is_headers(function.value):
                return True
            if function.attr == "set_cookie":
                return True
        return any(k.arg == "headers" for k in node.keywords)
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
        return any(isinstance(item, ast.Dict) for item in node.value.elts[1:])
    return False


def _is_headers(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "headers") or (
        isinstance(node, ast.Name) and node.id == "headers"
    )
