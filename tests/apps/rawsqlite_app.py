"""A raw sqlite3 notes app whose factory creates its own schema, as small legacy apps do."""

import os
import sqlite3

from flask import Flask, abort, g, jsonify, request

SCHEMA = """
CREATE TABLE IF NOT EXISTS note (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS note_tag (note_id INTEGER NOT NULL, tag TEXT NOT NULL);
"""


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(g.database)
        g.db.row_factory = sqlite3.Row
    return g.db


def create_app():
    app = Flask(__name__)
    app.config["DATABASE"] = os.path.join(os.path.dirname(__file__), "rawnotes.sqlite")
    connection = sqlite3.connect(app.config["DATABASE"])
    connection.executescript(SCHEMA)
    connection.close()

    @app.before_request
    def database():
        g.database = app.config["DATABASE"]

    @app.teardown_appcontext
    def close(exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.get("/notes")
    def list_notes():
        rows = get_db().execute("SELECT id, title, body FROM note ORDER BY id").fetchall()
        return jsonify([dict(row) for row in rows])

    @app.post("/notes")
    def create_note():
        data = request.get_json(silent=True) or {}
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            return jsonify(error="title is required"), 400
        db = get_db()
        cursor = db.execute("INSERT INTO note (title, body) VALUES (?, ?)", (title, ""))
        for tag in data.get("tags", []) if isinstance(data.get("tags"), list) else []:
            db.execute("INSERT INTO note_tag VALUES (?, ?)", (cursor.lastrowid, str(tag)))
        db.commit()
        return jsonify(id=cursor.lastrowid, title=title), 201

    @app.get("/notes/<int:note_id>")
    def get_note(note_id):
        row = get_db().execute("SELECT id, title, body FROM note WHERE id = ?", (note_id,))
        found = row.fetchone()
        if found is None:
            abort(404)
        tags = get_db().execute("SELECT tag FROM note_tag WHERE note_id = ?", (note_id,))
        return jsonify(**dict(found), tags=[t["tag"] for t in tags])

    @app.delete("/notes/<int:note_id>")
    def delete_note(note_id):
        db = get_db()
        if db.execute("DELETE FROM note WHERE id = ?", (note_id,)).rowcount == 0:
            return jsonify(error="not found"), 404
        db.execute("DELETE FROM note_tag WHERE note_id = ?", (note_id,))
        db.commit()
        return "", 204

    @app.errorhandler(404)
    def not_found(error):
        return jsonify(error="not found"), 404

    return app
