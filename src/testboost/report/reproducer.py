"""Copy-pasteable reproducers for a finding: a curl line and a pytest function."""

from __future__ import annotations

import json
import re
import shlex

from testboost.explore.exchange import ProbeRequest
from testboost.explore.identity import HEADER_FIXTURES

BASE_URL = "http://localhost:5000"


def curl(request: ProbeRequest, base_url: str = BASE_URL) -> str:
    """The request as a curl command line (credentials shown as a placeholder variable)."""
    parts = ["curl", "-i", "-X", request.method]
    for name, value in request.headers:
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0]
            value = f"{scheme} $TOKEN"
        parts += ["-H", f"{name}: {value}"]
    if request.has_json:
        parts += ["-H", "Content-Type: application/json", "--data", json.dumps(request.json)]
    elif request.form is not None:
        for name, value in request.form:
            parts += ["--data-urlencode", f"{name}={value}"]
    elif request.body is not None:
        parts += ["-H", f"Content-Type: {request.content_type}", "--data", request.body]
    parts.append(base_url + request.url)
    return " ".join(shlex.quote(p) if "$TOKEN" not in p else f'"{p}"' for p in parts)


def reproducer_name(check: str, method: str, rule: str) -> str:
    """A test function name for a finding: ``test_get_api_users_user_id_server_error``."""
    rule = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"\1", rule)
    words = re.sub(r"[^a-z0-9]+", "_", f"{method} {rule} {check}".lower()).strip("_")
    return f"test_{words}"


def pytest_function(
    check: str, method: str, rule: str, status: int | None, request: ProbeRequest
) -> str:
    """A pytest function that replays the request; the fixtures match the generated conftest."""
    fixtures = ["client"]
    arguments = [repr(request.url)]
    if request.identity:
        fixture = HEADER_FIXTURES.get(request.identity, "auth_headers")
        fixtures.append(fixture)
        arguments.append(f"headers={fixture}")
    kind, value = request.payload or ("", None)
    if kind == "json":
        arguments.append(f"json={value!r}")
    elif kind == "form":
        arguments.append(f"data={value!r}")
    elif kind == "raw":
        arguments.append(f"data={value!r}, content_type={request.content_type!r}")
    call = f"client.{request.method.lower()}({', '.join(arguments)})"
    expectation = {
        "server-error": "assert response.status_code < 500",
        "missing-404": "assert response.status_code == 404",
        "non-json-error": "assert response.is_json",
    }.get(check, f"assert response.status_code != {status}")
    return (
        f"def {reproducer_name(check, method, rule)}({', '.join(fixtures)}):\n"
        f"    response = {call}\n"
        f"    {expectation}\n"
    )
