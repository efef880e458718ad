"""Routes whose first generated suite lets a break survive, beside routes it fully covers.

``create_app()``: rotating a secret stores a random token (its row is pinned with ``ANY``, so a
lost write goes unseen until generate proves its suite); a redirect whose body no test reads;
a delete that crashes on an existing secret (a strict xfail) and answers 404 for a missing one.
``create_covered_app()``: only routes whose first suite already catches every break.
"""

import os
import secrets

from flask import Flask, jsonify, redirect
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Secret(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), nullable=False)
    token = db.Column(db.String(40), nullable=False)


def _base() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///proof.db")
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.get("/health")
    def health():
        return jsonify(status="ok", service="secrets")

    @app.get("/secrets")
    def list_secrets():
        return jsonify([{"id": s.id, "name": s.name} for s in Secret.query.order_by(Secret.id)])

    @app.errorhandler(404)
    def not_found(error):
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def not_allowed(error):
        return jsonify(error="method not allowed"), 405

    return app


def create_covered_app() -> Flask:
    return _base()


def create_app() -> Flask:
    app = _base()

    @app.post("/secrets/<int:secret_id>/rotate")
    def rotate(secret_id):
        secret = db.session.get(Secret, secret_id)
        if secret is None:
            return jsonify(error="no such secret"), 404
        secret.token = secrets.token_hex(16)
        db.session.commit()
        return jsonify(message="rotated")

    @app.get("/go")
    def go():
        return redirect("/secrets")

    @app.delete("/secrets/<int:secret_id>")
    def delete_secret(secret_id):
        secret = db.session.get(Secret, secret_id)
        if secret is None:
            return jsonify(error="no such secret"), 404
        db.session.delete(secret)
        db.session.commit()
        return jsonify(deleted=secret.label)  # the planted defect: Secret has no label

    return app
