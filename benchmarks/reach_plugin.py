"""A pytest plugin for benchmarks/reach_suite.py: which pairs each test reached, and as whom.

Loaded with ``-p reach_plugin`` into a generated suite's run; writes one JSON line per request
the app answered (method, rule, status, Location, and whether the test held a user's
credentials: one of the identity fixtures) to the file named by ``TB_REACH_OUT``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

IDENTITY_FIXTURES = {
    "auth_headers",
    "other_auth_headers",
    "admin_headers",
    "user_client",
    "other_user_client",
    "admin_client",
}
_state: dict[str, Any] = {"credentials": False, "lines": []}


def _finished(sender: Any, response: Any, **extra: Any) -> None:
    from flask import request

    rule = request.url_rule.rule if request.url_rule is not None else None
    _state["lines"].append(
        {
            "method": request.method,
            "rule": rule,
            "status": response.status_code,
            "location": response.headers.get("Location"),
            # an identity fixture, or credentials the test sent itself (Basic to a token route)
            "credentials": _state["credentials"] or "Authorization" in request.headers,
        }
    )


def pytest_configure(config: pytest.Config) -> None:
    from flask import request_finished

    request_finished.connect(_finished, weak=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    _state["credentials"] = bool(IDENTITY_FIXTURES & set(getattr(item, "fixturenames", ())))
    yield
    _state["credentials"] = False


def pytest_unconfigure(config: pytest.Config) -> None:
    out = os.environ.get("TB_REACH_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            for line in _state["lines"]:
                handle.write(json.dumps(line) + "\n")
