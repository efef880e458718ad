"""JSON login answering ``{"auth_token": ...}``; the guard reads the token from a cookie.

The login sets no cookie itself: the client puts the token in one, as a single-page app does.
"""

import os
import secrets
from functools import wraps

from flask import Flask, abort, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()
TOKENS: dict[str, int] = {}


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


def cookie_token_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        user_id = TOKENS.get(request.cookies.get("auth_token", ""))
        if user_id is None:
            abort(401)
        g.user_id = user_id
        return view(*args, **kwargs)

    return guarded


def create_app(refuse=False):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///tc.db")
    db.init_app(app)

    @app.post("/api/login")
    def login():
        data = request.get_json(silent=True) or {}
        user = User.query.filter_by(email=data.get("email")).first()
        password = str(data.get("password", ""))
        if refuse or user is None or not check_password_hash(user.password_hash, password):
            return jsonify(error="bad credentials"), 401
        token = secrets.token_hex(16)
        TOKENS[token] = user.id
        return jsonify(auth_token=token)

    @app.get("/api/me")
    @cookie_token_required
    def me():
        return jsonify(id=g.user_id)

    @app.get("/api/cart")
    @cookie_token_required
    def cart():
        return jsonify(items=[], owner=g.user_id)

    return app
