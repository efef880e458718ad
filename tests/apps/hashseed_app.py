"""A list whose statement count differs by one with the hash seed, as CTFd's awards do.

``GET /notes`` lists the notes with their tags (loaded with them: one statement for all). Which
of two names comes first in a set decides whether the first note's owner is loaded too: it
comes first under ``PYTHONHASHSEED`` 0 to 3 (the replays' seeds: 3 statements) and not under
4, 9 or 12 (4 statements). CTFd does the same by chance: whether the user of an award is in the
request's SQLAlchemy session already follows set order. Without ``selectinload`` the tags
are loaded note by note: an N+1 query.
"""

import os

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import selectinload

db = SQLAlchemy()

#: Two names in a set: which is first follows the hash seed ("owner" under 0 to 3, not 4).
FIELDS = {"title", "owner"}


class Person(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    owner_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    owner = db.relationship("Person")
    tags = db.relationship("Tag", backref="note", lazy="select")


class Tag(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), nullable=False)
    note_id = db.Column(db.Integer, db.ForeignKey("note.id"), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///notes.db")
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.get("/notes")
    def notes():
        listed = Note.query.options(selectinload(Note.tags)).order_by(Note.id).all()
        if listed and next(iter(FIELDS)) == "title":
            _ = listed[0].owner  # a lazy load, under some hash seeds only
        return jsonify(
            [{"id": n.id, "title": n.title, "tags": [t.name for t in n.tags]} for n in listed]
        )

    return app
