"""A small notes API whose suite mixes tests that catch a broken route and tests that do not."""

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)

    def to_dict(self):
        return {"id": self.id, "title": self.title}


def create_app():
    app = Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://")
    db.init_app(app)
    with app.app_context():
        db.create_all()

    def home():
        return "hello from notes"

    # "/" twice: the first rule dispatches, the second endpoint has no view and never answers
    app.add_url_rule("/", "home", home)
    app.add_url_rule("/", "home_shadow")

    @app.get("/notes")
    def list_notes():
        return jsonify([n.to_dict() for n in Note.query.order_by(Note.id)])

    @app.post("/notes")
    def create_note():
        data = request.get_json(silent=True) or {}
        if not data.get("title"):
            return jsonify(error="title is required"), 400
        note = Note(title=data["title"])
        db.session.add(note)
        db.session.commit()
        return jsonify(note.to_dict()), 201

    @app.get("/notes/<int:note_id>")
    def get_note(note_id):
        note = db.session.get(Note, note_id)
        if note is None:
            abort(404)
        return jsonify(note.to_dict())

    @app.delete("/notes/<int:note_id>")
    def delete_note(note_id):
        if request.headers.get("X-Token") != "secret":
            return jsonify(error="token required"), 401
        note = db.session.get(Note, note_id)
        if note is not None:
            db.session.delete(note)
            db.session.commit()
        return "", 204

    return app
