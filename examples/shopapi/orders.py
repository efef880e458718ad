from flask import Blueprint, abort, jsonify, request
from flask_jwt_extended import get_jwt_identity, jwt_required

from .auth import admin_required
from .extensions import db
from .models import Order, OrderItem, Product

orders_bp = Blueprint("orders", __name__)

ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled")


@orders_bp.route("", methods=["GET"])
@jwt_required()
def list_orders():
    user_id = int(get_jwt_identity())
    orders = Order.query.filter_by(user_id=user_id).order_by(Order.id.desc()).all()

    result = []
    for order in orders:
        result.append(
            {
                "id": order.id,
                "status": order.status,
                "total": order.total,
                "customer": order.user.name,
                "item_count": len(order.items),
                "created_at": order.created_at.isoformat() if order.created_at else None,
            }
        )
    return jsonify(result)


@orders_bp.route("", methods=["POST"])
@jwt_required()
def create_order():
    user_id = int(get_jwt_identity())
    data = request.get_json()
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not data["items"]:
        return jsonify({"error": "items must be a non-empty list"}), 400
    shipping_address = data.get("shipping_address", "")
    if not isinstance(shipping_address, str) or len(shipping_address) > 255:
        return jsonify({"error": "shipping_address must be a string"}), 400

    order = Order(user_id=user_id, status="pending", total=0.0, shipping_address=shipping_address)
    db.session.add(order)
    db.session.commit()

    total = 0.0
    for entry in data["items"]:
        if not isinstance(entry, dict):
            return jsonify({"error": "each item must be an object"}), 400
        product_id = entry.get("product_id")
        quantity = entry.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            return jsonify({"error": "quantity must be a positive integer"}), 400
        if not isinstance(product_id, int) or isinstance(product_id, bool):
            return jsonify({"error": "product_id must be an integer"}), 400
        product = db.session.get(Product, product_id)
        if product is None:
            return jsonify({"error": f"Product {product_id} not found"}), 404
        if product.stock < quantity:
            return jsonify({"error": f"Not enough stock for {product.name}"}), 400
        product.stock -= quantity
        db.session.add(
            OrderItem(
                order_id=order.id,
                product_id=product.id,
                quantity=quantity,
                unit_price=product.price,
            )
        )
        total += product.price * quantity

    order.total = round(total, 2)
    db.session.commit()
    return jsonify(order.to_dict(with_items=True)), 201


@orders_bp.route("/<int:order_id>", methods=["GET"])
@jwt_required()
def get_order(order_id):
    order = db.session.get(Order, order_id)
    if order is None:
        return jsonify({"error": "Order not found"}), 404
    return jsonify(order.to_dict(with_items=True))


@orders_bp.route("/<int:order_id>", methods=["PUT"])
@jwt_required()
def update_order(order_id):
    order = db.session.get(Order, order_id)
    if order is None:
        return jsonify({"error": "Order not found"}), 404

    data = request.get_json()
    if not isinstance(data, dict):
        return jsonify({"error": "Invalid JSON"}), 400
    address = data.get("shipping_address")
    if not isinstance(address, str) or not address.strip() or len(address) > 255:
        return jsonify({"error": "shipping_address is required"}), 400

    order.shipping_address = address.strip()
    db.session.commit()
    return jsonify(order.to_dict())


@orders_bp.route("/<int:order_id>", methods=["DELETE"])
@jwt_required()
def delete_order(order_id):
    order = db.session.get(Order, order_id)
    if order is None:
        return jsonify({"error": "Order not found"}), 404
    if order.user_id != int(get_jwt_identity()):
        return jsonify({"error": "Forbidden"}), 403

    Order.query.filter_by(id=order_id).delete()
    db.session.commit()
    return jsonify({"message": "Order deleted"})


@orders_bp.route("/<int:order_id>/items", methods=["GET"])
@jwt_required()
def list_order_items(order_id):
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    if order.user_id != int(get_jwt_identity()):
        return jsonify({"error": "Forbidden"}), 403
    return jsonify([item.to_dict() for item in order.items])


@orders_bp.route("/<int:order_id>/items", methods=["POST"])
@jwt_required()
def add_order_item(order_id):
    order = db.session.get(Order, order_id)
    if order is None:
        return jsonify({"error": "Order not found"}), 404
    if order.user_id != int(get_jwt_identity()):
        return jsonify({"error": "Forbidden"}), 403

    data = request.get_json()
    if not isinstance(data, dict):
        return jsonify({"error": "Invalid JSON"}), 400
    product_id = data.get("product_id")
    quantity = data.get("quantity", 1)
    if not isinstance(quantity, int):
        return jsonify({"error": "quantity must be an integer"}), 400
    product = db.session.get(Product, product_id) if isinstance(product_id, int) else None
    if product is None:
        return jsonify({"error": "Product not found"}), 404
    if product.stock < quantity:
        return jsonify({"error": "Not enough stock"}), 400

    item = OrderItem(
        order_id=order.id, product_id=product.id, quantity=quantity, unit_price=product.price
    )
    product.stock -= quantity
    order.total = round((order.total or 0) + product.price * quantity, 2)
    db.session.add(item)
    db.session.commit()
    return jsonify(item.to_dict()), 201


@orders_bp.route("/<int:order_id>/items/<int:item_id>", methods=["DELETE"])
@jwt_required()
def remove_order_item(order_id, item_id):
    order = db.session.get(Order, order_id)
    if order is None:
        return jsonify({"error": "Order not found"}), 404
    if order.user_id != int(get_jwt_identity()):
        return jsonify({"error": "Forbidden"}), 403
    item = OrderItem.query.filter_by(id=item_id, order_id=order_id).first()
    if item is None:
        return jsonify({"error": "Item not found"}), 404

    product = db.session.get(Product, item.product_id)
    if product is not None:
        product.stock += item.quantity
    order.total = round(max((order.total or 0) - item.quantity * item.unit_price, 0), 2)
    db.session.delete(item)
    db.session.commit()
    return jsonify({"message": "Item removed"})


@orders_bp.route("/<int:order_id>/status", methods=["PATCH"])
@admin_required
def update_order_status(order_id):
    order = db.session.get(Order, order_id)
    if order is None:
        return jsonify({"error": "Order not found"}), 404
    data = request.get_json()
    status = data.get("status") if isinstance(data, dict) else None
    if status not in ORDER_STATUSES:
        return jsonify({"error": f"status must be one of {', '.join(ORDER_STATUSES)}"}), 400
    order.status = status
    db.session.commit()
    return jsonify(order.to_dict())


@orders_bp.route("/<int:order_id>/cancel", methods=["POST"])
@jwt_required()
def cancel_order(order_id):
    order = db.session.get(Order, order_id)
    if order is None:
        return jsonify({"error": "Order not found"}), 404
    if order.user_id != int(get_jwt_identity()):
        return jsonify({"error": "Forbidden"}), 403
    if order.status != "pending":
        return jsonify({"error": "Only pending orders can be cancelled"}), 409

    product_ids = [item.product_id for item in order.items]
    products = {p.id: p for p in Product.query.filter(Product.id.in_(product_ids))}
    for item in order.items:
        if item.product_id in products:
            products[item.product_id].stock += item.quantity
    order.status = "cancelled"
    db.session.commit()
    return jsonify(order.to_dict())
