from flask import Blueprint, abort, jsonify, request
from flask_jwt_extended import current_user, jwt_required

from . import validation as v
from .auth import admin_required
from .extensions import db
from .models import Order, User

users_bp = Blueprint("users", __name__)

UPDATABLE_FIELDS = {"name", "email"}


def _visible_user_or_404(user_id):
    """The user, if the caller may see it: themselves, or anyone for an admin."""
    if user_id != current_user.id and not current_user.is_staff:
        abort(404, description="User not found")  # do not reveal that the account exists
    return v.get_or_404(User, user_id, "User")


@users_bp.route("", methods=["GET"])
@admin_required
def list_users():
    page = v.query_int("page", default=1, minimum=1, maximum=10_000)
    per_page = v.query_int("per_page", default=20, minimum=1, maximum=100)

    users = User.query.order_by(User.id).offset((page - 1) * per_page).limit(per_page).all()
    return jsonify([u.to_dict() for u in users])


@users_bp.route("/<int:user_id>", methods=["GET", "PUT", "DELETE"])
@jwt_required()
def user_detail(user_id):
    if request.method == "GET":
        return jsonify(_visible_user_or_404(user_id).to_dict())

    if request.method == "PUT":
        user = _visible_user_or_404(user_id)
        data = v.json_body(allowed=UPDATABLE_FIELDS)
        changes = {}
        if "name" in data:
            changes["name"] = v.string(data, "name", max_length=80)
        if "email" in data:
            changes["email"] = v.email(data)
            taken = User.query.filter(User.email == changes["email"], User.id != user.id).first()
            if taken:
                return jsonify({"error": "Email already registered"}), 409
        if changes:
            User.query.filter_by(id=user.id).update(changes)
            db.session.commit()
        return jsonify(db.session.get(User, user.id).to_dict())

    # DELETE
    if not current_user.is_staff:
        return jsonify({"error": "Admin access required"}), 403
    user = v.get_or_404(User, user_id, "User")
    if Order.query.filter_by(user_id=user.id).first():
        return jsonify({"error": "User has orders and cannot be deleted"}), 409
    db.session.delete(user)
    db.session.commit()
    return jsonify({"message": "User deleted"})


@users_bp.route("/<int:user_id>/orders", methods=["GET"])
@jwt_required()
def user_orders(user_id):
    user = _visible_user_or_404(user_id)
    orders = Order.query.filter_by(user_id=user.id).order_by(Order.id.desc()).all()
    return jsonify([order.to_dict() for order in orders])
