"""Flask-SQLAlchemy posts and tags joined by an association table without a primary key."""

import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()

post_tags = db.Table(
    "post_tags",
    db.Column("post_id", db.Integer, db.ForeignKey("post.id"), nullable=False),
    db.Column("tag_id", db.Integer, db.ForeignKey("tag.id"), nullable=False),
)


class Tag(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), unique=True, nullable=False)


class Post(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    tags = db.relationship(Tag, secondary=post_tags)

    def to_dict(self):
        return {"id": self.id, "title": self.title, "tags": [t.name for t in self.tags]}


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///tags.db")
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.get("/posts")
    def list_posts():
        return jsonify([p.to_dict() for p in Post.query.order_by(Post.id)])

    @app.post("/posts")
    def create_post():
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("title"), str):
            return jsonify(error="title is required"), 400
        post = Post(title=data["title"])
        names = data.get("tags") if isinstance(data.get("tags"), list) else []
        for name in names:
            tag = Tag.query.filter_by(name=str(name)).first() or Tag(name=str(name))
            post.tags.append(tag)
        db.session.add(post)
        db.session.commit()
        return jsonify(post.to_dict()), 201

    @app.get("/posts/<int:post_id>")
    def get_post(post_id):
        post = db.session.get(Post, post_id)
        if post is None:
            return jsonify(error="post not found"), 404
        return jsonify(post.to_dict())

    @app.delete("/posts/<int:post_id>")
    def delete_post(post_id):
        post = db.session.get(Post, post_id)
        if post is None:
            return jsonify(error="post not found"), 404
        db.session.delete(post)
        db.session.commit()
        return "", 204

    @app.errorhandler(405)
    def not_allowed(error):
        return jsonify(error="method not allowed"), 405

    return app
