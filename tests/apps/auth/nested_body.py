"""The RealWorld API's shape: sign-up and login bodies nested as ``{"user": {...}}``.

The sign-up's view shows its one ``user`` field; the login reads its body in a helper, so only
trying the nested shape finds it. A flat body is refused (``KeyError: 'user'`` answered 500, as conduit's schema does); the login
answers ``{"user": {"token": ...}}`` and the guard reads ``Authorization: Token ...``.
"""

import os
import secrets
from functools import wraps

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()
TOKENS: dict[str, int] = {}
REFUSE = {"on": False}


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password = db.Column(db.String(256), nullable=False)


def token_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Token" or token not in TOKENS:
            abort(401)
        return view(TOKENS[token], *args, **kwargs)

    return guarded


def credentials():
    """Read in a helper, as a schema library would: the login's fields are not seen in its view."""
    return request.get_json()["user"]


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///nested.db")
    db.init_app(app)

    @app.post("/api/users")
    def register():
        data = request.get_json()["user"]
        user = User(
            username=data["username"],
            email=data["email"],
            password=generate_password_hash(data["password"]),
        )
        db.session.add(user)
        db.session.commit()
        return jsonify(user={"username": user.username, "email": user.email}), 201

    @app.post("/api/users/login")
    def login():
        data = credentials()
        user = User.query.filter_by(email=data.get("email")).first()
        if REFUSE["on"] or user is None or not check_password_hash(user.password, data["password"]):
            abort(422)
        token = secrets.token_hex(16)
        TOKENS[token] = user.id
        return jsonify(user={"email": user.email, "token": token})

    @app.get("/api/user")
    @token_required
    def me(user_id):
        return jsonify(user={"id": user_id})

    return app
