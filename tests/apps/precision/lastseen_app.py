"""A JSON API shaped like microblog and a forum: writes on every request that are not the route's.

- ``before_request`` stamps the logged-in user's ``last_seen`` (microblog);
- a public topic page bumps ``topic.views`` (a forum);
- posts are shared: the public list shows every user's posts, so user B reading user A's post
  by id is not a broken object-level check.

A correct app: testboost must report no high or critical finding on it.
"""

import os
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt_identity,
    jwt_required,
    verify_jwt_in_request,
)
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    last_seen = db.Column(db.DateTime, default=lambda: datetime.now(timezone.utc))


class Post(db.Model):
    __tablename__ = "posts"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    body = db.Column(db.String(140), nullable=False)

    def to_dict(self):
        return {"id": self.id, "user_id": self.user_id, "body": self.body}


class Topic(db.Model):
    __tablename__ = "topics"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    title = db.Column(db.String(80), nullable=False)
    views = db.Column(db.Integer, nullable=False, default=0)


def _object(data):
    return data if isinstance(data, dict) else {}


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///lastseen.db")
    app.config["JWT_SECRET_KEY"] = "lastseen-secret-key-long-enough-for-hs256"
    db.init_app(app)
    JWTManager(app)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def json_error(error):
        return jsonify(error=error.name), error.code

    @app.before_request
    def stamp_last_seen():
        try:
            verify_jwt_in_request(optional=True)
            identity = get_jwt_identity()
        except Exception:  # an invalid token: the view's own guard answers
            return
        if identity is not None:
            user = db.session.get(User, int(identity))
            if user is not None:
                user.last_seen = datetime.now(timezone.utc)
                db.session.commit()

    @app.post("/api/register")
    def register():
        data = _object(request.get_json(silent=True))
        if not isinstance(data.get("email"), str) or not isinstance(data.get("password"), str):
            return jsonify(error="email and password are required"), 400
        if "@" not in data["email"] or User.query.filter_by(email=data["email"]).first():
            return jsonify(error="invalid email"), 400
        user = User(email=data["email"], password_hash=generate_password_hash(data["password"]))
        db.session.add(user)
        db.session.commit()
        return jsonify(id=user.id), 201

    @app.post("/api/login")
    def login():
        data = _object(request.get_json(silent=True))
        user = User.query.filter_by(email=str(data.get("email"))).first()
        if user is None or not check_password_hash(user.password_hash, str(data.get("password"))):
            return jsonify(error="bad credentials"), 401
        return jsonify(access_token=create_access_token(identity=str(user.id)))

    @app.get("/api/me")
    @jwt_required()
    def me():
        user = db.session.get(User, int(get_jwt_identity()))
        return jsonify(id=user.id, email=user.email)

    @app.get("/api/posts")
    def list_posts():
        return jsonify([post.to_dict() for post in Post.query.order_by(Post.id).all()])

    @app.get("/api/posts/<int:post_id>")
    @jwt_required()
    def get_post(post_id):
        post = db.session.get(Post, post_id)
        if post is None:
            return jsonify(error="not found"), 404
        return jsonify(post.to_dict())

    @app.post("/api/posts")
    @jwt_required()
    def create_post():
        data = _object(request.get_json(silent=True))
        body = data.get("body")
        if not isinstance(body, str) or not body.strip() or len(body) > 140:
            return jsonify(error="body must be 1 to 140 characters"), 400
        post = Post(body=body, user_id=int(get_jwt_identity()))
        db.session.add(post)
        db.session.commit()
        return jsonify(post.to_dict()), 201

    @app.delete("/api/posts/<int:post_id>")
    @jwt_required()
    def delete_post(post_id):
        post = db.session.get(Post, post_id)
        if post is None or post.user_id != int(get_jwt_identity()):
            return jsonify(error="not found"), 404
        db.session.delete(post)
        db.session.commit()
        return "", 204

    @app.get("/api/topics/<int:topic_id>")
    def show_topic(topic_id):
        topic = db.session.get(Topic, topic_id)
        if topic is None:
            return jsonify(error="not found"), 404
        topic.views += 1
        db.session.commit()
        return jsonify(id=topic.id, title=topic.title, views=topic.views)

    @app.post("/api/topics")
    @jwt_required()
    def create_topic():
        data = _object(request.get_json(silent=True))
        title = data.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 80:
            return jsonify(error="title must be 1 to 80 characters"), 400
        topic = Topic(title=title, user_id=int(get_jwt_identity()))
        db.session.add(topic)
        db.session.commit()
        return jsonify(id=topic.id, title=topic.title, views=topic.views), 201

    with app.app_context():
        db.create_all()
    return app
