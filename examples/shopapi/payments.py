import json
import urllib.error
import urllib.request

from flask import Blueprint, current_app, jsonify, request
from flask_jwt_extended import get_jwt_identity, jwt_required

from .extensions import db
from .models import Order, Payment

payments_bp = Blueprint("payments", __name__)


def charge_card(amount, card_number, order_id):
    """Charge the card through the payment provider's REST API."""
    payload = json.dumps(
        {"amount": amount, "currency": "usd", "card_number": card_number, "order_id": order_id}
    ).encode()
    req = urllib.request.Request(
        current_app.config["PAYMENT_GATEWAY_URL"],
        data=payload,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {current_app.config['PAYMENT_API_KEY']}",
        },
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


@payments_bp.route("", methods=["POST"])
@jwt_required()
def create_payment():
    data = request.get_json()
    if not isinstance(data, dict):
        return jsonify({"error": "Invalid JSON"}), 400
    order_id = data.get("order_id")
    card_number = data.get("card_number")
    if not isinstance(order_id, int) or not isinstance(card_number, str):
        return jsonify({"error": "order_id and card_number are required"}), 400
    if not card_number.isdigit() or not 12 <= len(card_number) <= 19:
        return jsonify({"error": "Invalid card number"}), 400

    order = db.session.get(Order, order_id)
    if order is None:
        return jsonify({"error": "Order not found"}), 404
    if order.user_id != int(get_jwt_identity()):
        return jsonify({"error": "Forbidden"}), 403
    if order.status == "paid":
        return jsonify({"error": "Order already paid"}), 409

    try:
        result = charge_card(order.total, card_number, order.id)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        current_app.logger.warning("payment gateway error: %s", exc)
        return jsonify({"error": "Payment gateway unavailable, try again later"}), 502

    payment = Payment(
        order_id=order.id,
        amount=order.total,
        status=result.get("status", "failed"),
        card_last4=card_number[-4:],
        provider_ref=result.get("id"),
    )
    if payment.status == "succeeded":
        order.status = "paid"
    db.session.add(payment)
    db.session.commit()
    return jsonify(payment.to_dict()), 201


@payments_bp.route("", methods=["GET"])
@jwt_required()
def list_payments():
    user_id = int(get_jwt_identity())
    payments = (
        Payment.query.join(Order, Payment.order_id == Order.id)
        .filter(Order.user_id == user_id)
        .order_by(Payment.id)
        .all()
    )
    return jsonify([p.to_dict() for p in payments])


@payments_bp.route("/<int:payment_id>", methods=["GET"])
@jwt_required()
def get_payment(payment_id):
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        return jsonify({"error": "Payment not found"}), 404
    order = db.session.get(Order, payment.order_id) if payment.order_id else None
    if order is None or order.user_id != int(get_jwt_identity()):
        return jsonify({"error": "Forbidden"}), 403
    return jsonify(payment.to_dict())
