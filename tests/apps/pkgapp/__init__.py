"""A package app with a factory, blueprints with url_prefix, class-based views and several guards."""

import functools
import os

from flask import Blueprint, Flask, abort, jsonify, request
from flask.views import MethodView, View
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth
from flask_jwt_extended import JWTManager, jwt_required, verify_jwt_in_request
from flask_login import LoginManager, login_required

basic = HTTPBasicAuth()
token_auth = HTTPTokenAuth()


def admin_required(f):
    # written without functools.wraps, as pasted code often is
    def wrapper(*args, **kwargs):
        if request.headers.get("X-Role") != "admin":
            abort(403)
        return f(*args, **kwargs)

    return wrapper


def cached(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


api = Blueprint("api", __name__, url_prefix="/api")
v2 = Blueprint("v2", __name__, url_prefix="/v2")
private = Blueprint("private", __name__, url_prefix="/private")


@api.route("/items", methods=["GET", "POST"])
@cached
def items():
    if request.method == "POST":
        data = request.get_json()
        return jsonify(name=data["name"]), 201
    page = request.args.get("page", 1, type=int)
    return jsonify(page=page, items=[])


@api.route("/items/<int:item_id>", methods=["DELETE"])
@jwt_required()
def delete_item(item_id):
    return "", 204


@api.get("/feed")
@jwt_required(optional=True)
def feed():
    return jsonify([])


@api.route("/admin/stats")
@admin_required
def admin_stats():
    return jsonify(ok=True)


@api.route("/profile")
@login_required
def profile():
    return jsonify(user="me")


@api.route("/basic")
@basic.login_required
def basic_only():
    return jsonify(ok=True)


@api.route("/token")
@token_auth.login_required
def token_only():
    return jsonify(ok=True)


@api.route("/inline")
def inline_check():
    verify_jwt_in_request()
    return jsonify(ok=True)


class UserAPI(MethodView):
    def get(self, user_id):
        return jsonify(id=user_id)

    @jwt_required()
    def put(self, user_id):
        return jsonify(id=user_id, **request.json)

    def delete(self, user_id):
        return "", 204


class Ping(View):
    def dispatch_request(self):
        return "pong"


api.add_url_rule("/users/<int:user_id>", view_func=UserAPI.as_view("user"))
v2.add_url_rule("/ping", view_func=Ping.as_view("ping"))
api.register_blueprint(v2)


@private.before_request
def require_key():
    if request.endpoint == "private.health":
        return None
    if request.headers.get("X-API-Key") != "secret":
        abort(401)
    return None


@private.route("/report/<uuid:report_id>")
def report(report_id):
    return jsonify(id=str(report_id))


@private.route("/health")
def health():
    return jsonify(ok=True)


def staff_required(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        verify_jwt_in_request()
        if request.headers.get("X-Staff") != "yes":
            return jsonify(error="staff only"), 403
        return f(*args, **kwargs)

    return wrapper


@api.route("/staff")
@staff_required
def staff_page():
    return jsonify(ok=True)


def create_app(config_name="default"):
    app = Flask(__name__)
    app.config["JWT_SECRET_KEY"] = "test-secret-key-with-enough-length-for-hs256"
    app.config["SECRET_KEY"] = "x"
    app.config["CONFIG_NAME"] = config_name
    app.config["DB_FROM_ENV"] = os.environ.get("DATABASE_URL")
    JWTManager(app)
    LoginManager(app)
    app.register_blueprint(api)
    app.register_blueprint(private)

    @app.route("/")
    def index():
        return "home"

    @app.route("/files/<path:name>")
    def files(name):
        return name

    return app
