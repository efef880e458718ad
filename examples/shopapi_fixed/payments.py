import uuid

from flask import Blueprint, current_app, jsonify
from flask_jwt_extended import current_user, jwt_required

from . import validation as v
from .extensions import db
from .models import Order, Payment

payments_bp = Blueprint("payments", __name__)


class LocalPaymentGateway:
    """Stand-in for the card processor: records each charge in memory, never opens a socket.

    A card number ending in ``0002`` is declined, as with the usual test cards.
    """

    def __init__(self):
        self.charges = []

    def charge(self, amount, card_number, order_id):
        status = "declined" if card_number.endswith("0002") else "succeeded"
        charge = {
            "id": f"ch_{uuid.uuid4().hex[:16]}",
            "status": status,
            "amount": amount,
            "order_id": order_id,
            "card_last4": card_number[-4:],
        }
        self.charges.append(charge)
        return charge


@payments_bp.route("", methods=["POST"])
@jwt_required()
def create_payment():
    data = v.json_body(allowed={"order_id", "card_number"})
    order_id = v.integer(data, "order_id", minimum=1)
    card_number = v.string(data, "card_number", min_length=12, max_length=19)
    if not card_number.isdigit() or not card_number.isascii():
        raise v.ValidationError("card_number must be 12 to 19 digits")

    order = v.get_or_404(Order, order_id, "Order")
    if order.user_id != current_user.id:
        return jsonify({"error": "Order not found"}), 404
    if order.status != "pending":
        return jsonify({"error": f"Order is {order.status}, not payable"}), 409
    if not order.total or order.total <= 0:
        return jsonify({"error": "Order has nothing to pay"}), 409

    result = current_app.extensions["payment_gateway"].charge(order.total, card_number, order.id)
    if result["status"] != "succeeded":
        return jsonify({"error": "Payment declined"}), 402

    payment = Payment(
        order_id=order.id,
        amount=order.total,
        status=result["status"],
        card_last4=card_number[-4:],
        provider_ref=result["id"],
    )
    order.status = "paid"
    db.session.add(payment)
    db.session.commit()
    return jsonify(payment.to_dict()), 201


@payments_bp.route("", methods=["GET"])
@jwt_required()
def list_payments():
    payments = (
        Payment.query.join(Order, Payment.order_id == Order.id)
        .filter(Order.user_id == current_user.id)
        .order_by(Payment.id)
        .all()
    )
    return jsonify([p.to_dict() for p in payments])


@payments_bp.route("/<int:payment_id>", methods=["GET"])
@jwt_required()
def get_payment(payment_id):
    payment = v.get_or_404(Payment, payment_id, "Payment")
    order = db.session.get(Order, payment.order_id)
    if order is None or (order.user_id != current_user.id and not current_user.is_staff):
        return jsonify({"error": "Payment not found"}), 404
    return jsonify(payment.to_dict())
