import pytest

from examples.shopapi import create_app


@pytest.fixture
def app():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth_headers(client):
    client.post(
        "/api/auth/register",
        json={"email": "tester@example.com", "password": "password123", "name": "Tester"},
    )
    resp = client.post(
        "/api/auth/login", json={"email": "tester@example.com", "password": "password123"}
    )
    token = resp.get_json()["access_token"]
    return {"Authorization": f"Bearer {token}"}
