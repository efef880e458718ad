"""microblog-api's way: ``POST /api/tokens`` behind HTTP Basic answers ``access_token``, then Bearer."""

import os
import secrets

from flask import Flask, jsonify
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()
basic_auth = HTTPBasicAuth()
token_auth = HTTPTokenAuth()
TOKENS: dict[str, int] = {}
REFUSE = {"on": False}


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), unique=True, nullable=False)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


@basic_auth.verify_password
def verify_password(username, password):
    user = User.query.filter_by(email=username).first()
    if user is not None and not REFUSE["on"] and check_password_hash(user.password_hash, password):
        return user
    return None


@token_auth.verify_token
def verify_token(token):
    user_id = TOKENS.get(token or "")
    return db.session.get(User, user_id) if user_id else None


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///bt.db")
    db.init_app(app)

    @app.post("/api/tokens")
    @basic_auth.login_required
    def new_token():
        token = secrets.token_urlsafe(16)
        TOKENS[token] = basic_auth.current_user().id
        return jsonify(access_token=token, refresh_token=None)

    @app.get("/api/me")
    @token_auth.login_required
    def me():
        return jsonify(id=token_auth.current_user().id)

    @app.get("/api/users")
    @token_auth.login_required
    def users():
        return jsonify([u.id for u in User.query.all()])

    return app
