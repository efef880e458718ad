from flask import Blueprint, jsonify, request

from .auth import admin_required
from .extensions import db
from .models import Category, Product

categories_bp = Blueprint("categories", __name__)


@categories_bp.route("", methods=["GET"])
def list_categories():
    categories = Category.query.order_by(Category.name).all()
    return jsonify([c.to_dict() for c in categories])


@categories_bp.route("", methods=["POST"])
@admin_required
def create_category():
    data = request.get_json()
    if not isinstance(data, dict):
        return jsonify({"error": "Invalid JSON"}), 400
    name = data.get("name")
    description = data.get("description")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        return jsonify({"error": "name is required (max 80 characters)"}), 400
    if description is not None and not isinstance(description, str):
        return jsonify({"error": "description must be a string"}), 400
    if Category.query.filter_by(name=name.strip()).first():
        return jsonify({"error": "Category already exists"}), 409

    category = Category(name=name.strip(), description=description)
    db.session.add(category)
    db.session.commit()
    return jsonify(category.to_dict()), 201


@categories_bp.route("/<int:category_id>", methods=["GET"])
def get_category(category_id):
    category = db.session.get(Category, category_id)
    if category is None:
        return jsonify({"error": "Category not found"}), 404
    return jsonify(category.to_dict())


@categories_bp.route("/<int:category_id>", methods=["DELETE"])
@admin_required
def delete_category(category_id):
    category = db.session.get(Category, category_id)
    if category is None:
        return jsonify({"error": "Category not found"}), 404
    if Product.query.filter_by(category_id=category_id).count():
        return jsonify({"error": "Category still has products"}), 409
    db.session.delete(category)
    db.session.commit()
    return jsonify({"message": "Category deleted"})


@categories_bp.route("/<int:category_id>/products", methods=["GET"])
def category_products(category_id):
    if db.session.get(Category, category_id) is None:
        return jsonify({"error": "Category not found"}), 404
    products = Product.query.filter_by(category_id=category_id).order_by(Product.id).all()
    return jsonify([p.to_dict() for p in products])
