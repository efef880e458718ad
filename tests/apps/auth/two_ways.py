"""flasky's shape: a session form login for the pages, HTTP Basic for the ``/api`` blueprint.

A ``before_app_request`` hook reads ``current_user`` but only ever turns away a logged-in user
who is not confirmed: it guards nothing for anonymous callers, so ``/about`` stays open.
"""

import os

from flask import Blueprint, Flask, jsonify, redirect, request, url_for
from flask_httpauth import HTTPBasicAuth
from flask_login import LoginManager, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash

db = SQLAlchemy()
login_manager = LoginManager()
login_manager.login_view = "login"
basic = HTTPBasicAuth()
REFUSE = {"on": False}


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    confirmed = db.Column(db.Boolean, default=True)

    # Flask-Login's user interface
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self):
        return str(self.id)

    def verify(self, password):
        return not REFUSE["on"] and check_password_hash(self.password_hash, password)


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))


@basic.verify_password
def verify_password(email, password):
    user = User.query.filter_by(email=email).first()
    return user if user is not None and user.verify(password) else None


api = Blueprint("api", __name__)


@api.before_request
@basic.login_required
def before_api():
    pass


@api.get("/posts")
def posts():
    return jsonify(posts=[], user=basic.current_user().id)


@api.get("/users/<int:user_id>")
def user(user_id):
    return jsonify(id=user_id)


PAGE = """<form method="post"><input type="email" name="email">
<input type="password" name="password"><input type="submit" value="Log in"></form>"""


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "two-ways"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///two.db")
    db.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(api, url_prefix="/api")

    @app.before_request
    def unconfirmed():
        if current_user.is_authenticated and not current_user.confirmed:
            return redirect(url_for("about"))
        return None

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return PAGE
        user = User.query.filter_by(email=request.form.get("email")).first()
        if user is None or not user.verify(request.form.get("password", "")):
            return PAGE, 401
        login_user(user)
        return redirect("/")

    @app.get("/")
    @login_required
    def index():
        return f"<p>hello {current_user.email}</p>"

    @app.get("/drafts")
    @login_required
    def drafts():
        return "<ul></ul>"

    @app.get("/about")
    def about():
        return "<p>about</p>"

    return app
