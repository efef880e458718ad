"""JSON login answering a nested ``{"result": {"auth_token": ...}}``; the guard reads
``X-Auth-Token`` (no scheme) in a ``before_request`` hook of the API blueprint."""

import os
import secrets

from flask import Blueprint, Flask, abort, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()
TOKENS: dict[str, int] = {}
api = Blueprint("api", __name__, url_prefix="/api")


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


@api.before_request
def read_token():
    if request.endpoint == "api.login":
        return None
    user_id = TOKENS.get(request.headers.get("X-Auth-Token", ""))
    if user_id is None:
        abort(401)
    g.member_id = user_id
    return None


@api.post("/session")
def login():
    data = request.get_json(silent=True) or {}
    member = Member.query.filter_by(email=data.get("email")).first()
    password = str(data.get("password", ""))
    if REFUSE["on"] or member is None or not check_password_hash(member.password_hash, password):
        return jsonify(error="bad credentials"), 403
    token = secrets.token_hex(16)
    TOKENS[token] = member.id
    return jsonify(result={"auth_token": token, "member": member.id})


@api.get("/orders")
def orders():
    return jsonify(orders=[], member=g.member_id)


REFUSE = {"on": False}


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///ch.db")
    db.init_app(app)
    app.register_blueprint(api)
    return app
