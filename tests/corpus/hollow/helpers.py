"""Assertion helpers shared by the corpus tests (imported as a local module)."""

import unittest


def assert_valid_user(payload):
    assert set(payload) >= {"id", "name", "email"}
    assert "@" in payload["email"]


def assert_item_payload(payload, *, name):
    assert payload["name"] == name
    assert isinstance(payload["price"], (int, float))


def assert_ok(response):
    """Only the status: what older tests used."""
    assert response.status_code == 200


def _assert_json(response):
    assert response.is_json


def assert_json_error(response, message):
    _assert_json(response)
    assert response.get_json()["error"] == message


def log_response(response):
    print(response.status_code, response.get_data(as_text=True))


def fetch_all(client, paths):
    return [client.get(path) for path in paths]


class ApiTestCase(unittest.TestCase):
    def setUp(self):
        from shop import create_app

        self.client = create_app("testing").test_client()

    def assert_error(self, response, message):
        assert_json_error(response, message)
