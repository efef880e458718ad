from flask import Blueprint, jsonify, request
from flask_jwt_extended import get_jwt_identity, jwt_required
from sqlalchemy import text

from .extensions import db
from .models import Product, Review

products_bp = Blueprint("products", __name__)


@products_bp.route("", methods=["GET"])
def list_products():
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 10, type=int)
    page = min(max(page, 1), 10_000)
    per_page = min(max(per_page, 1), 100)

    query = Product.query
    total = query.count()
    products = query.order_by(Product.id).offset((page - 1) * per_page).limit(per_page).all()
    return jsonify(
        {
            "items": [p.to_dict() for p in products],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


@products_bp.route("", methods=["POST"])
@jwt_required()
def create_product():
    data = request.get_json()
    if not data or not data.get("name") or not data.get("sku") or data.get("price") is None:
        return jsonify({"error": "name, sku and price are required"}), 400
    if Product.query.filter_by(sku=data["sku"]).first():
        return jsonify({"error": "SKU already exists"}), 409

    product = Product(**data)
    db.session.add(product)
    db.session.commit()
    return jsonify(product.to_dict()), 201


@products_bp.route("/search", methods=["GET"])
def search_products():
    q = request.args.get("q", "")
    sql = text(
        f"SELECT id, name, sku, price, stock FROM products WHERE name LIKE '%{q}%' ORDER BY name"
    )
    result = db.session.execute(sql)
    return jsonify([dict(zip(result.keys(), row, strict=True)) for row in result])


@products_bp.route("/<int:product_id>", methods=["GET"])
def get_product(product_id):
    product = Product.query.filter_by(id=product_id).first()
    return jsonify(product.to_dict() if product else {})


@products_bp.route("/<int:product_id>", methods=["PUT"])
@jwt_required()
def update_product(product_id):
    product = db.session.get(Product, product_id)
    if product is None:
        return jsonify({"error": "Product not found"}), 404

    data = request.get_json()
    if not isinstance(data, dict):
        return jsonify({"error": "Invalid JSON"}), 400
    for field in ("name", "description", "price", "stock", "category_id"):
        if field in data:
            setattr(product, field, data[field])
    db.session.commit()
    return jsonify(product.to_dict())


@products_bp.route("/<int:product_id>", methods=["DELETE"])
def delete_product(product_id):
    product = db.session.get(Product, product_id)
    if product is None:
        return jsonify({"error": "Product not found"}), 404
    db.session.delete(product)
    db.session.commit()
    return jsonify({"message": "Product deleted"})


@products_bp.route("/<int:product_id>/reviews", methods=["GET"])
def list_reviews(product_id):
    if db.session.get(Product, product_id) is None:
        return jsonify({"error": "Product not found"}), 404
    reviews = Review.query.filter_by(product_id=product_id).order_by(Review.created_at.desc()).all()
    return jsonify([r.to_dict() for r in reviews])


@products_bp.route("/<int:product_id>/reviews", methods=["POST"])
@jwt_required()
def create_review(product_id):
    if db.session.get(Product, product_id) is None:
        return jsonify({"error": "Product not found"}), 404

    data = request.get_json()
    if not isinstance(data, dict):
        return jsonify({"error": "Invalid JSON"}), 400
    rating = data.get("rating")
    comment = data.get("comment", "")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        return jsonify({"error": "rating must be an integer from 1 to 5"}), 400
    if not isinstance(comment, str) or len(comment) > 2000:
        return jsonify({"error": "comment must be a string (max 2000 characters)"}), 400

    user_id = int(get_jwt_identity())
    if Review.query.filter_by(product_id=product_id, user_id=user_id).first():
        return jsonify({"error": "You already reviewed this product"}), 409

    review = Review(product_id=product_id, user_id=user_id, rating=rating, comment=comment)
    db.session.add(review)
    db.session.commit()
    return jsonify(review.to_dict()), 201
