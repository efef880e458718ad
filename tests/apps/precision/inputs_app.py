"""Issue 10's new input classes, each on a route that breaks and on a twin that handles it.

Defects testboost must find:

- ``GET /api/items/<item_id>``: an id past 64 bits reaches SQLite (``OverflowError`` → 500);
- ``GET /api/items?page=``: a page past 64 bits reaches SQLite's OFFSET (→ 500);
- ``GET /go?next=``: a target carrying CR/LF goes into the ``Location`` header (→ 500);
- ``GET /api/export?filename=``: a file name carrying CR/LF goes into a header (→ 500);
- ``POST /api/items``: ``{"name": null}`` passes the key check and breaks NOT NULL (→ 500);
- ``POST /api/shelves/<shelf_id>/items``: a child stored under a shelf that does not exist;
- ``GET /api/shelves/<shelf_id>/items``: the items of a shelf that does not exist (``[]``).

The twins under ``/api/safe`` and ``/safe`` do the same work correctly: testboost must say
nothing of them.
"""

import os

from flask import Flask, abort, jsonify, redirect, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
LARGEST = 2**63 - 1  # SQLite's largest integer


class Shelf(db.Model):
    __tablename__ = "shelves"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)


class Item(db.Model):
    __tablename__ = "items"
    id = db.Column(db.Integer, primary_key=True)
    shelf_id = db.Column(db.Integer, db.ForeignKey("shelves.id"))
    name = db.Column(db.String(80), nullable=False)

    def to_dict(self):
        return {"id": self.id, "shelf_id": self.shelf_id, "name": self.name}


def _name():
    """The checked body: a non-empty name of at most 80 characters, or 400."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        abort(400)
    return name


def _shelf_or_404(shelf_id):
    if shelf_id > LARGEST:
        abort(404)
    return db.get_or_404(Shelf, shelf_id)


def _page():
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 10_000:
        abort(400)
    return page


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///inputs.db")
    db.init_app(app)

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(415)
    @app.errorhandler(500)
    def json_error(error):
        return jsonify(error=error.name), error.code

    @app.get("/api/items/<int:item_id>")
    def item(item_id):
        return jsonify(db.get_or_404(Item, item_id).to_dict())

    @app.get("/api/safe/items/<int:item_id>")
    def safe_item(item_id):
        if item_id > LARGEST:
            abort(404)
        return jsonify(db.get_or_404(Item, item_id).to_dict())

    @app.get("/api/items")
    def items():
        page = request.args.get("page", 1, type=int)
        found = Item.query.order_by(Item.id).limit(10).offset((page - 1) * 10).all()
        return jsonify([i.to_dict() for i in found])

    @app.get("/api/safe/items")
    def safe_items():
        found = Item.query.order_by(Item.id).limit(10).offset((_page() - 1) * 10).all()
        return jsonify([i.to_dict() for i in found])

    @app.get("/go")
    def go():
        return redirect(request.args.get("next", "/"))

    @app.get("/safe/go")
    def safe_go():
        target = request.args.get("next", "/")
        if (
            not target.startswith("/")
            or target.startswith("//")
            or "\r" in target
            or "\n" in target
        ):
            target = "/"
        return redirect(target)

    @app.get("/api/export")
    def export():
        response = jsonify([i.to_dict() for i in Item.query.order_by(Item.id)])
        name = request.args.get("filename", "items.json")
        response.headers["Content-Disposition"] = f"attachment; filename={name}"
        return response

    @app.get("/api/safe/export")
    def safe_export():
        response = jsonify([i.to_dict() for i in Item.query.order_by(Item.id)])
        name = request.args.get("filename", "items.json").replace("\r", "").replace("\n", "")
        response.headers["Content-Disposition"] = f"attachment; filename={name}"
        return response

    @app.post("/api/items")
    def add_item():
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or "name" not in data:
            abort(400)
        name = data["name"]
        if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 80):
            abort(400)
        found = Item(name=name)
        db.session.add(found)
        db.session.commit()
        return jsonify(found.to_dict()), 201

    @app.post("/api/safe/items")
    def safe_add_item():
        found = Item(name=_name())
        db.session.add(found)
        db.session.commit()
        return jsonify(found.to_dict()), 201

    @app.post("/api/shelves/<int:shelf_id>/items")
    def add_shelf_item(shelf_id):
        name = _name()
        if shelf_id > LARGEST:
            abort(404)
        found = Item(shelf_id=shelf_id, name=name)
        db.session.add(found)
        db.session.commit()
        return jsonify(found.to_dict()), 201

    @app.post("/api/safe/shelves/<int:shelf_id>/items")
    def safe_add_shelf_item(shelf_id):
        name = _name()
        found = Item(shelf_id=_shelf_or_404(shelf_id).id, name=name)
        db.session.add(found)
        db.session.commit()
        return jsonify(found.to_dict()), 201

    @app.get("/api/shelves/<int:shelf_id>/items")
    def shelf_items(shelf_id):
        if shelf_id > LARGEST:
            abort(404)
        found = Item.query.filter_by(shelf_id=shelf_id).order_by(Item.id).all()
        return jsonify([i.to_dict() for i in found])

    @app.get("/api/safe/shelves/<int:shelf_id>/items")
    def safe_shelf_items(shelf_id):
        shelf = _shelf_or_404(shelf_id)
        found = Item.query.filter_by(shelf_id=shelf.id).order_by(Item.id).all()
        return jsonify([i.to_dict() for i in found])

    @app.get("/api/shelves")
    def shelves():
        return jsonify([{"id": s.id, "title": s.title} for s in Shelf.query.order_by(Shelf.id)])

    with app.app_context():
        db.create_all()
    return app
