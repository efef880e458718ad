def test_register_returns_created_user(client):
    resp = client.post(
        "/api/auth/register",
        json={"email": "ann@example.com", "password": "password123", "name": "Ann"},
    )
    assert resp.status_code == 201
    data = resp.get_json()
    assert data["email"] == "ann@example.com"
    assert data["name"] == "Ann"
    assert "password" not in data


def test_register_rejects_missing_fields(client):
    resp = client.post("/api/auth/register", json={"email": "ann@example.com"})
    assert resp.status_code == 400
    assert "required" in resp.get_json()["error"]


def test_register_twice(client):
    payload = {"email": "bob@example.com", "password": "password123", "name": "Bob"}
    client.post("/api/auth/register", json=payload)
    client.post("/api/auth/register", json=payload)


def test_login_returns_token(client):
    client.post(
        "/api/auth/register",
        json={"email": "cat@example.com", "password": "password123", "name": "Cat"},
    )
    resp = client.post(
        "/api/auth/login", json={"email": "cat@example.com", "password": "password123"}
    )
    assert resp.status_code == 200
    assert resp.get_json()["access_token"]


def test_login_wrong_password(client):
    client.post(
        "/api/auth/register",
        json={"email": "dan@example.com", "password": "password123", "name": "Dan"},
    )
    resp = client.post("/api/auth/login", json={"email": "dan@example.com", "password": "nope"})
    assert resp.status_code == 401
    assert resp.get_json() == {"error": "Invalid email or password"}


def test_me(client, auth_headers):
    resp = client.get("/api/auth/me", headers=auth_headers)
    assert resp.status_code == 200


def test_change_password(client, auth_headers):
    client.post(
        "/api/auth/change-password",
        json={"current_password": "password123", "new_password": "password456"},
        headers=auth_headers,
    )
    assert 1
