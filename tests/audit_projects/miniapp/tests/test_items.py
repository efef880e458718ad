import pytest


def test_list_items(client):
    resp = client.get("/items")
    assert resp.get_json() == [{"id": 1, "name": "mug"}]


def test_create_item_requires_name(client):
    resp = client.post("/items", json={})
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "name is required"


def test_missing_item_is_404(client):
    resp = client.get("/items/99")
    assert resp.status_code == 404


def test_delete_item(client):
    assert client.delete("/items/1").status_code == 204


def test_wrong_method_and_unknown_url(client):
    assert b"Method Not Allowed" in client.put("/items").data
    assert b"Not Found" in client.get("/nowhere").data


def test_boom_propagates(client):
    with pytest.raises(RuntimeError):
        client.get("/boom")


def test_todo():
    pass
