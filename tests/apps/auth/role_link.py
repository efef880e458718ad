"""Roles in their own table, linked to users through an association table (Flask-AppBuilder's
``ab_user_role``): the app makes its "Admin" and "Public" role rows when it starts.

Its login refuses users without a role; ``GET /roles`` is for users linked to the Admin role.
``create_app(admin_role=False)`` makes only the "Public" row: then no user can be an
administrator, and none must be made. ``create_app(public_grants=False)`` gives the "Public"
role no pages at all (as Flask-AppBuilder's own "Public" role): only Admin users get anywhere.
"""

import os
from functools import wraps

from flask import Flask, jsonify, request, session
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()
#: the roles that may see the pages of ``@has_access()``
GRANTED = {"Admin", "Public"}

ab_user_role = db.Table(
    "ab_user_role",
    db.Column("id", db.Integer, primary_key=True),
    db.Column("user_id", db.Integer, db.ForeignKey("ab_user.id")),
    db.Column("role_id", db.Integer, db.ForeignKey("ab_role.id")),
)


class Role(db.Model):
    __tablename__ = "ab_role"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(64), unique=True, nullable=False)


class User(db.Model):
    __tablename__ = "ab_user"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), unique=True, nullable=False)
    password = db.Column(db.String(256), nullable=False)
    roles = db.relationship(Role, secondary=ab_user_role)


def current_user():
    return db.session.get(User, session.get("uid") or 0)


def has_access(admin=False):
    """A user with a role (an Admin's, when ``admin``), as Flask-AppBuilder's ``@has_access``."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                return jsonify(error="log in"), 401
            names = {r.name for r in user.roles}
            if (admin and "Admin" not in names) or not names & GRANTED:
                return jsonify(error="not allowed"), 403
            return view(user, *args, **kwargs)

        return guarded

    return decorate


def create_app(admin_role=True, public_grants=True):
    GRANTED.clear()
    GRANTED.update({"Admin", "Public"} if public_grants else {"Admin"})
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "roles"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///roles.db")
    db.init_app(app)
    with app.app_context():
        db.create_all()
        names = ("Admin", "Public") if admin_role else ("Public",)
        for name in names:
            if Role.query.filter_by(name=name).first() is None:
                db.session.add(Role(name=name))
        db.session.commit()

    @app.post("/login")
    def login():
        data = request.get_json(silent=True) or {}
        user = User.query.filter_by(username=data.get("username")).first()
        if user is None or not check_password_hash(user.password, data.get("password", "")):
            return jsonify(error="bad credentials"), 401
        if not user.roles:
            return jsonify(error="no role"), 401
        session["uid"] = user.id
        return jsonify(ok=True)

    @app.get("/profile")
    @has_access()
    def profile(user):
        return jsonify(username=user.username, roles=[r.name for r in user.roles])

    @app.get("/roles")
    @has_access(admin=True)
    def roles(user):
        return jsonify(roles=[r.name for r in Role.query.order_by(Role.id)])

    return app
