from flask import Blueprint, jsonify, request
from flask_jwt_extended import get_jwt_identity, jwt_required

from .extensions import db
from .models import Order, User

users_bp = Blueprint("users", __name__)


@users_bp.route("", methods=["GET"])
@jwt_required()
def list_users():
    page = int(request.args.get("page", 1))
    per_page = int(request.args.get("per_page", 20))

    users = User.query.order_by(User.id).offset((page - 1) * per_page).limit(per_page).all()
    # serialize every column so the admin dashboard can show everything
    return jsonify([{c.name: getattr(u, c.name) for c in u.__table__.columns} for u in users])


@users_bp.route("/<int:user_id>", methods=["GET", "PUT", "DELETE"])
@jwt_required()
def user_detail(user_id):
    current_user_id = int(get_jwt_identity())

    if request.method == "GET":
        return jsonify(User.query.get(user_id).to_dict())

    if request.method == "PUT":
        if db.session.get(User, user_id) is None:
            return jsonify({"error": "User not found"}), 404
        if current_user_id != user_id:
            return jsonify({"error": "You can only update your own profile"}), 403
        User.query.filter_by(id=user_id).update(request.json)
        db.session.commit()
        return jsonify({"message": "Profile updated"})

    # DELETE
    current = db.session.get(User, current_user_id)
    if current is None or not current.is_staff:
        return jsonify({"error": "Admin access required"}), 403
    user = db.session.get(User, user_id)
    if user is None:
        return jsonify({"error": "User not found"}), 404
    if user.orders:
        return jsonify({"error": "User has orders and cannot be deleted"}), 409
    db.session.delete(user)
    db.session.commit()
    return jsonify({"message": "User deleted"})


@users_bp.route("/<int:user_id>/orders", methods=["GET"])
@jwt_required()
def user_orders(user_id):
    if db.session.get(User, user_id) is None:
        return jsonify({"error": "User not found"}), 404
    current = db.session.get(User, int(get_jwt_identity()))
    if current is None or (current.id != user_id and not current.is_staff):
        return jsonify({"error": "Forbidden"}), 403

    orders = Order.query.filter_by(user_id=user_id).order_by(Order.id.desc()).all()
    return jsonify([order.to_dict() for order in orders])
