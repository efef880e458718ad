"""An app with a cache shaped like Flask-Caching's that rate-limits its login, as CTFd does.

``POST /login`` answers 429 after three attempts while the count is in the cache (the real
app's limit is a time window: which request gets the 429 depends on the machine's speed). The
cache also holds what ``/me`` shows, memoized.
"""

from flask import Flask, request, session


class MemoryBackend:
    """Flask-Caching's ``SimpleCache`` keeps its entries in a ``_cache`` dict."""

    def __init__(self):
        self._cache = {}

    def get(self, key):
        return self._cache.get(key)

    def set(self, key, value):
        self._cache[key] = value

    def clear(self):
        self._cache.clear()


class Cache:
    def init_app(self, app, config=None):
        app.extensions.setdefault("cache", {})[self] = MemoryBackend()

    def backend(self, app):
        return app.extensions["cache"][self]


cache = Cache()


def create_app():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "cached-secret"
    cache.init_app(app)

    @app.post("/login")
    def login():
        backend = cache.backend(app)
        tries = (backend.get("tries") or 0) + 1
        backend.set("tries", tries)
        if tries > 3:
            return {"message": "too many requests"}, 429
        body = request.get_json(silent=True) or {}
        session["user"] = body.get("username", "")
        return {"ok": True}

    @app.get("/me")
    def me():
        backend = cache.backend(app)
        if backend.get("me") is None:
            backend.set("me", {"user": session.get("user")})
        return backend.get("me")

    return app
