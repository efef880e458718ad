"""Checks made through helpers (module, conftest, imported) and through fixtures."""

import pytest

import helpers
from conftest import assert_problem
from helpers import assert_ok, fetch_all, log_response


@pytest.fixture
def item(client):
    response = client.post("/api/items", json={"name": "lamp", "price": 10})
    return response.get_json()


@pytest.fixture
def audited(client):
    """Fail the test if the audit log is left inconsistent."""
    yield client
    entries = client.get("/api/audit").get_json()
    assert all(entry["actor"] for entry in entries)


def check_listing(client, expected_names):
    names = [row["name"] for row in client.get("/api/items").get_json()["items"]]
    assert names == expected_names


def verify_only_lamp(client):
    check_listing(client, ["lamp"])


def fetch(client, item_id):
    return client.get(f"/api/items/{item_id}")


def test_listing_via_module_helper(client, item):
    check_listing(client, ["lamp"])


def test_listing_two_levels(client, item):
    verify_only_lamp(client)


def test_helpers_module_attribute(client, item):
    helpers.assert_item_payload(fetch(client, item["id"]).get_json(), name="lamp")


def test_conftest_helper(client):
    assert_problem(client.get("/api/items/999"), 404)


def test_checker_fixture(client, item, expect_json):
    expect_json(fetch(client, item["id"]), item)


def test_teardown_fixture_checks(client, no_server_errors):
    client.get("/api/items?sort=price")


@pytest.mark.usefixtures("no_server_errors")
def test_usefixtures_check(client):
    client.get("/api/items?sort=-price")


def test_fixture_chain_checks(watched_client):
    watched_client.delete("/api/items/1")


def test_module_teardown_fixture(audited):
    audited.post("/api/items", json={"name": "chair", "price": 5})


def test_status_helper_only(client):
    assert_ok(client.get("/api/items"))


def test_logging_helper_only(client):
    log_response(client.get("/api/items"))


def test_fetch_helper_only(client, item):
    fetch(client, item["id"])


def test_fetch_all_no_check(client):
    responses = fetch_all(client, ["/api/items", "/api/users"])


def test_checker_fixture_requested_never_called(client, expect_json):
    client.get("/api/items")


def test_fixture_without_checks(item):
    print(item)


def test_logged_in_fixture_status_not_enough(logged_in):
    logged_in.get("/api/me")


def test_logged_in_profile(logged_in):
    assert logged_in.get("/api/me").get_json()["name"] == "ada"
