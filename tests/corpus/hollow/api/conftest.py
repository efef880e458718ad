import pytest


@pytest.fixture
def order(client):
    return client.post("/api/orders", json={"item": 1}).get_json()


@pytest.fixture
def consistent_stock(client):
    """After the test, stock never goes negative."""
    yield
    stock = client.get("/api/stock").get_json()
    assert min(stock.values()) >= 0
