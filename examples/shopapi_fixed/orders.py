from flask import Blueprint, abort, jsonify
from flask_jwt_extended import current_user, jwt_required
from sqlalchemy.orm import joinedload, selectinload

from . import validation as v
from .auth import admin_required
from .extensions import db
from .models import Order, OrderItem, Product

orders_bp = Blueprint("orders", __name__)

ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled")
MAX_QUANTITY = 1000


def _own_order_or_404(order_id):
    """The caller's order; another customer's order is answered like a missing one."""
    order = v.get_or_404(Order, order_id, "Order")
    if order.user_id != current_user.id and not current_user.is_staff:
        abort(404, description="Order not found")
    return order


@orders_bp.route("", methods=["GET"])
@jwt_required()
def list_orders():
    orders = (
        Order.query.options(joinedload(Order.user), selectinload(Order.items))
        .filter_by(user_id=current_user.id)
        .order_by(Order.id.desc())
        .all()
    )
    return jsonify(
        [
            {
                "id": order.id,
                "status": order.status,
                "total": order.total,
                "customer": order.user.name,
                "item_count": len(order.items),
                "created_at": order.created_at.isoformat() if order.created_at else None,
            }
            for order in orders
        ]
    )


@orders_bp.route("", methods=["POST"])
@jwt_required()
def create_order():
    data = v.json_body(allowed={"items", "shipping_address"})
    shipping_address = v.string(
        data, "shipping_address", required=False, nullable=True, max_length=255, min_length=0
    )
    entries = data.get("items")
    if not isinstance(entries, list) or not 1 <= len(entries) <= 100:
        raise v.ValidationError("items must be a list of 1 to 100 entries")

    # validate everything before writing anything
    wanted = {}
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) - {"product_id", "quantity"}:
            raise v.ValidationError("each item must be {product_id, quantity}")
        product_id = v.integer(entry, "product_id", minimum=1)
        quantity = v.integer(entry, "quantity", minimum=1, maximum=MAX_QUANTITY, default=1)
        wanted[product_id] = wanted.get(product_id, 0) + quantity
    products = {p.id: p for p in Product.query.filter(Product.id.in_(list(wanted)))}
    for product_id, quantity in wanted.items():
        product = products.get(product_id)
        if product is None:
            return jsonify({"error": f"Product {product_id} not found"}), 404
        if quantity > MAX_QUANTITY:
            raise v.ValidationError(f"quantity must be between 1 and {MAX_QUANTITY}")
        if (product.stock or 0) < quantity:
            return jsonify({"error": f"Not enough stock for {product.name}"}), 409

    order = Order(
        user_id=current_user.id,
        status="pending",
        shipping_address=None if shipping_address is v.MISSING else shipping_address,
    )
    total = 0.0
    for product_id, quantity in wanted.items():
        product = products[product_id]
        product.stock -= quantity
        order.items.append(
            OrderItem(product_id=product.id, quantity=quantity, unit_price=product.price)
        )
        total += product.price * quantity
    order.total = round(total, 2)
    db.session.add(order)
    db.session.commit()
    return jsonify(order.to_dict(with_items=True)), 201


@orders_bp.route("/<int:order_id>", methods=["GET"])
@jwt_required()
def get_order(order_id):
    return jsonify(_own_order_or_404(order_id).to_dict(with_items=True))


@orders_bp.route("/<int:order_id>", methods=["PUT"])
@jwt_required()
def update_order(order_id):
    order = _own_order_or_404(order_id)
    data = v.json_body(allowed={"shipping_address"})
    order.shipping_address = v.string(data, "shipping_address", max_length=255)
    db.session.commit()
    return jsonify(order.to_dict())


@orders_bp.route("/<int:order_id>", methods=["DELETE"])
@jwt_required()
def delete_order(order_id):
    order = _own_order_or_404(order_id)
    db.session.delete(order)  # items and payments go with it (cascade)
    db.session.commit()
    return jsonify({"message": "Order deleted"})


@orders_bp.route("/<int:order_id>/items", methods=["GET"])
@jwt_required()
def list_order_items(order_id):
    order = _own_order_or_404(order_id)
    return jsonify([item.to_dict() for item in order.items])


@orders_bp.route("/<int:order_id>/items", methods=["POST"])
@jwt_required()
def add_order_item(order_id):
    order = _own_order_or_404(order_id)
    data = v.json_body(allowed={"product_id", "quantity"})
    product_id = v.integer(data, "product_id", minimum=1)
    quantity = v.integer(data, "quantity", minimum=1, maximum=MAX_QUANTITY, default=1)
    product = db.session.get(Product, product_id)
    if product is None:
        return jsonify({"error": "Product not found"}), 404
    if (product.stock or 0) < quantity:
        return jsonify({"error": "Not enough stock"}), 409

    item = OrderItem(product_id=product.id, quantity=quantity, unit_price=product.price)
    order.items.append(item)
    product.stock -= quantity
    order.total = round((order.total or 0) + product.price * quantity, 2)
    db.session.commit()
    return jsonify(item.to_dict()), 201


@orders_bp.route("/<int:order_id>/items/<int:item_id>", methods=["DELETE"])
@jwt_required()
def remove_order_item(order_id, item_id):
    order = _own_order_or_404(order_id)
    item = OrderItem.query.filter_by(id=item_id, order_id=order.id).first()
    if item is None:
        return jsonify({"error": "Item not found"}), 404

    product = db.session.get(Product, item.product_id)
    if product is not None:
        product.stock = (product.stock or 0) + item.quantity
    order.total = round(max((order.total or 0) - item.quantity * item.unit_price, 0), 2)
    db.session.delete(item)
    db.session.commit()
    return jsonify({"message": "Item removed"})


@orders_bp.route("/<int:order_id>/status", methods=["PATCH"])
@admin_required
def update_order_status(order_id):
    order = v.get_or_404(Order, order_id, "Order")
    data = v.json_body(allowed={"status"})
    status = data.get("status")
    if status not in ORDER_STATUSES:
        raise v.ValidationError(f"status must be one of {', '.join(ORDER_STATUSES)}")
    order.status = status
    db.session.commit()
    return jsonify(order.to_dict())


@orders_bp.route("/<int:order_id>/cancel", methods=["POST"])
@jwt_required()
def cancel_order(order_id):
    order = _own_order_or_404(order_id)
    if order.status != "pending":
        return jsonify({"error": "Only pending orders can be cancelled"}), 409

    product_ids = [item.product_id for item in order.items]
    products = {p.id: p for p in Product.query.filter(Product.id.in_(product_ids))}
    for item in order.items:
        if item.product_id in products:
            product = products[item.product_id]
            product.stock = (product.stock or 0) + item.quantity
    order.status = "cancelled"
    db.session.commit()
    return jsonify(order.to_dict())
