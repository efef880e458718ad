from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template_string, request
from sqlalchemy import text

from .extensions import db

pages_bp = Blueprint("pages", __name__)

CONTACT_FORM = """<!doctype html>
<title>Contact us</title>
<h1>Contact us</h1>
{% if error %}<p class="error">{{ error }}</p>{% endif %}
{% if sent %}<p class="ok">Thanks {{ name or "" }}, we will get back to you soon.</p>{% endif %}
<form method="post">
  <label>Name <input name="name" value="{{ name or '' }}"></label>
  <label>Message <textarea name="message"></textarea></label>
  <button type="submit">Send</button>
</form>
"""


def is_safe_local_path(target):
    """True for a relative path on this site ("/orders/3"), never for another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@pages_bp.route("/", methods=["GET"])
def index():
    return jsonify({"name": "ShopAPI", "version": "1.0", "api": "/api"})


@pages_bp.route("/health", methods=["GET"])
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


@pages_bp.route("/contact", methods=["GET"])
def contact_form():
    return render_template_string(CONTACT_FORM)


@pages_bp.route("/contact", methods=["POST"])
def contact_submit():
    name = request.form.get("name", "")[:80]
    message = request.form["message"]
    if not message.strip() or len(message) > 5000:
        error = "Please write a message (at most 5000 characters)"
        return render_template_string(CONTACT_FORM, error=error, name=name), 400
    current_app.logger.info("contact message from %r: %r", name, message)
    return render_template_string(CONTACT_FORM, sent=True, name=name)


@pages_bp.route("/login-redirect", methods=["GET"])
def login_redirect():
    """The web front-end sends users here after login: bounce them back where they were."""
    target = request.args.get("next", "/")
    return redirect(target if is_safe_local_path(target) else "/")
