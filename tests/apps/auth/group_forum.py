"""A forum whose users always have a primary group and roles; a user without them crashes it.

The app's own sign-up puts every user in the default group and gives it the "member" role; its
``get_permissions`` reads both. Users made without them are users the app could not have made.
"""

import os

from flask import Flask, jsonify, request, session
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()

user_roles = db.Table(
    "user_roles",
    db.Column("user_id", db.Integer, db.ForeignKey("users.id"), primary_key=True),
    db.Column("role_id", db.Integer, db.ForeignKey("roles.id"), primary_key=True),
)


class Group(db.Model):
    __tablename__ = "groups"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50), nullable=False)


class Role(db.Model):
    __tablename__ = "roles"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50), nullable=False)


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    primary_group_id = db.Column(db.Integer, db.ForeignKey("groups.id"))
    primary_group = db.relationship(Group)
    roles = db.relationship(Role, secondary=user_roles)

    def get_permissions(self):
        return {"group": self.primary_group.name, "roles": self.roles[0].name}


def create_app():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "forum"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///forum.db")
    db.init_app(app)

    @app.post("/login")
    def login():
        data = request.get_json()
        user = User.query.filter_by(username=data.get("username")).first()
        if user is None or not check_password_hash(user.password_hash, data.get("password", "")):
            return jsonify(error="bad credentials"), 401
        session["uid"] = user.id
        return jsonify(ok=True)

    @app.get("/permissions")
    def permissions():
        user = db.session.get(User, session.get("uid") or 0)
        if user is None:
            return jsonify(error="log in"), 401
        return jsonify(user.get_permissions())

    return app
