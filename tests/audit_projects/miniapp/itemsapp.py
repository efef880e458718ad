"""A tiny items API audited by testboost's own tests."""

from flask import Flask, abort, jsonify, request


def create_app():
    app = Flask(__name__)
    items = {1: {"id": 1, "name": "mug"}}

    @app.get("/items")
    def list_items():
        return jsonify(list(items.values()))

    @app.post("/items")
    def create_item():
        data = request.get_json(silent=True) or {}
        if "name" not in data:
            return jsonify({"error": "name is required"}), 400
        item = {"id": max(items, default=0) + 1, "name": data["name"]}
        items[item["id"]] = item
        return jsonify(item), 201

    @app.get("/items/<int:item_id>")
    def get_item(item_id):
        item = items.get(item_id)
        if item is None:
            abort(404)
        return jsonify(item)

    @app.delete("/items/<int:item_id>")
    def delete_item(item_id):
        items.pop(item_id, None)
        return "", 204

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app
