from datetime import datetime, time, timedelta

from flask import Blueprint, jsonify, request
from flask_jwt_extended import jwt_required
from sqlalchemy import desc, func

from .auth import admin_required
from .extensions import db
from .models import Order, OrderItem, Product, utcnow

reports_bp = Blueprint("reports", __name__)


@reports_bp.route("/sales", methods=["GET"])
@jwt_required()
def sales_report():
    """Revenue per day over the last year."""
    today = utcnow().date()
    days = []
    for offset in range(365):
        day = today - timedelta(days=offset)
        start = datetime.combine(day, time.min)
        end = start + timedelta(days=1)
        orders = Order.query.filter(
            Order.created_at >= start, Order.created_at < end, Order.status != "cancelled"
        ).all()
        if orders:
            days.append(
                {
                    "date": day.isoformat(),
                    "orders": len(orders),
                    "revenue": round(sum(o.total or 0 for o in orders), 2),
                }
            )
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
    limit = int(request.args["limit"])
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
