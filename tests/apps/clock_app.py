"""An app whose answers carry values derived from the current time, as CTFd's pages do.

CTFd hashes its start time, rounded to the minute, into every asset URL (``?d=<run id>``): two
replays made in the same minute agree on it, a suite run an hour later does not. Here the home
page does the same; ``/api/build`` answers a hash of the start hour (read with
``datetime.utcnow``, a clock Python reads in C) and the day number (``time.time``), which two
replays of one generation nearly always agree on; ``/about`` gives the year (``time.strftime``).
The app's name and heading never change.
"""

import hashlib
import time
from datetime import datetime

from flask import Flask


def _hash(text):
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def create_app():
    app = Flask(__name__)
    started = datetime.utcnow()
    run_id = _hash(str(round(started.timestamp() / 60) * 60))
    build = _hash(started.strftime("%Y-%m-%d %H"))

    @app.get("/")
    def home():
        return (
            "<html>\n<head>\n<title>Clock</title>\n"
            f'<link rel="stylesheet" href="/static/main.css?d={run_id}">\n'
            "</head>\n<body>\n<h1>Welcome to the clock app</h1>\n</body>\n</html>\n"
        )

    @app.get("/api/build")
    def build_info():
        return {"app": "clock", "build": build, "day": int(time.time() // 86400)}

    @app.get("/about")
    def about():
        return f"Clock, {time.strftime('%Y')}"

    return app
