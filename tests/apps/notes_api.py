"""A small JSON API with users, JWT login, owned notes and views that misbehave on purpose."""

import os
import sys
import threading
import time
import urllib.request

from flask import Flask, jsonify, request
from flask_jwt_extended import JWTManager, create_access_token, get_jwt_identity, jwt_required
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


class Note(db.Model):
    __tablename__ = "notes"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    title = db.Column(db.String(80), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///notes.db")
    app.config["JWT_SECRET_KEY"] = "notes-secret-key-long-enough-for-hs256"
    db.init_app(app)
    JWTManager(app)

    @app.post("/register")
    def register():
        data = request.get_json()
        user = User(email=data["email"], password_hash=generate_password_hash(data["password"]))
        db.session.add(user)
        db.session.commit()
        return jsonify(id=user.id), 201

    @app.post("/login")
    def login():
        data = request.get_json()
        user = User.query.filter_by(email=data.get("email")).first()
        if user is None or not check_password_hash(user.password_hash, data.get("password", "")):
            return jsonify(error="bad credentials"), 401
        return jsonify(access_token=create_access_token(identity=str(user.id)))

    @app.get("/notes/<int:note_id>")
    @jwt_required()
    def get_note(note_id):
        note = db.session.get(Note, note_id)
        if note is None or note.user_id != int(get_jwt_identity()):
            return jsonify(error="not found"), 404
        return jsonify(id=note.id, title=note.title)

    @app.post("/notes")
    @jwt_required()
    def create_note():
        data = request.get_json()
        note = Note(title=data["title"], user_id=int(get_jwt_identity()))
        db.session.add(note)
        db.session.commit()
        return jsonify(id=note.id, title=note.title), 201

    @app.post("/ratio")
    def ratio():
        data = request.get_json()
        if not isinstance(data, dict):
            return jsonify(error="expected a JSON object"), 400
        total, parts = data.get("total"), data.get("parts")
        if not isinstance(total, int) or not isinstance(parts, int):
            return jsonify(error="total and parts must be integers"), 400
        return jsonify(ratio=total // parts)

    @app.get("/swallowed")
    def swallowed():
        try:
            {}["missing"]
        except KeyError:
            app.logger.exception("lookup failed")
            return jsonify(message="Fatal error"), 500
        return jsonify(ok=True)

    @app.get("/crash")
    def crash():
        return jsonify(value=1 / 0)

    @app.get("/slow")
    def slow():
        time.sleep(600)  # far past any time-out: cut off however slow the machine is
        return jsonify(ok=True)

    @app.get("/exit")
    def leave():
        sys.exit(3)

    @app.get("/thread")
    def spawn():
        worker = threading.Thread(target=lambda: None)
        worker.start()
        worker.join()
        return jsonify(ok=True)

    @app.get("/webhook")
    def webhook():
        try:
            urllib.request.urlopen("http://93.184.216.34/hook", timeout=1)
        except OSError:
            return jsonify(error="gateway down"), 502
        return jsonify(ok=True)

    return app
