import pytest


def assert_product(data, **expected):
    assert set(data) >= {"id", "name", "sku", "price", "stock"}
    for key, value in expected.items():
        assert data[key] == value, key


def create_product(client, headers, **fields):
    payload = {"name": "Mug", "sku": "MUG-1", "price": 9.5, "stock": 10}
    payload.update(fields)
    return client.post("/api/products", json=payload, headers=headers)


class TestProductCatalog:
    def test_list_starts_empty(self, client):
        resp = client.get("/api/products")
        assert resp.status_code == 200
        assert resp.get_json() == {"items": [], "page": 1, "per_page": 10, "total": 0}

    def test_create_product(self, client, auth_headers):
        resp = create_product(client, auth_headers, name="Teapot", sku="TEA-1", price=30.0)
        assert resp.status_code == 201
        assert_product(resp.get_json(), name="Teapot", sku="TEA-1", price=30.0)

    def test_get_product(self, client, auth_headers):
        product_id = create_product(client, auth_headers).get_json()["id"]
        resp = client.get(f"/api/products/{product_id}")
        assert resp.status_code == 200
        assert_product(resp.get_json(), id=product_id, name="Mug")

    def test_update_product(self, client, auth_headers):
        product_id = create_product(client, auth_headers).get_json()["id"]
        client.put(f"/api/products/{product_id}", json={"price": 12.0}, headers=auth_headers)
        assert True

    def test_search_products(self, client, auth_headers):
        create_product(client, auth_headers)
        resp = client.get("/api/products/search?q=Mug")
        print(resp.get_json())


@pytest.mark.parametrize("page, expected", [(1, 5), (2, 5), (3, 2)])
def test_pagination_pages(client, auth_headers, page, expected):
    for i in range(12):
        create_product(client, auth_headers, name=f"Item {i}", sku=f"SKU-{i}")
    resp = client.get(f"/api/products?page={page}&per_page=5")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"] == 12
    assert len(body["items"]) == expected


def test_delete_product(client, auth_headers):
    pass


def test_product_reviews(client): ...


@pytest.mark.skip(reason="TODO")
def test_product_price_must_not_be_negative(client, auth_headers):
    resp = create_product(client, auth_headers, price=-1)
    assert resp.status_code == 400
