"""Plain pytest functions, hollow and real."""

import logging

import pytest

from shop.models import Item, slugify

log = logging.getLogger(__name__)


def test_user_endpoint():
    """Test the user endpoint"""
    assert True  # TODO: Add actual test


def test_login():
    """Test login functionality"""
    # This test will be implemented later
    pass


def test_api():
    """Test API routes"""
    print("Tests passed!")  # Not actual tests


def test_placeholder_ellipsis(client):
    ...


def test_reviews_cascade():
    """Deleting an item deletes its reviews."""


def test_not_implemented_yet(client):
    raise NotImplementedError("write the refund flow test")


def test_assert_one(client):
    client.get("/api/items")
    assert 1


def test_assert_string_literal(client):
    client.get("/api/items")
    assert "items", "list endpoint works"


def test_assert_self_equal(client):
    items = client.get("/api/items").get_json()
    assert items == items


def test_tuple_assert_always_true(client):
    response = client.get("/api/items")
    assert (response.get_json()["page"] == 1, "first page")


def test_len_never_negative(client):
    items = client.get("/api/items").get_json()["items"]
    assert len(items) >= 0


def test_logs_only(client):
    log.info("listing items")
    logging.debug("done")


def test_prints_response(client):
    response = client.get("/api/items")
    print(response.status_code)
    print(response.get_json())


def test_prints_in_loop(client):
    for path in ("/api/items", "/api/users"):
        resp = client.get(path)
        print(path, resp.status_code)


def test_creates_without_checking(client):
    client.post("/api/items", json={"name": "lamp", "price": 10})


def test_calls_function_only():
    slugify("Hello World")


def test_computes_but_never_checks(client):
    response = client.get("/api/items?page=2")
    data = response.get_json()
    total = sum(item["price"] for item in data["items"])


def test_status_only_200(client):
    response = client.get("/api/items")
    assert response.status_code == 200


def test_status_only_reversed(client):
    assert 201 == client.post("/api/items", json={"name": "x", "price": 1}).status_code


def test_status_text(client):
    rv = client.get("/health")
    assert rv.status == "200 OK"


def test_status_in_set(client):
    r = client.delete("/api/items/1")
    assert r.status_code in (200, 204)


def test_status_with_message(client):
    response = client.get("/api/users")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_list_items_returns_json(client):
    response = client.get("/api/items")
    assert response.status_code == 200
    assert response.json == {"items": [], "page": 1}


def test_home_page_mentions_shop(client):
    r = client.get("/")
    assert "Shop" in r.get_data(as_text=True)


def test_slugify():
    assert slugify("Hello World") == "hello-world"


def test_price_rounding():
    assert Item(price=10.005).rounded_price() == pytest.approx(10.01)


def test_status_and_body_in_one_assert(client):
    r = client.get("/api/items/999")
    assert r.status_code == 404 and r.get_json()["error"] == "not found"


def test_assert_in_loop(client):
    for path in ("/api/items", "/api/users"):
        response = client.get(path)
        assert response.is_json, path


def test_raise_assertion_error(client):
    data = client.get("/api/items").get_json()
    if data["page"] != 1:
        raise AssertionError("first page expected")


def test_fail_when_field_missing(client):
    data = client.get("/api/items").get_json()
    if "items" not in data:
        pytest.fail("items missing")


def test_sanity_true_then_real(client):
    assert True
    assert client.get("/api/items").json["page"] == 1


def test_listing_is_stable(client):
    assert client.get("/api/items").json == client.get("/api/items").json


def test_redirect_location(client):
    r = client.get("/old-shop")
    assert r.status_code == 301
    assert r.headers["Location"].endswith("/shop")


def test_order_status_field(client):
    order = client.post("/api/orders", json={"item": 1}).get_json()
    assert order["status"] == "pending"


async def test_async_report(async_client):
    response = await async_client.get("/api/report")
    assert (await response.get_json())["rows"] == []


async def test_async_placeholder(async_client):
    pass


def test_status_code_and_content_type(client):
    response = client.get("/api/items")
    assert response.status_code == 200
    assert response.content_type == "application/json"
