from datetime import datetime, time, timedelta

from flask import Blueprint, jsonify, request
from flask_jwt_extended import jwt_required
from sqlalchemy import desc, func

from . import validation as v
from .auth import admin_required
from .extensions import db
from .models import Order, OrderItem, Product, utcnow

reports_bp = Blueprint("reports", __name__)


@reports_bp.route("/sales", methods=["GET"])
@jwt_required()
def sales_report():
    """Revenue per day over the last year, aggregated by the database in one query."""
    today = utcnow().date()
    start = datetime.combine(today - timedelta(days=364), time.min)
    end = datetime.combine(today + timedelta(days=1), time.min)
    day = func.date(Order.created_at)
    rows = (
        db.session.query(day.label("day"), func.count(Order.id), func.sum(Order.total))
        .filter(Order.created_at >= start, Order.created_at < end, Order.status != "cancelled")
        .group_by(day)
        .order_by(desc(day))
        .all()
    )
    days = [
        {"date": str(d), "orders": count, "revenue": round(revenue or 0, 2)}
        for d, count, revenue in rows
    ]
    return jsonify(
        {
            "days": days,
            "order_count": sum(d["orders"] for d in days),
            "total_revenue": round(sum(d["revenue"] for d in days), 2),
        }
    )


@reports_bp.route("/top-products", methods=["GET"])
@jwt_required()
def top_products():
    try:
        limit = int(request.args["limit"])
    except ValueError:
        raise v.ValidationError("limit must be an integer") from None
    if not 1 <= limit <= 100:
        raise v.ValidationError("limit must be between 1 and 100")
    rows = (
        db.session.query(
            Product.id,
            Product.name,
            func.sum(OrderItem.quantity).label("units"),
            func.sum(OrderItem.quantity * OrderItem.unit_price).label("revenue"),
        )
        .join(OrderItem, OrderItem.product_id == Product.id)
        .group_by(Product.id, Product.name)
        .order_by(desc("units"), Product.id)
        .limit(limit)
        .all()
    )
    return jsonify(
        [
            {"product_id": r.id, "name": r.name, "units": r.units, "revenue": round(r.revenue, 2)}
            for r in rows
        ]
    )


@reports_bp.route("/low-stock", methods=["GET"])
@admin_required
def low_stock():
    threshold = request.args.get("threshold", 5, type=int)
    threshold = min(max(threshold, 0), 1_000_000)
    products = Product.query.filter(Product.stock <= threshold).order_by(Product.stock).all()
    return jsonify([p.to_dict() for p in products])
