"""A cookie login whose guarded pages each log a visit, as CTFd's tracker logs the user's IP.

Every request through ``login_required`` adds a row to ``visit``; ``GET /api/visits`` lists the
user's visits. The generated conftest checks each login on a guarded page, which logs a visit
too: where that check runs decides which rows a test of ``/api/visits`` finds.
"""

import os
from functools import wraps

from flask import Flask, abort, g, jsonify, request, session
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    name = db.Column(db.String(80), nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


class Visit(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    path = db.Column(db.String(200), nullable=False)


def login_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        user = db.session.get(User, session.get("user_id", 0))
        if user is None:
            abort(401)
        db.session.add(Visit(user_id=user.id, path=request.path))
        db.session.commit()
        g.user = user
        return view(*args, **kwargs)

    return guarded


def create_app():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "check-visits-secret"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///visits.db")
    db.init_app(app)

    @app.post("/api/login")
    def login():
        data = request.get_json(silent=True) or {}
        user = User.query.filter_by(email=data.get("email")).first()
        if user is None or not check_password_hash(user.password_hash, str(data.get("password"))):
            return jsonify(error="bad credentials"), 401
        session["user_id"] = user.id
        return jsonify(ok=True)

    @app.get("/api/me")
    @login_required
    def me():
        return jsonify(id=g.user.id, name=g.user.name)

    @app.get("/api/visits")
    @login_required
    def visits():
        rows = Visit.query.filter_by(user_id=g.user.id).order_by(Visit.id).all()
        return jsonify([{"path": visit.path} for visit in rows])

    with app.app_context():
        db.create_all()
    return app
