import pytest


@pytest.fixture
def product_id(client, auth_headers):
    resp = client.post(
        "/api/products",
        json={"name": "Mug", "sku": "MUG-1", "price": 9.5, "stock": 10},
        headers=auth_headers,
    )
    return resp.get_json()["id"]


@pytest.fixture
def order(client, auth_headers, product_id):
    resp = client.post(
        "/api/orders",
        json={
            "items": [{"product_id": product_id, "quantity": 2}],
            "shipping_address": "1 Main St",
        },
        headers=auth_headers,
    )
    assert resp.status_code == 201
    return resp.get_json()


def test_create_order_computes_total(order, product_id):
    assert order["total"] == 19.0
    assert order["status"] == "pending"
    assert [item["product_id"] for item in order["items"]] == [product_id]


def test_get_own_order(client, auth_headers, order):
    resp = client.get(f"/api/orders/{order['id']}", headers=auth_headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["id"] == order["id"]
    assert body["items"][0]["quantity"] == 2


def test_orders_require_login(client):
    resp = client.get("/api/orders")
    assert resp.status_code == 401
    assert resp.get_json()["msg"] == "Missing Authorization Header"


def test_list_orders(client, auth_headers, order):
    resp = client.get("/api/orders", headers=auth_headers)
    assert resp.status_code == 200


def test_order_items(client, auth_headers, order):
    resp = client.get(f"/api/orders/{order['id']}/items", headers=auth_headers)
    data = resp.get_json()
    assert data == data


def test_delete_order(client, auth_headers, order):
    client.delete(f"/api/orders/{order['id']}", headers=auth_headers)
    client.get(f"/api/orders/{order['id']}", headers=auth_headers)


def test_cancel_order(client, auth_headers, order):
    """Cancelling a pending order puts the stock back."""
    # TODO: write this once cancellation is settled


@pytest.mark.skip(reason="TODO: mock the payment gateway")
def test_pay_order(client, auth_headers, order):
    resp = client.post(
        "/api/payments",
        json={"order_id": order["id"], "card_number": "4242424242424242"},
        headers=auth_headers,
    )
    assert resp.status_code == 201
