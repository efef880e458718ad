"""A token API whose usual tests would all be sent without credentials.

``GET /api/me`` answers the user with a fresh token (a ``data-leak`` finding: its valid request is
never pinned as the expected answer, and the finding has no xfail test of its own); ``POST
/api/notes`` and ``PUT /api/notes/<id>`` crash on a body without ``note`` at the same line (one
finding, folded under the first). A request without credentials gets a JSON 401, a test that
passes. ``GET /api/public`` is open to anyone.
"""

import os
import secrets
from functools import wraps

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()
TOKENS: dict[str, int] = {}


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password = db.Column(db.String(256), nullable=False)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)


def token_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in TOKENS:
            abort(401)
        return view(TOKENS[token], *args, **kwargs)

    return guarded


def note_of():
    """The note a body holds, read the way a schema library would (crashes without it)."""
    return (request.get_json(silent=True) or {})["note"]["text"]


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///behind.db")
    db.init_app(app)

    @app.errorhandler(401)
    def unauthorized(error):
        return jsonify(msg="Missing Authorization Header"), 401

    @app.post("/api/users")
    def register():
        data = request.get_json() or {}
        user = User(email=data["email"], password=generate_password_hash(data["password"]))
        db.session.add(user)
        db.session.commit()
        return jsonify(id=user.id, email=user.email), 201

    @app.post("/api/login")
    def login():
        data = request.get_json() or {}
        user = User.query.filter_by(email=data.get("email")).first()
        if user is None or not check_password_hash(user.password, data.get("password", "")):
            abort(401)
        token = secrets.token_hex(16)
        TOKENS[token] = user.id
        return jsonify(access_token=token)

    @app.get("/api/me")
    @token_required
    def me(user_id):
        token = secrets.token_hex(16)
        TOKENS[token] = user_id
        return jsonify(user={"id": user_id, "token": token})

    @app.post("/api/notes")
    @token_required
    def add_note(user_id):
        note = Note(text=note_of())
        db.session.add(note)
        db.session.commit()
        return jsonify(id=note.id), 201

    @app.put("/api/notes/<int:note_id>")
    @token_required
    def edit_note(user_id, note_id):
        text = note_of()
        note = db.get_or_404(Note, note_id)
        note.text = text
        db.session.commit()
        return jsonify(id=note.id)

    @app.get("/api/public")
    def public():
        return jsonify(notes=Note.query.count())

    return app
