"""HTTP Digest as the scan's users and the generated suites' clients speak it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testboost.explore.digest import (
    digest_authorization,
    digest_client,
    parse_challenge,
    stop_signing,
)

APPS = Path(__file__).parent / "apps"


def test_the_response_is_rfc_2617s_own_example() -> None:
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    assert challenge is not None
    value = digest_authorization(
        challenge, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b"
    )
    assert value.startswith("Digest ")
    assert 'response="6629fae49393a05397450978507c4ef1"' in value
    assert "qop=auth, nc=00000001" in value and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in value


def test_only_a_challenge_with_a_realm_and_a_nonce_is_one() -> None:
    renamed = parse_challenge('CustomDigest realm="api",nonce="n1",opaque="o"')
    assert renamed is not None and renamed["scheme"] == "CustomDigest"
    assert parse_challenge('Basic realm="api"') is None
    assert parse_challenge('Bearer realm="api", error="invalid_token"') is None
    assert parse_challenge("") is None


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Digest app with user ann (password pw); ``app.statuses`` every status it answered."""
    monkeypatch.syspath_prepend(str(APPS))
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    from auth.digest import create_app, db

    app = create_app()
    statuses: list[int] = []

    @app.after_request
    def record(response: Any) -> Any:
        statuses.append(response.status_code)
        return response

    with app.app_context():
        db.create_all()
    app.test_client().post("/register", json={"username": "ann", "password": "pw"})
    statuses.clear()
    app.statuses = statuses
    yield app
    for name in [m for m in sys.modules if m == "auth" or m.startswith("auth.")]:
        monkeypatch.delitem(sys.modules, name)


def test_a_digest_client_signs_every_method_and_answers_a_new_nonce(app: Any) -> None:
    client = digest_client(app)
    assert client.get("/me").status_code == 401  # no credentials: a plain client
    client.credentials = ("ann", "pw")
    app.statuses.clear()
    assert client.get("/me").get_json() == {"username": "ann"}
    assert app.statuses == [401, 200]  # the first request learns the challenge
    app.statuses.clear()
    assert client.post("/notes", json={"text": "hi"}).status_code == 201
    assert client.get("/notes", query_string={"page": 1}).get_json() == {"notes": ["hi"]}
    assert app.statuses == [201, 200]  # signed at once with the challenge it holds
    # the server no longer holds the nonce (a new session): one 401, answered with the new one
    client.delete_cookie("session")
    app.statuses.clear()
    assert client.get("/me").status_code == 200
    assert app.statuses == [401, 200]


def test_a_wrong_password_is_refused_after_one_retry_and_unsigned_again(app: Any) -> None:
    client = digest_client(app)
    client.credentials = ("ann", "wrong")
    assert client.get("/me").status_code == 401
    assert app.statuses == [401, 401]
    stop_signing(client)
    app.statuses.clear()
    assert client.get("/me").status_code == 401
    assert app.statuses == [401]
    assert client.credentials is None and client.challenge is None
