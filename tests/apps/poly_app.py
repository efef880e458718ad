"""Users mapped with polymorphic inheritance (``type``: member / admin), as CTFd's ``Users``.

A row whose ``type`` is NULL cannot be loaded as any class: ``/people`` fails on it. The
``change_password`` column is a flag: while a user has it set, ``/people`` answers 409.
"""

import os

from flask import Flask, abort
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Person(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password = db.Column(db.String(256), nullable=False)
    type = db.Column(db.String(20))
    change_password = db.Column(db.Boolean, default=False)
    __mapper_args__ = {"polymorphic_identity": "member", "polymorphic_on": type}  # noqa: RUF012


class Admin(Person):
    __mapper_args__ = {"polymorphic_identity": "admin"}  # noqa: RUF012


class Entry(db.Model):
    """A base mapped without an identity of its own: only its subclasses are (CTFd's Submissions)."""

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(20))
    __mapper_args__ = {"polymorphic_on": kind}  # noqa: RUF012


class Good(Entry):
    __mapper_args__ = {"polymorphic_identity": "good"}  # noqa: RUF012


class Bad(Entry):
    __mapper_args__ = {"polymorphic_identity": "bad"}  # noqa: RUF012


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///poly.db")
    db.init_app(app)

    @app.get("/people")
    def people():
        if any(p.change_password for p in Person.query.all()):
            abort(409)  # someone must pick a new password first
        return {"people": [[p.email, type(p).__name__] for p in Person.query.all()]}

    @app.get("/entries")
    def entries():
        return {"entries": [type(e).__name__ for e in Entry.query.all()]}

    return app
