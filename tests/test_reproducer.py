"""Reproducers: a curl line without secrets, and a pytest function using the generated fixtures."""

from __future__ import annotations

from testboost.explore.exchange import ProbeRequest
from testboost.explore.identity import HEADER_FIXTURES
from testboost.report.reproducer import curl, pytest_function, reproducer_name


def test_curl_hides_the_token_and_sends_the_json_body() -> None:
    request = ProbeRequest(
        "PUT",
        "/api/users/1",
        headers=(("Authorization", "Bearer secret-token"),),
        json={"role": "admin"},
        has_json=True,
        identity="A",
    )
    line = curl(request)
    assert "secret-token" not in line
    assert '"Authorization: Bearer $TOKEN"' in line
    assert '--data \'{"role": "admin"}\'' in line
    assert line.endswith("http://localhost:5000/api/users/1")


def test_pytest_reproducer_uses_the_generated_conftest_fixture_of_each_identity() -> None:
    for identity, fixture in HEADER_FIXTURES.items():
        code = pytest_function(
            "server-error", "GET", "/x", 500, ProbeRequest("GET", "/x", identity=identity)
        )
        assert f"(client, {fixture}):" in code
        assert f"headers={fixture}" in code
    anonymous = pytest_function(
        "missing-404", "GET", "/x/<int:id>", 200, ProbeRequest("GET", "/x/9")
    )
    assert anonymous.startswith("def test_get_x_id_missing_404(client):")
    assert "assert response.status_code == 404" in anonymous


def test_reproducer_name_drops_converters() -> None:
    assert reproducer_name("server-error", "GET", "/api/users/<int:user_id>") == (
        "test_get_api_users_user_id_server_error"
    )
