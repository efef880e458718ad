"""pytest test classes: method helpers, inheritance, nesting."""

from helpers import assert_item_payload


class TestItemsApi:
    def _get(self, client, item_id):
        return client.get(f"/api/items/{item_id}")

    def _assert_error(self, response, message):
        assert response.is_json
        assert response.get_json()["error"] == message

    def test_missing_item_message(self, client):
        response = self._get(client, 999)
        self._assert_error(response, "item 999 not found")

    def test_missing_item_status_only(self, client):
        assert self._get(client, 999).status_code == 404

    def test_item_payload_via_imported_helper(self, client):
        assert_item_payload(self._get(client, 1).get_json(), name="lamp")

    def test_pagination(self, client):
        """TODO: cover pagination."""

    def test_create_then_print(self, client):
        created = client.post("/api/items", json={"name": "desk", "price": 99})
        print(created.get_json())

    def test_update_without_check(self, client):
        client.put("/api/items/1", json={"price": 12})
        self._get(client, 1)

    class TestNested:
        def test_nested_real(self, client):
            assert client.get("/api/items/1").get_json()["id"] == 1

        def test_nested_constant(self):
            assert not False


class ItemChecks:
    """Shared checks; not collected itself (no Test prefix)."""

    def check_empty_listing(self, response):
        assert response.get_json()["items"] == []

    def test_inherited_listing(self, client):
        self.check_empty_listing(client.get("/api/items"))


class TestEmptyShop(ItemChecks):
    def test_empty_total(self, client):
        assert client.get("/api/items").json["total"] == 0

    def test_empty_search_status(self, client):
        assert client.get("/api/items?q=zzz").status_code == 200


class TestCheckout:
    def test_checkout_status(self, client, auth_headers):
        r = client.post("/api/checkout", headers=auth_headers)
        assert r.status_code == 201, r.data

    def test_checkout_total(self, client, auth_headers):
        r = client.post("/api/checkout", headers=auth_headers)
        assert r.status_code == 201
        assert r.get_json()["total"] == 0

    @staticmethod
    def test_static_method_placeholder():
        pass


class TestHasInit:
    """pytest does not collect classes with __init__."""

    def __init__(self):
        self.client = None

    def test_not_collected(self):
        pass


class TestDisabled:
    __test__ = False

    def test_not_collected_either(self):
        pass
