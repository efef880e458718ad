"""find_models / models_used_by / protected and secret columns on a Flask-SQLAlchemy app."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from testboost.analysis.models import (
    Column,
    Model,
    Relationship,
    find_models,
    models_used_by,
    protected_columns,
    secret_columns,
)

db = SQLAlchemy()

project_tags = db.Table(
    "project_tags",
    db.Column("project_id", db.ForeignKey("project.id"), primary_key=True),
    db.Column("tag_id", db.ForeignKey("tag.id"), primary_key=True),
)


class Task(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    done = db.Column(db.Boolean, default=False, nullable=False)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    project = db.relationship("Project", back_populates="tasks")


class Project(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    owner = db.relationship("User", back_populates="projects")
    tasks = db.relationship("Task", back_populates="project", lazy="selectin")
    tags = db.relationship("Tag", secondary=project_tags, lazy="dynamic")


class User(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    password_hash = db.Column(db.String(128))
    role = db.Column(db.Enum("member", "admin", name="user_role"), default="member")
    is_admin = db.Column(db.Boolean, server_default=sa.false())
    balance = db.Column(db.Numeric(10, 2))
    score = db.Column(db.Float)
    bio = db.Column(db.Text)
    settings = db.Column(db.JSON)
    avatar = db.Column(db.LargeBinary)
    birthday = db.Column(db.Date)
    api_key = db.Column(db.String(64), unique=True)
    created_at = db.Column(db.DateTime, default=dt.datetime.now)
    org_id = db.Column(db.Integer, db.ForeignKey("organization.id"))
    org = db.relationship("Organization", back_populates="members")
    projects = db.relationship("Project", back_populates="owner", cascade="all, delete-orphan")
    profile = db.relationship("Profile", back_populates="user", uselist=False)


class Profile(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), unique=True)
    user = db.relationship("User", back_populates="profile")


class Organization(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    members = db.relationship("User", back_populates="org", cascade="save-update")
    __table_args__ = (sa.UniqueConstraint("name"),)


class Tag(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    label = db.Column(db.String(30), nullable=False, index=True, unique=True)


class Base(DeclarativeBase):
    pass


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(50))
    detail: Mapped[str | None]
    at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.get("/users/<int:user_id>")
    def get_user(user_id: int) -> Any:
        user = db.session.get(User, user_id) or db.first_or_404(sa.select(Organization))
        return jsonify(user.email)

    @app.get("/projects")
    def list_projects() -> Any:
        rows = db.session.scalars(sa.select(Project).join(Task)).all()
        return jsonify([p.name for p in rows], "Tag is only a word here")

    @app.get("/ping")
    def ping() -> Any:
        return "pong"

    return app


@pytest.fixture(scope="module")
def models() -> tuple[Model, ...]:
    return find_models(create_app())


def _get(models: tuple[Model, ...], name: str) -> Model:
    return next(m for m in models if m.name == name)


def _col(
    name: str,
    type_: str,
    *,
    length: int | None = None,
    nullable: bool = True,
    primary_key: bool = False,
    unique: bool = False,
    has_default: bool = False,
    foreign_key: str | None = None,
    autoincrement: bool = False,
    enum_values: tuple[str, ...] = (),
) -> Column:
    return Column(
        name,
        type_,
        length,
        nullable,
        primary_key,
        unique,
        has_default,
        foreign_key,
        autoincrement,
        enum_values,
    )


ID = _col("id", "int", nullable=False, primary_key=True, autoincrement=True)


def test_models_come_in_foreign_key_order(models: tuple[Model, ...]) -> None:
    names = [m.name for m in models]
    assert sorted(names) == sorted(
        ["AuditEntry", "Organization", "Profile", "Project", "Tag", "Task", "User"]
    )
    for parent, child in [
        ("Organization", "User"),
        ("User", "Project"),
        ("User", "Profile"),
        ("Project", "Task"),
    ]:
        assert names.index(parent) < names.index(child), (parent, child)
    assert names == ["AuditEntry", "Organization", "Tag", "User", "Profile", "Project", "Task"]


def test_every_column_attribute(models: tuple[Model, ...]) -> None:
    user = _get(models, "User")
    assert (user.table, user.module) == ("user", __name__)
    assert user.columns == (
        ID,
        _col("email", "str", length=120, nullable=False, unique=True),
        _col("password_hash", "str", length=128),
        _col("role", "enum", length=6, has_default=True, enum_values=("member", "admin")),
        _col("is_admin", "bool", has_default=True),
        _col("balance", "decimal"),
        _col("score", "float"),
        _col("bio", "text"),
        _col("settings", "json"),
        _col("avatar", "bytes"),
        _col("birthday", "date"),
        _col("api_key", "str", length=64, unique=True),
        _col("created_at", "datetime", has_default=True),
        _col("org_id", "int", foreign_key="organization.id"),
    )
    assert _get(models, "Task").columns == (
        ID,
        _col("title", "str", length=200, nullable=False),
        _col("done", "bool", nullable=False, has_default=True),
        _col("project_id", "int", nullable=False, foreign_key="project.id"),
    )
    # unique through a table-level constraint and through a unique index
    assert _get(models, "Organization").column("name") == _col(
        "name", "str", length=80, nullable=False, unique=True
    )
    assert _get(models, "Tag").column("label") == _col(
        "label", "str", length=30, nullable=False, unique=True
    )
    assert _get(models, "Organization").column("missing") is None


def test_plain_declarative_model_is_found(models: tuple[Model, ...]) -> None:
    audit = _get(models, "AuditEntry")
    assert audit == Model(
        name="AuditEntry",
        table="audit_entry",
        module=__name__,
        columns=(
            ID,
            _col("action", "str", length=50, nullable=False),
            _col("detail", "str"),
            _col("at", "datetime", nullable=False, has_default=True),
        ),
        relationships=(),
    )


def test_relationships(models: tuple[Model, ...]) -> None:
    assert _get(models, "User").relationships == (
        Relationship("org", "Organization", "many-to-one", False, "select"),
        Relationship("profile", "Profile", "one-to-one", False, "select"),
        Relationship("projects", "Project", "one-to-many", True, "select"),
    )
    assert _get(models, "Project").relationships == (
        Relationship("owner", "User", "many-to-one", False, "select"),
        Relationship("tags", "Tag", "many-to-many", False, "dynamic", secondary="project_tags"),
        Relationship("tasks", "Task", "one-to-many", False, "selectin"),
    )
    assert _get(models, "Profile").relationships == (
        Relationship("user", "User", "one-to-one", False, "select"),
    )
    assert _get(models, "Organization").relationships == (
        Relationship("members", "User", "one-to-many", False, "select"),
    )


def test_protected_and_secret_columns(models: tuple[Model, ...]) -> None:
    user = _get(models, "User")
    assert protected_columns(user) == (
        "id",
        "password_hash",
        "role",
        "is_admin",
        "api_key",
        "created_at",
    )
    assert secret_columns(user) == ("password_hash", "api_key")
    assert protected_columns(_get(models, "Project")) == ("id", "owner_id")
    assert protected_columns(_get(models, "Profile")) == ("id", "user_id")
    assert protected_columns(_get(models, "Task")) == ("id",)
    assert secret_columns(_get(models, "Task")) == ()


def test_models_used_by_views(models: tuple[Model, ...]) -> None:
    app = create_app()
    assert models_used_by(app.view_functions["get_user"], models) == ("User", "Organization")
    assert models_used_by(app.view_functions["list_projects"], models) == ("Project", "Task")
    assert models_used_by(app.view_functions["ping"], models) == ()
    assert models_used_by(len, models) == ()


def test_app_mapping_nothing_has_no_models() -> None:
    assert find_models(Flask("no_such_package_for_models")) == ()


def test_without_sqlalchemy_installed_there_are_no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app()
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # makes `import sqlalchemy` fail
    assert find_models(app) == ()


def test_importing_the_analysis_does_not_import_sqlalchemy() -> None:
    code = "import sys, testboost.analysis.models, testboost.analysis.inputs; "
    code += "print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sensitive_names_match_words_not_substrings() -> None:
    names = ["footprint", "reset_token", "otp_secret", "salt", "spinner", "apiKey", "owner_id"]
    model = Model("M", "m", __name__, tuple(_col(n, "str") for n in names), ())
    assert secret_columns(model) == ("reset_token", "otp_secret", "salt", "apiKey")
    assert protected_columns(model) == ("reset_token", "otp_secret", "salt", "apiKey", "owner_id")
