"""A JSON notes API whose writes need the session's ``nonce``, as CTFd's do.

Users log in with JSON and a session cookie. A ``before_request`` hook answers 403 to every
write of a session (but the login's) unless it carries the session's ``nonce``: a form in its
``nonce`` field, anything else in the ``X-Notes-Nonce`` header. ``create_app(hidden=True)``
reads the same header and field through names kept in variables, so that no source scan finds
them: only ``[tool.testboost.auth] csrf_header`` tells them.
"""

import os
import secrets
from functools import wraps

from flask import Flask, abort, jsonify, redirect, request, session
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()
HEADER = "X-Notes-" + "Nonce"
FIELD = "non" + "ce"


class Account(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password = db.Column(db.String(256), nullable=False)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    owner_id = db.Column(db.Integer, db.ForeignKey("account.id"), nullable=False)


def login_required(view):
    @wraps(view)
    def inner(*args, **kwargs):
        if session.get("uid") is None:
            return jsonify(error="log in first"), 401
        return view(*args, **kwargs)

    return inner


def own_note(note_id):
    note = db.session.get(Note, note_id)
    if note is None or note.owner_id != session["uid"]:
        abort(404)
    return note


def create_app(hidden=False):
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "csrf-writes-secret"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///csrf.db")
    db.init_app(app)

    if hidden:

        @app.before_request
        def check_writes():
            session.setdefault("nonce", secrets.token_hex(16))
            if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint == "login":
                return None
            sent = request.form.get(FIELD) or request.headers.get(HEADER)
            if sent != session["nonce"]:
                abort(403)
            return None

    else:

        @app.before_request
        def check_writes():
            session.setdefault("nonce", secrets.token_hex(16))
            if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint == "login":
                return None
            sent = request.form.get("nonce") or request.headers.get("X-Notes-Nonce")
            if sent != session["nonce"]:
                abort(403)
            return None

    @app.post("/api/login")
    def login():
        data = request.get_json(silent=True) or {}
        user = Account.query.filter_by(email=data.get("email")).first()
        if user is None or not check_password_hash(user.password, str(data.get("password"))):
            return jsonify(error="bad credentials"), 401
        session.clear()
        session["uid"] = user.id
        session["nonce"] = secrets.token_hex(16)
        return jsonify(id=user.id)

    @app.get("/api/me")
    @login_required
    def me():
        return jsonify(id=session["uid"])

    @app.get("/api/notes")
    @login_required
    def notes():
        mine = Note.query.filter_by(owner_id=session["uid"]).order_by(Note.id).all()
        return jsonify([{"id": n.id, "title": n.title} for n in mine])

    @app.post("/api/notes")
    @login_required
    def add_note():
        data = request.get_json(silent=True) or {}
        title = data.get("title")
        if not isinstance(title, str) or not title or len(title) > 80:
            return jsonify(error="title is required"), 400
        note = Note(title=title, owner_id=session["uid"])
        db.session.add(note)
        db.session.commit()
        return jsonify(id=note.id, title=note.title), 201

    @app.patch("/api/notes/<int:note_id>")
    @login_required
    def edit_note(note_id):
        note = own_note(note_id)
        data = request.get_json(silent=True) or {}
        title = data.get("title")
        if not isinstance(title, str) or not title or len(title) > 80:
            return jsonify(error="title is required"), 400
        note.title = title
        db.session.commit()
        return jsonify(id=note.id, title=note.title)

    @app.delete("/api/notes/<int:note_id>")
    @login_required
    def delete_note(note_id):
        db.session.delete(own_note(note_id))
        db.session.commit()
        return "", 204

    @app.post("/notes/new")
    @login_required
    def new_note_form():
        title = request.form.get("title", "")
        if not title or len(title) > 80:
            return "a title is required", 400
        db.session.add(Note(title=title, owner_id=session["uid"]))
        db.session.commit()
        return redirect("/api/notes")

    return app
