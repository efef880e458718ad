"""Server-sent event streams, shaped like CTFd's ``/events``: one that never ends by design
(a ping, then a ping every interval, forever) and one whose first event crashes."""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Flask, Response


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/events")
    def events() -> Response:
        def stream() -> Iterator[str]:
            while True:
                yield "event: ping\ndata: ping\n\n"
                time.sleep(0.5)

        return Response(stream(), mimetype="text/event-stream")

    @app.get("/broken-events")
    def broken_events() -> Response:
        def stream() -> Iterator[str]:
            yield f"data: {1 // 0}\n\n"

        return Response(stream(), mimetype="text/event-stream")

    return app
