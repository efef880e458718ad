"""An app whose login testboost cannot infer: odd route, odd fields, token in a custom header."""

import os
import secrets

from flask import Flask, abort, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()
TOKENS = {}


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///odd.db")
    db.init_app(app)

    @app.post("/session/new")
    def open_session():
        member = Member.query.filter_by(username=request.form.get("login_name")).first()
        if member is None or not check_password_hash(
            member.password_hash, request.form.get("secret", "")
        ):
            return jsonify(error="no"), 401
        key = secrets.token_hex(8)
        TOKENS[key] = member.id
        return jsonify(data={"key": key})

    @app.before_request
    def require_key():
        if request.endpoint in ("open_session", "static"):
            return None
        member_id = TOKENS.get(request.headers.get("X-Auth-Token", ""))
        if member_id is None:
            abort(401)
        g.member_id = member_id
        return None

    @app.get("/me")
    def me():
        return jsonify(id=g.member_id)

    return app
