"""HTTP Basic on every request, with Flask-HTTPAuth; users are named by email."""

import os

from flask import Flask, jsonify
from flask_httpauth import HTTPBasicAuth
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()
auth = HTTPBasicAuth()
REFUSE = {"on": False}


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


@auth.verify_password
def verify(email, password):
    user = User.query.filter_by(email=email).first()
    if user is not None and not REFUSE["on"] and check_password_hash(user.password_hash, password):
        return user
    return None


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///basic.db")
    db.init_app(app)

    @app.get("/me")
    @auth.login_required
    def me():
        return jsonify(id=auth.current_user().id)

    return app
