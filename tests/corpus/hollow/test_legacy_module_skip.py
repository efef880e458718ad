"""A whole module parked with a TODO skip."""

import pytest

pytestmark = pytest.mark.skip(reason="TODO: port to the v2 API")


def test_v1_items(client):
    assert client.get("/v1/items").json == []


def test_v1_users(client):
    assert client.get("/v1/users").json == []
