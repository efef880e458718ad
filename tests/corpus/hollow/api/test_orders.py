from http import HTTPStatus

from helpers import assert_json_error


def test_order_total(client, order):
    assert client.get(f"/api/orders/{order['id']}").json["total"] == 10


def test_order_status_httpstatus(client, order):
    response = client.get(f"/api/orders/{order['id']}")
    assert response.status_code == HTTPStatus.OK


def test_cancel_keeps_stock_consistent(client, order, consistent_stock):
    client.post(f"/api/orders/{order['id']}/cancel")


def test_unknown_order_error(client):
    assert_json_error(client.get("/api/orders/999"), "order 999 not found")


def test_order_placeholder(order):
    pass


def test_order_refund(client, order):
    client.post(f"/api/orders/{order['id']}/refund")
    print("refunded", order["id"])


def test_cancel_status_range(client, order):
    response = client.post(f"/api/orders/{order['id']}/cancel")
    assert 200 <= response.status_code < 300
