"""A Flask-SQLAlchemy app whose factory takes its database from DATABASE_URL, with a default file."""

import os
import socket

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(100))


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///notes.db")
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.route("/notes")
    def notes():
        return jsonify([n.text for n in Note.query.all()])

    @app.route("/call-home")
    def call_home():
        sock = socket.socket()
        try:
            sock.connect(("93.184.216.34", 80))
        except OSError as exc:
            return jsonify(error=str(exc)), 502
        finally:
            sock.close()
        return jsonify(ok=True)

    return app


def create_hardcoded_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///hardcoded.db"
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.route("/ping")
    def ping():
        return "pong"

    return app


def create_remote_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://shop:pw@db.prod.example.com:5432/shop"
    db.init_app(app)

    @app.route("/ping")
    def ping():
        return "pong"

    return app
