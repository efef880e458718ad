"""Users checked with passlib's ``CryptContext`` and no sign-up route: testboost writes the users
itself, and only a hash made with the app's own context lets them log in (JSON login, Bearer)."""

import os
import secrets
from functools import wraps

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from passlib.context import CryptContext

db = SQLAlchemy()
pwd_context = CryptContext(schemes=["pbkdf2_sha256"])
TOKENS: dict[str, int] = {}
REFUSE = {"on": False}


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    hashed_password = db.Column(db.String(256), nullable=False)


def bearer_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in TOKENS:
            abort(401)
        return view(*args, **kwargs)

    return guarded


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///pl.db")
    db.init_app(app)

    @app.post("/login")
    def login():
        data = request.get_json(silent=True) or {}
        member = Member.query.filter_by(email=data.get("email")).first()
        if (
            REFUSE["on"]
            or member is None
            or not pwd_context.verify(str(data.get("password")), member.hashed_password)
        ):
            abort(401)
        token = secrets.token_hex(16)
        TOKENS[token] = member.id
        return jsonify(access_token=token)

    @app.get("/members")
    @bearer_required
    def members():
        return jsonify([m.id for m in Member.query.all()])

    return app
