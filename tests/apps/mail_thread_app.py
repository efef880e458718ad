"""A view that sends its mail from a thread of its own, as Flask-Mail's ``send_async_email`` does.

``POST /invite`` answers 202 at once; its thread connects to the mail server a moment later.
``GET /report`` is slow. The connection attempt is ``POST /invite``'s, whichever request the
probe happens to be sending when the thread gets to it.
"""

import contextlib
import socket
import threading
import time

from flask import Flask, jsonify


def create_app():
    app = Flask(__name__)

    @app.post("/invite")
    def invite():
        def send():
            time.sleep(0.3)
            with contextlib.suppress(OSError):
                socket.create_connection(("smtp.example.com", 587), timeout=1)

        threading.Thread(target=send).start()
        return jsonify(queued=True), 202

    @app.get("/report")
    def report():
        time.sleep(0.5)
        return jsonify(rows=[])

    return app
