"""ShopAPI, repaired: the same API as ``examples.shopapi`` with every known defect fixed.

testboost uses it as its false-positive control: a scan must find no high or critical defect
here. Compared with the broken twin it has JSON error handlers for every HTTP error, validation
that answers 400 with a message, owner checks, eager loading for lists, bound SQL parameters,
a local-only redirect, cascading deletes and a local payment gateway (no network).

Run it with ``flask --app examples.shopapi_fixed run``.
"""

import os

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .extensions import db, jwt
from .payments import LocalPaymentGateway
from .validation import ValidationError


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
    )
    if config:
        app.config.update(config)

    db.init_app(app)
    jwt.init_app(app)
    app.extensions["payment_gateway"] = LocalPaymentGateway()

    from . import auth  # noqa: F401  (registers the JWT user loader)
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

    @app.errorhandler(ValidationError)
    def validation_error(error):
        return jsonify({"error": error.message}), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        # 400, 401, 403, 404, 405, 409, 415, ... all answer JSON
        return jsonify({"error": error.description or error.name}), error.code

    @app.errorhandler(500)
    def internal_error(error):
        return jsonify({"error": "Internal server error"}), 500

    with app.app_context():
        db.create_all()

    return app
