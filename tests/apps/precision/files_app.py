"""Files kept in one table by single-table inheritance, shaped like CTFd's ``files``.

``Upload`` is the base class (type ``standard``); ``PageUpload`` adds ``page_id`` to the same
table. The app writes ``page_id`` only on page uploads, and deleting a page lets the ORM null
the ``page_id`` of its uploads: on every row the app can make the delete answers 200. A
``standard`` row carrying a ``page_id`` would block it (foreign keys are enforced), which is
why a seeded base-class row must leave the subclass's columns NULL. Then no column named
``page_id`` holds a value, and ``GET /pages/<page_id>`` (a text id) is reached through the
seeded row of ``page``.
"""

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

db = SQLAlchemy()


def _foreign_keys(connection, record):
    connection.execute("PRAGMA foreign_keys=ON")


class Page(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    uploads = db.relationship("PageUpload", backref="page")


class Upload(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    type = db.Column(db.String(20), default="standard")
    location = db.Column(db.String(200), nullable=False)
    __mapper_args__ = {"polymorphic_identity": "standard", "polymorphic_on": type}  # noqa: RUF012


class PageUpload(Upload):
    page_id = db.Column(db.Integer, db.ForeignKey("page.id"))
    __mapper_args__ = {"polymorphic_identity": "page"}  # noqa: RUF012


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///files.db")
    db.init_app(app)
    with app.app_context():
        # On this app's engine only: a listener on the Engine class would enforce foreign keys
        # in every other app the same test process scans afterwards.
        event.listen(db.engine, "connect", _foreign_keys)

    @app.delete("/pages/<int:page_id>")
    def delete_page(page_id):
        page = db.get_or_404(Page, page_id)
        db.session.delete(page)
        db.session.commit()
        return {"deleted": page_id}

    @app.get("/pages/<page_id>")  # a text id, as CTFd's /api/v1/pages/<page_id>
    def show_page(page_id):
        page = db.get_or_404(Page, page_id)
        return {"id": page.id, "title": page.title}

    return app
