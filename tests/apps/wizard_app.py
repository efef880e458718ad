"""An app that sends every request to its first-run setup page until that page's form is sent.

Shaped like CTFd: while the ``settings`` table has no ``setup`` row, a ``before_request`` hook
redirects every request but ``/setup`` there; the setup form carries a session nonce (checked
on every POST, as CTFd's CSRF check does), makes the administrator from its required fields and
marks the app set up. Users log in with a form that carries the nonce too; ``/notes`` pages need
a login, ``/admin`` an administrator.

``create_app(licence=True)``: the form also wants a licence key only the project knows (a
``required`` field whose value testboost cannot guess); the page keeps refusing it.
"""

import os
import secrets
from functools import wraps

from flask import Flask, abort, redirect, request, session, url_for
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()

LICENCE = "WIZ-4242"


class Setting(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(40), unique=True, nullable=False)
    value = db.Column(db.String(200))


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), unique=True, nullable=False)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password = db.Column(db.String(256), nullable=False)
    is_admin = db.Column(db.Boolean, default=False, nullable=False)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)
    member_id = db.Column(db.Integer, db.ForeignKey("member.id"), nullable=False)


SETUP = """<html><body><form method="post" enctype="multipart/form-data">
<input name="site_name" type="text" value="">
<textarea name="description"></textarea>
<input name="mode" type="radio" value="teams" checked><input name="mode" type="radio" value="users">
<select name="visibility"><option value="public">Public</option>
<option selected value="private">Private</option></select>
<input name="name" type="text" required value="">
<input name="email" type="email" required value="">
<input name="password" type="password" required value="">
{licence}
<input name="start" type="text" readonly value="">
<input name="logo" type="file">
<input name="_submit" type="submit" value="Finish">
<input name="nonce" type="hidden" value="{nonce}">
</form><form method="get" action="/search"><input name="q"></form></body></html>"""

LOGIN = """<html><body><form method="post" action="/login">
<input type="text" name="name"><input type="password" name="password">
<input type="hidden" name="nonce" value="{nonce}"><button type="submit">Log in</button>
</form></body></html>"""


def nonce():
    if "nonce" not in session:
        session["nonce"] = secrets.token_hex(16)
    return session["nonce"]


def current():
    uid = session.get("uid")
    return db.session.get(Member, uid) if uid else None


def login_required(view):
    @wraps(view)
    def inner(*args, **kwargs):
        if current() is None:
            return redirect(url_for("login", next=request.path))
        return view(*args, **kwargs)

    return inner


def create_app(licence=False):
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "wizard-secret"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///wizard.db")
    db.init_app(app)

    @app.before_request
    def needs_setup():
        done = Setting.query.filter_by(key="setup").first()
        if done is None and request.endpoint not in ("setup", "static"):
            return redirect(url_for("setup"))
        if request.method == "POST" and request.form.get("nonce") != nonce():
            abort(403)

    @app.route("/setup", methods=["GET", "POST"])
    def setup():
        if Setting.query.filter_by(key="setup").first() is not None:
            return redirect("/")
        field = '<input name="licence" type="text" required value="">' if licence else ""
        page = SETUP.format(nonce=nonce(), licence=field)
        if request.method == "GET":
            return page
        form = request.form
        if not form.get("name") or "@" not in form.get("email", "") or not form["password"]:
            return page, 200  # re-shown with its errors, as such pages do
        if licence and form.get("licence") != LICENCE:
            return page, 200
        if form.get("start"):  # a read-only field a person cannot type in
            return page, 200
        db.session.add(Setting(key="site_name", value=form.get("site_name", "")))
        db.session.add(Setting(key="mode", value=form.get("mode", "")))
        db.session.add(Setting(key="setup", value="1"))
        db.session.add(
            Member(
                name=form["name"],
                email=form["email"],
                password=generate_password_hash(form["password"]),
                is_admin=True,
            )
        )
        db.session.commit()
        return redirect("/")

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return LOGIN.format(nonce=nonce())
        name = request.form.get("name", "")
        user = Member.query.filter((Member.name == name) | (Member.email == name)).first()
        if user is None or not check_password_hash(user.password, request.form["password"]):
            return LOGIN.format(nonce=nonce()), 401
        session["uid"] = user.id
        return redirect("/notes")

    @app.get("/")
    def index():
        return "<h1>welcome</h1>"

    @app.get("/about")
    def about():
        return "<p>about</p>"

    @app.get("/notes")
    @login_required
    def notes():
        mine = Note.query.filter_by(member_id=current().id).all()
        return {"notes": [n.text for n in mine]}

    @app.get("/notes/<int:note_id>")
    @login_required
    def note(note_id):
        found = db.session.get(Note, note_id)
        if found is None:
            abort(404)
        return {"text": found.text}

    @app.get("/profile")
    @login_required
    def profile():
        return {"name": current().name}

    @app.get("/admin")
    @login_required
    def admin():
        if not current().is_admin:
            abort(403)
        return {"members": Member.query.count()}

    return app
