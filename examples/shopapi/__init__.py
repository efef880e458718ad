"""ShopAPI: a small JSON shop backend (users, catalogue, orders, payments, reports).

This is testboost's bundled *broken* example: it works for the happy path but carries the
defects such apps really ship with. ``KNOWN_DEFECTS.json`` lists them; ``examples.shopapi_fixed``
is the same API with every one of them repaired.

Run it with ``flask --app examples.shopapi run``.
"""

import os

from flask import Flask, jsonify
from werkzeug.routing import IntegerConverter

from .extensions import db, jwt


class SQLiteIntConverter(IntegerConverter):
    """``<int:...>`` limited to SQLite's 64-bit integers, so larger ids simply do not match."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(config=None):
    app = Flask(__name__)
    app.url_map.converters["int"] = SQLiteIntConverter
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite:///shop.db"),
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-secret-key-change-me"),
        JWT_SECRET_KEY=os.environ.get("JWT_SECRET_KEY", "dev-jwt-secret-key-please-change-me-0123"),
        PAYMENT_GATEWAY_URL="https://payments.example.com/charge",
        PAYMENT_API_KEY=os.environ.get("PAYMENT_API_KEY", "sk_test_dev_key"),
    )
    if config:
        app.config.update(config)

    db.init_app(app)
    jwt.init_app(app)

    from .auth import auth_bp
    from .categories import categories_bp
    from .orders import orders_bp
    from .pages import pages_bp
    from .payments import payments_bp
    from .products import products_bp
    from .reports import reports_bp
    from .reviews import reviews_bp
    from .users import users_bp

    app.register_blueprint(auth_bp, url_prefix="/api/auth")
    app.register_blueprint(users_bp, url_prefix="/api/users")
    app.register_blueprint(categories_bp, url_prefix="/api/categories")
    app.register_blueprint(products_bp, url_prefix="/api/products")
    app.register_blueprint(reviews_bp, url_prefix="/api/reviews")
    app.register_blueprint(orders_bp, url_prefix="/api/orders")
    app.register_blueprint(payments_bp, url_prefix="/api/payments")
    app.register_blueprint(reports_bp, url_prefix="/api/reports")
    app.register_blueprint(pages_bp)

    @app.errorhandler(400)
    def bad_request(error):
        return jsonify({"error": "Bad request"}), 400

    @app.errorhandler(405)
    def method_not_allowed(error):
        return jsonify({"error": "Method not allowed"}), 405

    @app.errorhandler(415)
    def unsupported_media_type(error):
        return jsonify({"error": "Content-Type must be application/json"}), 415

    @app.errorhandler(OverflowError)
    def number_too_large(error):
        # a number beyond SQLite's 64-bit integers was sent to the database
        return jsonify({"error": "Number out of range"}), 400

    @app.errorhandler(500)
    def internal_error(error):
        return jsonify({"error": "Internal server error"}), 500

    with app.app_context():
        db.create_all()

    return app
