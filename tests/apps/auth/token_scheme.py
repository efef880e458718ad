"""JSON login answering a nested token; the hand-written guard reads ``Authorization: Token ...``."""

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


def token_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Token "):
            abort(401)
        user_id = TOKENS.get(header[len("Token ") :])
        if user_id is None:
            abort(401)
        g.user_id = user_id
        return view(*args, **kwargs)

    return guarded


def create_app(refuse=False):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///token.db")
    db.init_app(app)

    @app.post("/auth/login")
    def login():
        data = request.get_json()
        user = User.query.filter_by(username=data.get("username")).first()
        if refuse or user is None or not check_password_hash(user.password_hash, data["password"]):
            return jsonify(error="bad credentials"), 401
        token = secrets.token_hex(16)
        TOKENS[token] = user.id
        return jsonify(data={"session": {"token": token}, "user": user.id})

    @app.get("/me")
    @token_required
    def me():
        return jsonify(id=g.user_id)

    @app.get("/items")
    @token_required
    def items():
        return jsonify(items=[], owner=g.user_id)

    return app
