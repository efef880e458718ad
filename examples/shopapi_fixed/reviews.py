from flask import Blueprint, jsonify
from flask_jwt_extended import current_user, jwt_required

from . import validation as v
from .extensions import db
from .models import Review

reviews_bp = Blueprint("reviews", __name__)


@reviews_bp.route("/<int:review_id>", methods=["DELETE"])
@jwt_required()
def delete_review(review_id):
    review = v.get_or_404(Review, review_id, "Review")
    if review.user_id != current_user.id and not current_user.is_staff:
        return jsonify({"error": "You can only delete your own reviews"}), 403
    db.session.delete(review)
    db.session.commit()
    return jsonify({"message": "Review deleted"})
