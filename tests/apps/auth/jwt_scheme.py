"""Form login answering ``{"jwt": ...}``; the hand-written guard reads ``Authorization: JWT ...``."""

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
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


def jwt_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "JWT" or token not in TOKENS:
            abort(401)
        g.user_id = TOKENS[token]
        return view(*args, **kwargs)

    return guarded


def create_app(refuse=False):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///jwts.db")
    db.init_app(app)

    @app.post("/auth")
    def auth():
        user = User.query.filter_by(username=request.form.get("username")).first()
        password = request.form.get("password", "")
        if refuse or user is None or not check_password_hash(user.password_hash, password):
            return jsonify(description="Invalid credentials"), 401
        token = "eyJ" + secrets.token_urlsafe(24)
        TOKENS[token] = user.id
        return jsonify(jwt=token)

    @app.get("/protected")
    @jwt_required
    def protected():
        return jsonify(user=g.user_id)

    return app
