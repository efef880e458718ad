"""HTTP Digest for a Flask test client, as Flask-HTTPAuth's ``HTTPDigestAuth`` speaks it.

Digest credentials are no fixed header: each ``Authorization`` is computed from the server's
last challenge (``WWW-Authenticate: Digest realm=..., nonce=..., opaque=..., qop="auth"``) and the
request's own method and URI. A :class:`DigestClient` holding a user's name and password signs
every request with the challenge it saw last, and answers a new challenge (a 401 carrying one:
the first request, a nonce the server no longer holds) by sending the request once more, signed,
as browsers and ``requests.auth.HTTPDigestAuth`` do. A 401 runs no view code, so a request is
never carried out twice.

Flask-HTTPAuth keeps the nonce in the session cookie: the client must keep its cookies.

>>> challenge = parse_challenge('Digest realm="api",nonce="abc",opaque="xyz",qop="auth"')
>>> challenge["realm"], challenge["nonce"]
('api', 'abc')
>>> digest_authorization(challenge, "ann", "pw", "GET", "/me", 1, "c0ffee")[:40]
'Digest username="ann", realm="api", nonce'
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

# The rest of this module, to "end of conftest", is copied as is into a generated conftest that
# logs in with HTTP Digest (see :func:`conftest_source`): the conftest already imports ``Any``
# and ``FlaskClient``, and everything else is imported where it is used.
# --- conftest ---


def parse_challenge(header: str) -> dict[str, str] | None:
    """The parameters of a Digest challenge in a ``WWW-Authenticate`` value; None if it is none.

    ``scheme`` holds the scheme's name: an app may rename it (Flask-HTTPAuth's ``scheme=``, so
    that browsers do not prompt), and a challenge with a ``realm`` and a ``nonce`` is one whatever
    its name.
    """
    from werkzeug.http import parse_dict_header

    scheme, _, rest = header.strip().partition(" ")
    if not scheme or not rest:
        return None
    try:
        params = parse_dict_header(rest)
    except Exception:  # a value no parser makes sense of is no challenge
        return None
    found = {str(k).lower(): str(v or "") for k, v in params.items()}
    if not found.get("nonce") or "realm" not in found:
        return None
    return {**found, "scheme": scheme}


def digest_authorization(
    challenge: dict[str, str],
    username: str,
    password: str,
    method: str,
    uri: str,
    count: int,
    cnonce: str,
) -> str:
    """The ``Authorization`` value answering ``challenge`` for one request (RFC 7616).

    MD5 and SHA-256, each with its ``-sess`` form; ``qop="auth"`` when the server offers it,
    else the RFC 2069 response without one.
    """
    import hashlib

    algorithm = challenge.get("algorithm") or "MD5"
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"

    def hashed(text: str) -> str:
        return hashlib.new(name, text.encode("utf-8")).hexdigest()

    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    ha1 = hashed(f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = hashed(f"{ha1}:{nonce}:{cnonce}")
    ha2 = hashed(f"{method.upper()}:{uri}")
    offered = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    fields = [
        f'username="{username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
    ]
    if "auth" in offered:
        number = f"{count:08x}"
        response = hashed(f"{ha1}:{nonce}:{number}:{cnonce}:auth:{ha2}")
        fields += ["qop=auth", f"nc={number}", f'cnonce="{cnonce}"']
    else:
        response = hashed(f"{ha1}:{nonce}:{ha2}")
    fields.append(f'response="{response}"')
    if "opaque" in challenge:
        fields.append(f'opaque="{challenge["opaque"]}"')
    if challenge.get("algorithm"):
        fields.append(f"algorithm={algorithm}")
    return f"{challenge.get('scheme') or 'Digest'} " + ", ".join(fields)


class DigestClient(FlaskClient):
    """A test client that logs in with HTTP Digest once it holds ``credentials``.

    Without credentials it is a plain test client. A request that already carries an
    ``Authorization`` header is sent as it is.
    """

    credentials: tuple[str, str] | None = None
    challenge: dict[str, str] | None = None
    count = 0

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Send the request signed with the last challenge; once more when a new one answers."""
        from werkzeug.test import EnvironBuilder

        if self.credentials is None or kwargs.get("as_tuple"):
            return super().open(*args, **kwargs)
        if args and isinstance(args[0], EnvironBuilder):  # a redirect being followed
            self._sign(args[0])
            return super().open(*args, **kwargs)
        if args and not isinstance(args[0], str):
            return super().open(*args, **kwargs)
        options = {k: kwargs.pop(k) for k in ("buffered", "follow_redirects") if k in kwargs}
        response = self._signed(args, kwargs, options)
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge is not None and challenge != self.challenge:
            self.challenge = challenge
            if response.status_code == 401:
                response.close()
                response = self._signed(args, kwargs, options)
                later = parse_challenge(response.headers.get("WWW-Authenticate", ""))
                self.challenge = later or self.challenge
        return response

    def _signed(self, args: Any, kwargs: Any, options: Any) -> Any:
        from flask.testing import EnvironBuilder

        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            self._sign(builder)
            return super().open(builder, **options)
        finally:
            builder.close()

    def _sign(self, builder: Any) -> None:
        import os
        from urllib.parse import quote

        if self.credentials is None or self.challenge is None or "Authorization" in builder.headers:
            return
        uri = quote(builder.path, safe="/:@!$&'()*+,;=-._~%")
        if builder.query_string:
            uri += "?" + str(builder.query_string)
        self.count += 1
        username, password = self.credentials
        builder.headers["Authorization"] = digest_authorization(
            self.challenge, username, password, builder.method, uri, self.count, os.urandom(8).hex()
        )


# --- end of conftest ---


def digest_client(app: Flask) -> DigestClient:
    """A test client of ``app`` that signs with HTTP Digest once given ``credentials``.

    It is of the app's own ``test_client_class`` too, when the app has one.
    """
    base = app.test_client_class or FlaskClient
    kind: Any = DigestClient
    if not issubclass(DigestClient, base):
        kind = type("DigestClient", (DigestClient, base), {})
    client: DigestClient = kind(app, app.response_class, use_cookies=True)
    return client


def stop_signing(client: Any) -> None:
    """Make a :class:`DigestClient` send requests unsigned again (a no-op on other clients)."""
    if isinstance(client, DigestClient):
        client.credentials = None
        client.challenge = None


def conftest_source() -> str:
    """The part of this module a generated conftest carries."""
    from testboost.hashing import module_part

    return module_part(__file__)
