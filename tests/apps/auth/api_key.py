"""An API read with a key per user: ``X-API-Key`` checked in a ``before_request`` hook."""

import os

from flask import Flask, abort, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Client(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    api_key = db.Column(db.String(64), unique=True)


def create_app(refuse=False):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///key.db")
    db.init_app(app)

    @app.before_request
    def check_key():
        if request.endpoint in ("health", "static"):
            return None
        key = request.headers.get("X-API-Key") or request.args.get("api_key")
        client = Client.query.filter_by(api_key=key).first() if key else None
        if client is None or refuse:
            abort(401)
        g.client_id = client.id
        return None

    @app.get("/health")
    def health():
        return jsonify(ok=True)

    @app.get("/orders")
    def orders():
        return jsonify(orders=[], client=g.client_id)

    return app
