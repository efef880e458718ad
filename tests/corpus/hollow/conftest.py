import pytest

from shop import create_app


@pytest.fixture
def app():
    app = create_app("testing")
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def user(client):
    response = client.post("/api/users", json={"name": "ada", "email": "ada@example.com"})
    return response.get_json()


@pytest.fixture
def auth_headers(user):
    return {"Authorization": f"Bearer {user['token']}"}


@pytest.fixture
def logged_in(client, user):
    """A client with a session; the login itself is only checked for its status."""
    response = client.post("/login", json={"email": user["email"], "password": "pw"})
    assert response.status_code == 200
    return client


@pytest.fixture
def no_server_errors(app):
    """Fail the test if a request logged a server error."""
    errors = []
    app.config["ERROR_SINK"] = errors
    yield
    assert errors == [], f"server errors: {errors}"


@pytest.fixture
def watched_client(client, no_server_errors):
    return client


@pytest.fixture
def expect_json():
    """A checker: the response is JSON and equals the expected payload."""

    def check(response, expected, status=200):
        assert response.status_code == status
        assert response.is_json
        assert response.get_json() == expected

    return check


def assert_problem(response, status):
    """An RFC 7807 problem document with the given status."""
    assert response.status_code == status
    body = response.get_json()
    assert body["status"] == status
    assert body["title"]
