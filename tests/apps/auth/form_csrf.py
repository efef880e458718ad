"""An HTML app with form login: a CSRF token in the form (kept in the session) and guards of its own.

``@user_login_required`` and ``@admin_required`` are the app's own decorators; the first redirects
to the login page, the second answers 403. Neither uses a known library.
"""

import os
import secrets
from functools import wraps

from flask import Flask, abort, redirect, request, session, url_for
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()


class Account(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password = db.Column(db.String(256), nullable=False)
    is_admin = db.Column(db.Boolean, default=False, nullable=False)


def current():
    user_id = session.get("uid")
    return db.session.get(Account, user_id) if user_id else None


def user_login_required(view):
    @wraps(view)
    def inner(*args, **kwargs):
        if current() is None:
            return redirect(url_for("login", next=request.path))
        return view(*args, **kwargs)

    return inner


def admin_required(view):
    @wraps(view)
    def inner(*args, **kwargs):
        user = current()
        if user is None or not user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return inner


PAGE = """<html><body><form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{token}">
<input type="email" name="email"><input type="password" name="password">
<input type="checkbox" name="remember"><button type="submit" name="go" value="1">Log in</button>
</form></body></html>"""


def create_app(refuse=False):
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "form-csrf-secret"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///form.db")
    db.init_app(app)

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            session["csrf"] = secrets.token_hex(8)
            return PAGE.format(token=session["csrf"])
        if request.form.get("csrf_token") != session.get("csrf"):
            return "CSRF token missing or wrong", 400
        user = Account.query.filter_by(email=request.form.get("email")).first()
        if (
            refuse
            or user is None
            or not check_password_hash(user.password, request.form["password"])
        ):
            return PAGE.format(token=session["csrf"]), 401
        session["uid"] = user.id
        return redirect("/books")

    @app.get("/books")
    @user_login_required
    def books():
        return "<ul><li>a book</li></ul>"

    @app.get("/shelf")
    @user_login_required
    def shelf():
        return "<p>your shelf</p>"

    @app.get("/admin/users")
    @user_login_required
    @admin_required
    def admin_users():
        return "<p>all users</p>"

    return app
