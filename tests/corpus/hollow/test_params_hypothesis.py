"""Parametrized and property-based tests."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.models import Item, Order, slugify


@pytest.mark.parametrize("path", ["/api/items", "/api/users"])
def test_lists_are_json(client, path):
    assert client.get(path).is_json


@pytest.mark.parametrize(("payload", "status"), [({}, 400), ({"name": ""}, 400)])
def test_invalid_items_status_only(client, payload, status):
    assert client.post("/api/items", json=payload).status_code == status


@pytest.mark.parametrize(
    ("payload", "error"),
    [({}, "name is required"), ({"name": ""}, "name must not be empty")],
    ids=["missing", "empty"],
)
def test_invalid_items_message(client, payload, error):
    r = client.post("/api/items", json=payload)
    assert r.status_code == 400
    assert r.get_json()["error"] == error


@pytest.mark.parametrize("name", ["a", "b"])
def test_param_placeholder(name):
    pass


@pytest.mark.parametrize("n", range(3))
def test_param_print(n):
    print(slugify(f"item {n}"))


@given(st.text())
def test_slugify_never_has_spaces(text):
    assert " " not in slugify(text)


@given(st.integers(min_value=0))
def test_price_roundtrip_no_assert(cents):
    Item(price=cents / 100).rounded_price()


@given(st.text())
def test_given_assert_true(text):
    slugify(text)
    assert True


@given(st.lists(st.integers()))
def test_order_lines_in_loop(values):
    order = Order(lines=values)
    for line, value in zip(order.lines, values):
        assert line.amount == value


@given(value=st.integers())
def test_given_keyword_placeholder(value):
    ...
