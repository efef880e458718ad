"""Collected through the *_test.py pattern."""

from shop.models import Order


def test_order_lines_sum():
    assert Order(lines=[1, 2]).total == 3


def test_order_constant():
    assert 1 == 1


def test_order_empty():
    """TODO"""


def test_order_status_attribute_is_domain_state():
    order = Order(lines=[1])
    order.ship()
    assert order.status == "shipped"
