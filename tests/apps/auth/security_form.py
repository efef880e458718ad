"""Flask-Security's login form, built as it builds it: Flask-WTF (``CSRFProtect``, a hidden
``csrf_token`` kept in the session) and Flask-Login, with ``next`` and ``remember`` fields."""

import os

from flask import Flask, redirect, render_template_string, request
from flask_login import LoginManager, UserMixin, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SubmitField

db = SQLAlchemy()
login_manager = LoginManager()
login_manager.login_view = "login"


class User(db.Model, UserMixin):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), unique=True, nullable=False)
    password = db.Column(db.String(255), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)


class LoginForm(FlaskForm):
    email = EmailField("Email")
    password = PasswordField("Password")
    remember = BooleanField("Remember me")
    next = HiddenField()
    submit = SubmitField("Login")


REFUSE = {"on": False}


@login_manager.user_loader
def load_user(user_id):
    return None if REFUSE["on"] else db.session.get(User, int(user_id))


PAGE = """<form action="/login" method="post" name="login_user_form">
{{ form.hidden_tag() }}{{ form.email() }}{{ form.password() }}{{ form.remember() }}
{{ form.submit() }}</form>"""


def create_app(refuse=False):
    REFUSE["on"] = refuse
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "security-form-secret"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///sec.db")
    db.init_app(app)
    login_manager.init_app(app)
    CSRFProtect(app)

    @app.route("/login", methods=["GET", "POST"])
    def login():
        form = LoginForm()
        if form.validate_on_submit():
            user = User.query.filter_by(email=form.email.data).first()
            password = form.password.data or ""
            if not refuse and user is not None and check_password_hash(user.password, password):
                login_user(user, remember=form.remember.data)
                return redirect(form.next.data or "/profile")
        return render_template_string(PAGE, form=form), 200 if request.method == "GET" else 400

    @app.get("/profile")
    @login_required
    def profile():
        return "<p>your profile</p>"

    @app.get("/settings")
    @login_required
    def settings():
        return "<p>your settings</p>"

    return app
