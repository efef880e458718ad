"""A JSON API with parents and children, a JSON text column and a public default key.

Defects testboost must find (issue 10's new input classes):

- ``POST /api/tracks`` stores a track whose ``album_id`` names no album;
- ``POST /api/albums/<album_id>/tracks`` creates a track under an album that does not exist;
- ``GET /api/albums/<album_id>/tracks`` lists the tracks of an album that does not exist (``[]``).

Not defects: ``GET /api/notes/<id>`` reads ``payload_json``, which the app only ever writes with
``json.dumps`` (seeded with anything else it would crash); ``GET /api/about`` shows the
``SECRET_KEY`` default spelled out below, public in every copy of the code;
``POST /api/checked/tracks`` refuses an unknown album with 404.
"""

import json
import os

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Album(db.Model):
    __tablename__ = "albums"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)


class Track(db.Model):
    __tablename__ = "tracks"
    id = db.Column(db.Integer, primary_key=True)
    album_id = db.Column(db.Integer, db.ForeignKey("albums.id"), nullable=False)
    title = db.Column(db.String(80), nullable=False)

    def to_dict(self):
        return {"id": self.id, "album_id": self.album_id, "title": self.title}


class Note(db.Model):
    __tablename__ = "notes"
    id = db.Column(db.Integer, primary_key=True)
    payload_json = db.Column(db.Text, nullable=False)


def _body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"]:
        abort(400)
    if not isinstance(data.get("album_id", 0), int) or len(data["title"]) > 80:
        abort(400)
    return data


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///parents.db")
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "parents-app-public-default")
    db.init_app(app)

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(415)
    def json_error(error):
        return jsonify(error=error.name), error.code

    @app.get("/api/about")
    def about():
        return jsonify(name="parents", key=app.config["SECRET_KEY"])

    @app.post("/api/tracks")
    def add_track():
        data = _body()
        if "album_id" not in data:
            abort(400)
        track = Track(album_id=data["album_id"], title=data["title"])
        db.session.add(track)
        db.session.commit()
        return jsonify(track.to_dict()), 201

    @app.post("/api/checked/tracks")
    def add_checked_track():
        data = _body()
        if "album_id" not in data:
            abort(400)
        db.get_or_404(Album, data["album_id"])
        track = Track(album_id=data["album_id"], title=data["title"])
        db.session.add(track)
        db.session.commit()
        return jsonify(track.to_dict()), 201

    @app.post("/api/albums/<int:album_id>/tracks")
    def add_album_track(album_id):
        data = _body()
        track = Track(album_id=album_id, title=data["title"])
        db.session.add(track)
        db.session.commit()
        return jsonify(track.to_dict()), 201

    @app.get("/api/albums/<int:album_id>/tracks")
    def album_tracks(album_id):
        tracks = Track.query.filter_by(album_id=album_id).all()
        return jsonify([t.to_dict() for t in tracks])

    @app.get("/api/notes/<int:note_id>")
    def note(note_id):
        found = db.get_or_404(Note, note_id)
        return jsonify(id=found.id, payload=json.loads(found.payload_json))

    @app.post("/api/notes")
    def add_note():
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400)
        found = Note(payload_json=json.dumps(data))
        db.session.add(found)
        db.session.commit()
        return jsonify(id=found.id), 201

    with app.app_context():
        db.create_all()
    return app
