"""An app that misbehaves the way legacy code does: it writes, deletes and runs commands.

Its factory makes an instance folder and a log file, as many apps do when they start; its views
write uploads into the project, delete a file in $HOME, run a shell command and start a process,
end the process with os._exit and crash it with a segfault.
"""

import logging
import os
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

from flask import Flask, jsonify

HERE = Path(__file__).parent


def create_app():
    app = Flask(__name__, instance_path=str(HERE / "instance"))
    os.makedirs(app.instance_path, exist_ok=True)
    handler = logging.FileHandler(HERE / "logs.txt")
    app.logger.addHandler(handler)
    app.logger.warning("started")
    handler.close()
    app.logger.removeHandler(handler)

    @app.post("/upload")
    def upload():
        (HERE / "uploads").mkdir(exist_ok=True)
        with open(HERE / "uploads" / "a.txt", "w") as out:
            out.write("uploaded")
        return jsonify(saved=True), 201

    @app.delete("/cache")
    def clear_cache():
        os.remove(Path(os.environ["HOME"]) / "precious.txt")
        return jsonify(cleared=True)

    @app.post("/shell")
    def shell():
        os.system("touch " + str(HERE / "shell-was-here"))
        return jsonify(ran=True)

    @app.post("/process")
    def process():
        subprocess.run(["touch", str(HERE / "process-was-here")], check=False)
        return jsonify(ran=True)

    @app.post("/scratch")
    def scratch():
        with tempfile.NamedTemporaryFile("w", suffix=".csv") as out:
            out.write("a,b\n")
        return jsonify(exported=True)

    @app.post("/notify")
    def notify():
        def send():
            socket.getaddrinfo("smtp.example.com", 25)

        thread = threading.Thread(target=send)
        thread.start()
        thread.join()
        return jsonify(queued=True), 202

    @app.post("/shutdown")
    def shutdown():
        os._exit(3)

    @app.get("/crash")
    def crash():
        import ctypes

        return str(ctypes.string_at(0))

    return app
