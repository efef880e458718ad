"""Mocks, pytest.raises/warns and explicit failures."""

from unittest import mock
from unittest.mock import AsyncMock, patch

import pytest

from shop.models import Item, legacy_total, notify_all, parse_order


def test_signup_sends_welcome_mail(client):
    with patch("shop.mail.send") as send:
        client.post("/signup", json={"email": "ada@example.com"})
    send.assert_called_once_with("ada@example.com", subject="Welcome")


def test_no_mail_for_invalid_signup(client):
    with patch("shop.mail.send") as send:
        client.post("/signup", json={})
    send.assert_not_called()


def test_audit_log_calls(client, mocker):
    record = mocker.patch("shop.audit.record")
    client.delete("/api/items/1")
    record.assert_has_calls([mock.call("delete", 1)])


async def test_async_notifier():
    notifier = AsyncMock()
    await notify_all(notifier, ["ada"])
    notifier.send.assert_awaited_once_with("ada")


def test_negative_price_rejected():
    with pytest.raises(ValueError, match="price"):
        Item(price=-1)


def test_raises_callable_form():
    pytest.raises(KeyError, parse_order, {})


def test_deprecated_alias_warns():
    with pytest.warns(DeprecationWarning):
        legacy_total([1, 2])


def test_patch_without_assert(client):
    with patch("shop.mail.send") as send:
        client.post("/signup", json={"email": "ada@example.com"})


def test_mock_attribute_not_asserted(client):
    with patch("shop.mail.send") as send:
        client.post("/signup", json={"email": "ada@example.com"})
    send.called


def test_mock_method_typo(client):
    with patch("shop.mail.send") as send:
        client.post("/signup", json={"email": "ada@example.com"})
    send.called_once_with("ada@example.com")


def test_prints_mock_calls(client):
    with patch("shop.mail.send") as send:
        client.post("/signup", json={"email": "ada@example.com"})
    print(send.call_args_list)


def test_raises_then_status_only(client):
    with pytest.raises(ValueError):
        Item(price=-1)
    assert client.get("/api/items").status_code == 200


def test_mock_return_checked_by_status_only(client):
    with patch("shop.payments.charge", return_value={"ok": True}):
        response = client.post("/api/checkout", json={"card": "4242"})
    assert response.status_code == 201
