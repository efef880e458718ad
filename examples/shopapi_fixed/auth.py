from functools import wraps

from flask import Blueprint, jsonify
from flask_jwt_extended import (
    create_access_token,
    current_user,
    jwt_required,
    verify_jwt_in_request,
)

from . import validation as v
from .extensions import db, jwt
from .models import User

auth_bp = Blueprint("auth", __name__)


@jwt.user_lookup_loader
def load_user(jwt_header, jwt_data):
    try:
        user_id = int(jwt_data["sub"])
    except (TypeError, ValueError):
        return None
    return db.session.get(User, user_id) if 0 <= user_id <= v.MAX_ID else None


@jwt.user_lookup_error_loader
def user_not_found(jwt_header, jwt_data):
    return jsonify({"error": "User no longer exists"}), 401


def admin_required(fn):
    """Like ``@jwt_required()``, but the user must also be an admin."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        verify_jwt_in_request()
        if not current_user.is_staff:
            return jsonify({"error": "Admin access required"}), 403
        return fn(*args, **kwargs)

    return wrapper


@auth_bp.route("/register", methods=["POST"])
def register():
    data = v.json_body(allowed={"email", "password", "name"})
    email = v.email(data)
    password = v.string(data, "password", min_length=8, max_length=128, strip=False)
    name = v.string(data, "name", max_length=80)

    if User.query.filter_by(email=email).first():
        return jsonify({"error": "Email already registered"}), 409

    user = User(email=email, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return jsonify(user.to_dict()), 201


@auth_bp.route("/login", methods=["POST"])
def login():
    data = v.json_body()
    email = v.string(data, "email", max_length=120)
    password = v.string(data, "password", max_length=128, strip=False)

    user = User.query.filter_by(email=email.lower()).first()
    if user is None or not user.check_password(password):
        return jsonify({"error": "Invalid email or password"}), 401

    access_token = create_access_token(identity=str(user.id))
    return jsonify({"access_token": access_token, "user": user.to_dict()}), 200


@auth_bp.route("/me", methods=["GET"])
@jwt_required()
def me():
    return jsonify(current_user.to_dict())


@auth_bp.route("/change-password", methods=["POST"])
@jwt_required()
def change_password():
    data = v.json_body(allowed={"current_password", "new_password"})
    current_password = v.string(data, "current_password", max_length=128, strip=False)
    new_password = v.string(data, "new_password", min_length=8, max_length=128, strip=False)
    if not current_user.check_password(current_password):
        return jsonify({"error": "Current password is incorrect"}), 400

    current_user.set_password(new_password)
    db.session.commit()
    return jsonify({"message": "Password updated"})
