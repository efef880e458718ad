"""CTFd's way: the login page puts the session's ``nonce`` in a hidden input; users log in by name."""

import os
import secrets
from functools import wraps

from flask import Flask, abort, redirect, request, session, url_for
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()


class Users(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(128), unique=True, nullable=False)
    email = db.Column(db.String(128), unique=True)
    password = db.Column(db.String(128), nullable=False)


def authed_only(view):
    @wraps(view)
    def inner(*args, **kwargs):
        if session.get("id") is None:
            return redirect(url_for("login", next=request.full_path))
        return view(*args, **kwargs)

    return inner


PAGE = """<html><body><form method="post" accept-charset="utf-8">
<input type="text" name="name" placeholder="User name or email">
<input type="password" name="password">
<input id="nonce" type="hidden" name="nonce" value="{nonce}">
<input type="submit" value="Submit">
</form></body></html>"""


def create_app(refuse=False):
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "nonce-secret"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///nonce.db")
    db.init_app(app)

    @app.before_request
    def make_nonce():
        session.setdefault("nonce", secrets.token_hex(16))

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            if request.form.get("nonce") != session["nonce"]:
                abort(403)
            name = request.form.get("name", "")
            user = Users.query.filter((Users.name == name) | (Users.email == name)).first()
            password = request.form.get("password", "")
            if not refuse and user is not None and check_password_hash(user.password, password):
                session.clear()
                session["id"] = user.id
                session["nonce"] = secrets.token_hex(16)
                return redirect(url_for("challenges"))
        return PAGE.format(nonce=session["nonce"])

    @app.get("/challenges")
    @authed_only
    def challenges():
        return "<h1>Challenges</h1>"

    @app.get("/team")
    @authed_only
    def team():
        return "<h1>Your team</h1>"

    return app
