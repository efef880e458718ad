from flask import Blueprint, jsonify

from . import validation as v
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
    data = v.json_body(allowed={"name", "description"})
    name = v.string(data, "name", max_length=80)
    description = v.string(
        data, "description", required=False, nullable=True, max_length=2000, min_length=0
    )
    if Category.query.filter_by(name=name).first():
        return jsonify({"error": "Category already exists"}), 409

    category = Category(name=name, description=None if description is v.MISSING else description)
    db.session.add(category)
    db.session.commit()
    return jsonify(category.to_dict()), 201


@categories_bp.route("/<int:category_id>", methods=["GET"])
def get_category(category_id):
    return jsonify(v.get_or_404(Category, category_id, "Category").to_dict())


@categories_bp.route("/<int:category_id>", methods=["DELETE"])
@admin_required
def delete_category(category_id):
    category = v.get_or_404(Category, category_id, "Category")
    if Product.query.filter_by(category_id=category.id).count():
        return jsonify({"error": "Category still has products"}), 409
    db.session.delete(category)
    db.session.commit()
    return jsonify({"message": "Category deleted"})


@categories_bp.route("/<int:category_id>/products", methods=["GET"])
def category_products(category_id):
    category = v.get_or_404(Category, category_id, "Category")
    products = Product.query.filter_by(category_id=category.id).order_by(Product.id).all()
    return jsonify([p.to_dict() for p in products])
