"""HTTP Digest with Flask-HTTPAuth: users sign up, the app keeps the HA1 of their password.

``HTTPDigestAuth(use_ha1_pw=True)``: the nonce lives in the session, so every request is signed
with the challenge of a 401 and the client must keep its cookie.
"""

import os

from flask import Flask, jsonify, request
from flask_httpauth import HTTPDigestAuth
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
auth = HTTPDigestAuth(realm="notes", use_ha1_pw=True)
REFUSE = {"on": False}


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_ha1 = db.Column(db.String(64), nullable=False)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)


@auth.get_password
def get_ha1(username):
    user = User.query.filter_by(username=username).first()
    return None if user is None or REFUSE["on"] else user.password_ha1


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "digest-secret"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///digest.db")
    db.init_app(app)

    @app.post("/register")
    def register():
        data = request.get_json(silent=True) or {}
        username, password = data.get("username"), data.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            return jsonify(error="username and password are required"), 400
        if User.query.filter_by(username=username).first() is not None:
            return jsonify(error="taken"), 409
        user = User(username=username, password_ha1=auth.generate_ha1(username, password))
        db.session.add(user)
        db.session.commit()
        return jsonify(id=user.id), 201

    @app.get("/me")
    @auth.login_required
    def me():
        return jsonify(username=auth.current_user())

    @app.get("/notes")
    @auth.login_required
    def notes():
        return jsonify(notes=[n.text for n in Note.query.all()])

    @app.post("/notes")
    @auth.login_required
    def add_note():
        data = request.get_json(silent=True) or {}
        text = data.get("text")
        if not isinstance(text, str) or not text:
            return jsonify(error="text is required"), 400
        owner = User.query.filter_by(username=auth.current_user()).first()
        note = Note(text=text[:200], owner_id=owner.id)
        db.session.add(note)
        db.session.commit()
        return jsonify(id=note.id), 201

    return app
