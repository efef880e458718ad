"""An API read with a key per user in the query string only: ``?key=...``, checked by a decorator."""

import os
from functools import wraps

from flask import Flask, abort, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Account(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    api_key = db.Column(db.String(64), unique=True)


def key_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        key = request.args.get("key")
        account = Account.query.filter_by(api_key=key).first() if key else None
        if account is None or REFUSE["on"]:
            abort(403)
        g.account_id = account.id
        return view(*args, **kwargs)

    return guarded


REFUSE = {"on": False}


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///akq.db")
    db.init_app(app)

    @app.get("/v1/feeds")
    @key_required
    def feeds():
        return jsonify(feeds=[], account=g.account_id)

    @app.get("/v1/feeds/<int:feed_id>")
    @key_required
    def feed(feed_id):
        return jsonify(id=feed_id, account=g.account_id)

    return app
