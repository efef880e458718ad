import time


def test_fast(client):
    assert client.get("/items").get_json()


def test_hangs(client):
    client.get("/health")
    time.sleep(600)
