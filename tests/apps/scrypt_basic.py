"""A notes API behind HTTP Basic auth whose passwords hash with Werkzeug's default (scrypt).

Basic auth verifies the password hash on every request, so with a full-cost hash most of a
probe's time is the app hashing: the app for the cheap-hashing tests and benchmark.
"""

import os

from flask import Flask, abort, jsonify, request
from flask_httpauth import HTTPBasicAuth
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()
auth = HTTPBasicAuth()


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    body = db.Column(db.String(500), nullable=False, default="")
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)

    def to_dict(self):
        return {"id": self.id, "title": self.title, "body": self.body}


@auth.verify_password
def verify(email, password):
    user = User.query.filter_by(email=email).first()
    if user is not None and check_password_hash(user.password_hash, password):
        return user
    return None


def _note(note_id):
    note = db.session.get(Note, note_id)
    if note is None or note.owner_id != auth.current_user().id:
        abort(404)
    return note


def _fields():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"]:
        abort(400)
    body = data.get("body", "")
    if not isinstance(body, str):
        abort(400)
    return data["title"][:80], body[:500]


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///scrypt.db")
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.post("/users")
    def register():
        data = request.get_json(silent=True) or {}
        email, password = data.get("email"), data.get("password")
        if not isinstance(email, str) or "@" not in email or not isinstance(password, str):
            abort(400)
        if User.query.filter_by(email=email).first() is not None:
            return jsonify(error="taken"), 409
        user = User(email=email, password_hash=generate_password_hash(password))
        db.session.add(user)
        db.session.commit()
        return jsonify(id=user.id, email=user.email), 201

    @app.get("/me")
    @auth.login_required
    def me():
        return jsonify(id=auth.current_user().id, email=auth.current_user().email)

    @app.put("/me/password")
    @auth.login_required
    def change_password():
        data = request.get_json(silent=True) or {}
        if not isinstance(data.get("password"), str) or len(data["password"]) < 8:
            abort(400)
        auth.current_user().password_hash = generate_password_hash(data["password"])
        db.session.commit()
        return jsonify(ok=True)

    @app.get("/notes")
    @auth.login_required
    def list_notes():
        notes = Note.query.filter_by(owner_id=auth.current_user().id).order_by(Note.id)
        return jsonify([n.to_dict() for n in notes])

    @app.post("/notes")
    @auth.login_required
    def create_note():
        title, body = _fields()
        note = Note(title=title, body=body, owner_id=auth.current_user().id)
        db.session.add(note)
        db.session.commit()
        return jsonify(note.to_dict()), 201

    @app.get("/notes/<int:note_id>")
    @auth.login_required
    def get_note(note_id):
        return jsonify(_note(note_id).to_dict())

    @app.put("/notes/<int:note_id>")
    @auth.login_required
    def update_note(note_id):
        note = _note(note_id)
        note.title, note.body = _fields()
        db.session.commit()
        return jsonify(note.to_dict())

    @app.delete("/notes/<int:note_id>")
    @auth.login_required
    def delete_note(note_id):
        db.session.delete(_note(note_id))
        db.session.commit()
        return "", 204

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    def error(exc):
        return jsonify(error=exc.name), exc.code

    return app
