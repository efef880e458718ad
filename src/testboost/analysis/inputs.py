"""What a view reads from the request, inferred from its source.

The view's source (and that of the same-app helpers it hands request data to, one call deep) is
parsed and walked once, in source order. Every read of ``request.json``, ``request.form``,
``request.args``, ``request.values``, ``request.headers``, ``request.files`` and
``request.cookies`` becomes a :class:`Field`; casts, ``type=`` arguments, ``isinstance`` checks,
string methods and comparisons give it a type; subscript access and explicit "missing → 400"
checks make it required.

    >>> spec = infer_inputs(app.view_functions["create_user"])
    >>> [(f.location, f.name, f.type, f.required) for f in spec.fields]
    [('json', 'email', 'str', True), ('json', 'age', 'int', False)]
    >>> spec.whole_json  # the view does User(**data)
    True
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any

from testboost.analysis.input_collector import Collector
from testboost.analysis.input_walk import Analyser
from testboost.analysis.inputspec import LOCATIONS, TYPES, Field, InputSpec, value_type
from testboost.analysis.source import function_source

__all__ = ["LOCATIONS", "TYPES", "Field", "InputSpec", "infer_inputs", "path_casts", "value_type"]


def infer_inputs(func: Callable[..., Any]) -> InputSpec:
    """Infer what ``func`` — a view function, or one method of a MethodView / Resource — reads.

    Decorators are looked through (``__wrapped__``); a view made by ``View.as_view`` is analysed
    through its class's HTTP-method functions. A builtin, a lambda or a function without source
    gives an empty spec, never an error.

        >>> infer_inputs(UserAPI.post).fields[0]
        Field(name='email', location='json', type='str', required=True, default=None)
    """
    collector = Collector()
    view_class = getattr(func, "view_class", None)
    if isinstance(view_class, type):
        for verb in ("get", "post", "put", "patch", "delete"):
            method = getattr(view_class, verb, None)
            if method is not None:
                _analyse_function(method, collector)
    else:
        _analyse_function(func, collector)
    return collector.spec()


def _analyse_function(func: object, collector: Collector) -> None:
    parsed = function_source(func)
    if parsed is None or parsed.func.__code__ in collector.seen:
        return
    collector.seen.add(parsed.func.__code__)
    collector.sources.append(parsed.location)
    analyser = Analyser(parsed.func, collector, depth=0)
    analyser.expect_decorators(parsed.node)
    analyser.run(parsed.node)


def path_casts(func: Callable[..., Any], names: Iterable[str]) -> dict[str, str]:
    """Types a view casts its plain ``<name>`` path parameters to: ``float(delay)`` → float.

    Only parameters passed to ``int(...)`` or ``float(...)`` directly are reported; a converter in
    the rule (``<int:id>``) already says the type and needs no inference.
    """
    wanted = set(names)
    parsed = function_source(func)
    if parsed is None or not wanted:
        return {}
    casts: dict[str, str] = {}
    for node in ast.walk(parsed.node):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("int", "float")
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in wanted
        ):
            casts.setdefault(node.args[0].id, node.func.id)
    return casts
