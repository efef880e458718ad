"""N+1 queries the probe must find, each beside a fixed twin that must stay silent.

- a nested list under a parent id: ``/projects/<id>/tasks`` lazy-loads each task's assignee;
- a report aggregating over a relationship: ``/reports/projects`` lazy-loads each project's
  tasks and each task's comments, and answers an object, not a list.
"""

import os

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func
from sqlalchemy.orm import joinedload

db = SQLAlchemy()


class Person(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)


class Project(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    tasks = db.relationship("Task", backref="project", lazy="select")


class Task(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    assignee_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    assignee = db.relationship("Person")
    comments = db.relationship("Comment", backref="task", lazy="select")


class Comment(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)
    task_id = db.Column(db.Integer, db.ForeignKey("task.id"), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///nplus.db")
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.get("/projects/<int:project_id>/tasks")
    def project_tasks(project_id):
        db.get_or_404(Project, project_id)
        tasks = Task.query.filter_by(project_id=project_id).order_by(Task.id)
        return jsonify([{"title": t.title, "assignee": t.assignee.name} for t in tasks])

    @app.get("/fixed/projects/<int:project_id>/tasks")
    def project_tasks_fixed(project_id):
        db.get_or_404(Project, project_id)
        tasks = (
            Task.query.options(joinedload(Task.assignee))
            .filter_by(project_id=project_id)
            .order_by(Task.id)
        )
        return jsonify([{"title": t.title, "assignee": t.assignee.name} for t in tasks])

    @app.get("/reports/projects")
    def project_report():
        report = {}
        for project in Project.query.order_by(Project.id):
            report[project.name] = {
                "tasks": len(project.tasks),
                "comments": sum(len(task.comments) for task in project.tasks),
            }
        return jsonify(report=report)

    @app.get("/fixed/reports/projects")
    def project_report_fixed():
        tasks = dict(
            db.session.query(Project.name, func.count(Task.id))
            .outerjoin(Task, Task.project_id == Project.id)
            .group_by(Project.id)
            .all()
        )
        comments = dict(
            db.session.query(Project.name, func.count(Comment.id))
            .join(Task, Task.project_id == Project.id)
            .join(Comment, Comment.task_id == Task.id)
            .group_by(Project.id)
            .all()
        )
        return jsonify(
            report={
                name: {"tasks": n, "comments": comments.get(name, 0)} for name, n in tasks.items()
            }
        )

    return app
