"""A raw sqlite3 app whose schema is made by a CLI command testboost cannot guess."""

import os
import sqlite3

import click
from flask import Flask, jsonify


def create_app():
    app = Flask(__name__)
    app.config["DATABASE"] = os.path.join(os.path.dirname(__file__), "bookmarks.sqlite")

    def db():
        return sqlite3.connect(app.config["DATABASE"])

    @app.cli.command("bootstrap-bookmarks")
    def bootstrap():
        """Create the tables (the project's own name for init-db)."""
        connection = db()
        connection.execute("CREATE TABLE bookmark (id INTEGER PRIMARY KEY, url TEXT NOT NULL)")
        connection.commit()
        click.echo("created")

    @app.get("/bookmarks")
    def bookmarks():
        rows = db().execute("SELECT id, url FROM bookmark ORDER BY id").fetchall()
        return jsonify([{"id": i, "url": u} for i, u in rows])

    @app.get("/bookmarks/<int:bookmark_id>")
    def bookmark(bookmark_id):
        row = db().execute("SELECT id, url FROM bookmark WHERE id = ?", (bookmark_id,)).fetchone()
        if row is None:
            return jsonify(error="not found"), 404
        return jsonify(id=row[0], url=row[1])

    return app
