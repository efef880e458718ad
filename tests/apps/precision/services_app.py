"""A JSON API that needs a mail server, leaves some actions unimplemented on purpose, has no JSON
error handler, and shares one broken parser between several methods and routes.

What a scan must say: one note for the SMTP server (not a crash per route), nothing for the 501,
the deliberate ``NotImplementedError`` and the bare ``abort(500)`` of a view meant for another
server (a note instead), one ``server-error`` for the shared parser listing every method and
route, one for the ``KeyError`` an ``abort(500)`` hides in an ``except`` block, one
``non-json-error`` per missing handler.
"""

import smtplib

from flask import Flask, abort, jsonify, request

ITEMS = {1: {"id": 1, "name": "first"}}


def parse_delay(value):
    return min(float(value), 1.0)  # ValueError on "abc": the shared defect


def create_app():
    app = Flask(__name__)
    app.config["MAIL_SERVER"] = "localhost"
    app.config["MAIL_PORT"] = 1  # nothing listens there, in the sandbox or out of it

    @app.post("/api/invite")
    def invite():
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("email"), str):
            return jsonify(error="email is required"), 400
        with smtplib.SMTP(app.config["MAIL_SERVER"], app.config["MAIL_PORT"], timeout=1) as smtp:
            smtp.sendmail("app@example.com", [data["email"]], "Subject: hi\n\nhello")
        return jsonify(sent=True)

    @app.get("/api/newsletter")
    def newsletter():
        with smtplib.SMTP(app.config["MAIL_SERVER"], app.config["MAIL_PORT"], timeout=1) as smtp:
            smtp.noop()
        return jsonify(ok=True)

    @app.get("/api/export")
    def export():
        return jsonify(error="export is not implemented yet"), 501

    @app.post("/api/archive")
    def archive():
        raise NotImplementedError("archiving has not been implemented")

    @app.route("/api/delay/<delay>", methods=["GET", "POST", "PUT", "DELETE"])
    def delay(delay):
        return jsonify(delay=parse_delay(delay))

    @app.get("/api/wait/<seconds>")
    def wait(seconds):
        return jsonify(waited=parse_delay(seconds))

    @app.get("/api/shutdown")
    def shutdown():
        stop = request.environ.get("werkzeug.server.shutdown")  # only the old dev server has it
        if not stop:
            abort(500)
        stop()
        return jsonify(stopping=True)

    @app.post("/api/items/<int:item_id>/rename")
    def rename_item(item_id):
        if item_id not in ITEMS:
            abort(404)
        try:
            ITEMS[item_id]["name"] = str(request.get_json(silent=True)["name"])
        except Exception:
            abort(500)  # hides the TypeError/KeyError of a body without "name"
        return jsonify(ITEMS[item_id])

    @app.get("/api/items")
    def list_items():
        return jsonify(list(ITEMS.values()))

    @app.get("/api/items/<int:item_id>")
    def get_item(item_id):
        if item_id not in ITEMS:
            abort(404)
        return jsonify(ITEMS[item_id])

    @app.get("/api/things/<int:thing_id>")
    def get_thing(thing_id):
        if thing_id not in ITEMS:
            abort(404)
        return jsonify(ITEMS[thing_id])

    return app
