"""An app that answers 500 on purpose in one view and hides a crash behind ``abort(500)`` in
another.

``GET /api/shutdown`` is flasky's: it stops the old Werkzeug dev server and aborts with 500
anywhere else, as under the test client. A generated suite pins that answer (a test that passes
today and fails when it changes); the ``KeyError`` that ``POST /api/notes/<id>/rename`` hides
behind its ``abort(500)`` is a crash, an xfail, never a pin.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)
    notes: dict[int, dict[str, Any]] = {1: {"id": 1, "title": "first"}}

    @app.get("/api/shutdown")
    def shutdown() -> Any:
        stop = request.environ.get("werkzeug.server.shutdown")
        if not stop:
            abort(500)
        stop()
        return jsonify(stopping=True)

    @app.get("/api/notes")
    def list_notes() -> Any:
        return jsonify(sorted(notes.values(), key=lambda n: n["id"]))

    @app.post("/api/notes/<int:note_id>/rename")
    def rename_note(note_id: int) -> Any:
        if note_id not in notes:
            abort(404)
        data = request.get_json(silent=True) or {}
        try:
            title = str(data["title"])
        except KeyError:
            abort(500)
        return jsonify({**notes[note_id], "title": title})

    return app
