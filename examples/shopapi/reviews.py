from flask import Blueprint, jsonify
from flask_jwt_extended import get_jwt_identity, jwt_required

from .extensions import db
from .models import Review, User

reviews_bp = Blueprint("reviews", __name__)


@reviews_bp.route("/<int:review_id>", methods=["DELETE"])
@jwt_required()
def delete_review(review_id):
    review = db.session.get(Review, review_id)
    if review is None:
        return jsonify({"error": "Review not found"}), 404
    user = db.session.get(User, int(get_jwt_identity()))
    if user is None or (review.user_id != user.id and not user.is_staff):
        return jsonify({"error": "You can only delete your own reviews"}), 403
    db.session.delete(review)
    db.session.commit()
    return jsonify({"message": "Review deleted"})
