from flask import Blueprint, jsonify, request
from flask_jwt_extended import current_user, jwt_required

from . import validation as v
from .extensions import db
from .models import Category, OrderItem, Product, Review

products_bp = Blueprint("products", __name__)

PRODUCT_FIELDS = {"name", "sku", "description", "price", "stock", "category_id"}


def _product_fields(data, *, partial):
    """Validated product fields from ``data``: all required ones on create, any subset on update."""
    required = not partial
    fields = {
        "name": v.string(data, "name", required=required, max_length=120),
        "sku": v.string(data, "sku", required=required, max_length=64),
        "description": v.string(
            data, "description", required=False, nullable=True, max_length=2000, min_length=0
        ),
        "price": v.number(data, "price", required=required),
        "stock": v.integer(data, "stock", required=False, maximum=1_000_000),
        "category_id": v.integer(data, "category_id", required=False, nullable=True, minimum=1),
    }
    fields = {key: value for key, value in fields.items() if value is not v.MISSING}
    category_id = fields.get("category_id")
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise v.ValidationError("category_id does not name an existing category")
    return fields


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
    data = v.json_body(allowed=PRODUCT_FIELDS)
    fields = _product_fields(data, partial=False)
    if Product.query.filter_by(sku=fields["sku"]).first():
        return jsonify({"error": "SKU already exists"}), 409

    product = Product(**fields)
    db.session.add(product)
    db.session.commit()
    return jsonify(product.to_dict()), 201


@products_bp.route("/search", methods=["GET"])
def search_products():
    q = request.args.get("q", "")[:100]
    # bound parameter, and LIKE wildcards in the input are matched literally
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    products = (
        Product.query.filter(Product.name.like(pattern, escape="\\")).order_by(Product.name).all()
    )
    return jsonify(
        [
            {"id": p.id, "name": p.name, "sku": p.sku, "price": p.price, "stock": p.stock}
            for p in products
        ]
    )


@products_bp.route("/<int:product_id>", methods=["GET"])
def get_product(product_id):
    return jsonify(v.get_or_404(Product, product_id, "Product").to_dict())


@products_bp.route("/<int:product_id>", methods=["PUT"])
@jwt_required()
def update_product(product_id):
    product = v.get_or_404(Product, product_id, "Product")
    data = v.json_body(allowed=PRODUCT_FIELDS - {"sku"})
    for field, value in _product_fields(data, partial=True).items():
        setattr(product, field, value)
    db.session.commit()
    return jsonify(product.to_dict())


@products_bp.route("/<int:product_id>", methods=["DELETE"])
@jwt_required()
def delete_product(product_id):
    product = v.get_or_404(Product, product_id, "Product")
    if OrderItem.query.filter_by(product_id=product.id).first():
        return jsonify({"error": "Product appears in orders and cannot be deleted"}), 409
    db.session.delete(product)  # its reviews go with it (cascade)
    db.session.commit()
    return jsonify({"message": "Product deleted"})


@products_bp.route("/<int:product_id>/reviews", methods=["GET"])
def list_reviews(product_id):
    product = v.get_or_404(Product, product_id, "Product")
    reviews = Review.query.filter_by(product_id=product.id).order_by(Review.created_at.desc()).all()
    return jsonify([r.to_dict() for r in reviews])


@products_bp.route("/<int:product_id>/reviews", methods=["POST"])
@jwt_required()
def create_review(product_id):
    product = v.get_or_404(Product, product_id, "Product")
    data = v.json_body(allowed={"rating", "comment"})
    rating = v.integer(data, "rating", minimum=1, maximum=5)
    comment = v.string(data, "comment", required=False, max_length=2000, min_length=0)
    if Review.query.filter_by(product_id=product.id, user_id=current_user.id).first():
        return jsonify({"error": "You already reviewed this product"}), 409

    review = Review(
        product_id=product.id,
        user_id=current_user.id,
        rating=rating,
        comment="" if comment is v.MISSING else comment,
    )
    db.session.add(review)
    db.session.commit()
    return jsonify(review.to_dict()), 201
