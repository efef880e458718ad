"""An app of bytes and chance: images, compressed and random bodies, process-dependent orders.

No blueprints: its routes sit under /api/<resource>, as small APIs are written. What a generated
suite may pin here: the PNG's bytes, the gzip body once decompressed, the length of the random
bytes; never the random values themselves, the token, the process id or the set's order.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import secrets
import time

from flask import Flask, Response, jsonify

#: A 1x1 transparent PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)
COLOURS = {"red", "green", "blue", "cyan", "magenta", "yellow", "black"}


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/api/images/pixel")
    def pixel() -> Response:
        return Response(PIXEL, mimetype="image/png")

    @app.get("/api/images/logo")
    def logo() -> Response:
        return Response(PIXEL * 40, mimetype="image/png")

    @app.get("/api/compressed/greeting")
    def greeting() -> Response:
        body = json.dumps({"greeting": "hello", "served": time.time()}).encode()
        response = Response(gzip.compress(body, mtime=time.time()), mimetype="application/json")
        response.headers["Content-Encoding"] = "gzip"
        return response

    @app.get("/api/compressed/motto")
    def motto() -> Response:
        body = json.dumps({"motto": "small is beautiful"}).encode()
        response = Response(gzip.compress(body, mtime=time.time()), mimetype="application/json")
        response.headers["Content-Encoding"] = "gzip"
        return response

    @app.get("/api/random/bytes")
    def random_bytes() -> Response:
        return Response(os.urandom(16), mimetype="application/octet-stream")

    @app.get("/api/random/number")
    def random_number():  # type: ignore[no-untyped-def]
        return jsonify(kind="dice", value=random.randint(1, 1_000_000))

    @app.get("/api/random/token")
    def token():  # type: ignore[no-untyped-def]
        return jsonify(kind="token", token=secrets.token_hex(8))

    @app.get("/api/process")
    def process():  # type: ignore[no-untyped-def]
        return jsonify(name="worker", pid=os.getpid())

    @app.get("/api/colours")
    def colours():  # type: ignore[no-untyped-def]
        return jsonify(colours=list(COLOURS), count=len(COLOURS))

    @app.get("/api/colours/first")
    def first_colour() -> str:
        return f"first colour: {next(iter(COLOURS))}"

    return app
