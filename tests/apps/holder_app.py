"""Models outside Flask-SQLAlchemy, behind an object that makes its engine on first use.

That is how Alchemical (miguelgrinberg/microblog-api) works: ``db.create_all()`` exists, but no
engine does until the first query.
"""

import os

from flask import Flask, jsonify, request
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Store:
    def __init__(self):
        class Model(DeclarativeBase):
            pass

        self.Model = Model
        self.url = None
        self._engine = None

    def init_app(self, app):
        self.url = app.config["STORE_DATABASE_URL"]

    @property
    def engine(self):
        if self._engine is None:
            self._engine = create_engine(self.url)
        return self._engine

    def create_all(self):
        self.Model.metadata.create_all(self.engine)

    def session(self):
        return Session(self.engine)


db = Store()


class Task(db.Model):
    __tablename__ = "task"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(80))


def create_app():
    app = Flask(__name__)
    here = os.path.dirname(__file__)
    app.config["STORE_DATABASE_URL"] = "sqlite:///" + os.path.join(here, "tasks.sqlite")
    db.init_app(app)

    @app.get("/tasks")
    def tasks():
        with db.session() as session:
            found = session.scalars(select(Task).order_by(Task.id)).all()
            return jsonify([{"id": t.id, "title": t.title} for t in found])

    @app.post("/tasks")
    def add_task():
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("title"), str):
            return jsonify(error="title is required"), 400
        with db.session() as session:
            task = Task(title=data["title"][:80])
            session.add(task)
            session.commit()
            return jsonify(id=task.id, title=task.title), 201

    @app.errorhandler(405)
    def not_allowed(error):
        return jsonify(error="method not allowed"), 405

    return app
